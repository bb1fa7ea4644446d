import { relative } from 'node:path';
import type { BotInput } from '../bots/types.js';
import { defaultCachePath, defaultOrg, type ResolvedConfig } from '../config/resolve.js';
import { UsageError } from '../errors.js';
import { zod } from '../config/lazy-zod.js';
import { firstProblem, inputMessage, inputParameters } from './input-schema.js';
import type { InvokeOptions } from './types.js';

/** An object literal (or JSON object): always valid named values, no schema needed. */
function isPlainObject(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

export function botInput(options: InvokeOptions): BotInput {
  const given = typeof options.input === 'string' ? { prompt: options.input } : (options.input ?? {});
  if (given.prompt !== undefined && typeof given.prompt !== 'string') throw new UsageError('input.prompt must be a string.');
  if (given.messages !== undefined && !Array.isArray(given.messages)) throw new UsageError('input.messages must be a list of { role, content }.');
  // The same checks as the HTTP API's: a role it does not know, or parameters that are a list, are refused here too.
  // zod is loaded only for something to check: most runs give a prompt and plain named values.
  const messages = given.messages?.length ? zod().array(inputMessage()).safeParse(given.messages) : { success: true as const };
  if (!messages.success) throw new UsageError(`The input is not valid: ${firstProblem(messages.error, 'input.messages')}.`, { hint: 'A message is { "role": "system" | "user" | "assistant" | "tool", "content": "text" }.' });
  for (const [name, value] of [['input.parameters', given.parameters], ['parameters', options.parameters]] as const) {
    if (value !== undefined && !isPlainObject(value) && !inputParameters().safeParse(value).success) throw new UsageError(`${name} must be an object of named values, not ${Array.isArray(value) ? 'a list' : typeof value}.`);
  }
  return {
    prompt: given.prompt ?? '',
    messages: given.messages ?? [],
    parameters: { ...given.parameters, ...options.parameters },
  };
}

/** Quotes one word for a POSIX shell, so a printed command can be pasted as is. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The command that records what a strict replay missed: this invocation, replayed without --strict. */
export function recordCommand(botKey: string, input: BotInput, config: ResolvedConfig, sessionId: string | undefined, overrideWords: readonly string[] = []): string {
  const words = ['npx', 'rehearse', 'invoke', botKey, shellQuote(input.prompt), '--mode', 'replay'];
  // A later turn's calls carry the session's history: recording it needs the same session.
  if (sessionId !== undefined) words.push('-s', shellQuote(sessionId));
  if (config.org !== defaultOrg) words.push('--org', shellQuote(config.org));
  const cache = relative(config.cwd, config.cachePath);
  if (cache !== defaultCachePath) words.push('--cache', shellQuote(cache));
  for (const [name, value] of Object.entries(input.parameters)) {
    words.push('--param', shellQuote(`${name}=${typeof value === 'string' ? value : JSON.stringify(value)}`));
  }
  words.push(...overrideWords);
  return words.join(' ');
}

const slugPattern = /^[a-z0-9][a-z0-9_-]{0,63}$/i;

/** Dataset slugs name files in the datasets folder, so they may never climb out of it. */
export function checkDatasets(datasets: readonly string[] | undefined): string[] {
  for (const slug of datasets ?? []) {
    if (typeof slug !== 'string' || !slugPattern.test(slug)) {
      throw new UsageError(`Dataset "${String(slug)}" is not a valid slug: use letters, digits, "_" or "-" (no dots or slashes).`);
    }
  }
  return [...new Set(datasets ?? [])];
}
