import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import type { BotInput } from '../bots/types.js';

/** `--param k=v`: the value is JSON when it parses as JSON (`n=3`, `flags=[1,2]`), else the text. */
export function parseParams(pairs: readonly string[]): Record<string, unknown> {
  const parameters: Record<string, unknown> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    if (equals <= 0) throw new UsageError(`--param "${pair}" is not name=value (e.g. --param tier=gold).`);
    const raw = pair.slice(equals + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // plain text
    }
    parameters[pair.slice(0, equals)] = value;
  }
  return parameters;
}

/** `-i file`: a JSON object `{ prompt, messages, parameters }`, or any other text as the prompt. */
export function readInputFile(file: string): Partial<BotInput> {
  let text: string;
  try {
    text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`Cannot read the input file ${file}: ${(error as Error).message}`);
  }
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      return JSON.parse(trimmed) as Partial<BotInput>;
    } catch (error) {
      throw new UsageError(`The input file ${file} starts like JSON but does not parse: ${(error as Error).message}`);
    }
  }
  if (trimmed.startsWith('[') && parsesAsJson(trimmed)) {
    // A list is JSON of the wrong shape (messages without their object, say), not a prompt that happens to look like JSON.
    throw new UsageError(`The input file ${file} is a JSON list; give a JSON object { "prompt", "messages", "parameters" } or plain text.`, {
      hint: 'To pass a conversation, put the list under "messages": { "prompt": "...", "messages": [{ "role": "user", "content": "..." }] }.',
    });
  }
  return { prompt: text.replace(/\n$/, '') };
}

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
