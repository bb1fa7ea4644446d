import type { BotInput } from '../bots/types.js';
import { loadAttachments } from '../actions/llm/attachments.js';
import { shellQuote } from './input.js';
import { compileOutputSchema, checkOutputFormat, outputCheck } from './output-schema.js';
import type { RunOverrides } from '../actions/llm/override-types.js';
import { runOverrides } from '../actions/llm/overrides.js';
import type { InvokeOptions } from './types.js';

/** The per-invocation options of one run, checked and loaded before it starts. */
export interface PerInvocation {
  /** What the invoked bot's input gets; only the options that were given. */
  input: Pick<BotInput, 'instructions' | 'additionalContext' | 'files' | 'outputFormat' | 'outputSchema'>;
  /** What changes in llm.message params; undefined when nothing does. */
  overrides: RunOverrides | undefined;
  /** Throws when the final output breaks outputFormat 'json' or outputSchema. */
  checkOutput: ((output: unknown) => void) | undefined;
  /** The CLI flags that give the same overrides, for the command that records a strict miss. */
  recordWords: string[];
}

/** Everything is checked here, before the run: a missing file or a broken schema costs nothing. */
export function perInvocationOptions(options: InvokeOptions, cwd: string): PerInvocation {
  const files = loadAttachments(options.files, cwd);
  const overrides = runOverrides(options, files);
  const outputFormat = checkOutputFormat(options.outputFormat);
  const validate = compileOutputSchema(options.outputSchema);
  return {
    input: {
      ...(typeof options.instructions === 'string' && { instructions: options.instructions }),
      ...(typeof options.additionalContext === 'string' && { additionalContext: options.additionalContext }),
      ...(options.files !== undefined && { files }),
      ...(outputFormat !== undefined && { outputFormat }),
      ...(options.outputSchema !== undefined && { outputSchema: options.outputSchema }),
    },
    overrides,
    checkOutput: outputCheck(outputFormat, validate),
    recordWords: recordWords(options),
  };
}

/** Overrides change the keys, so the command that records a miss must give them too (inline files cannot be). */
function recordWords(options: InvokeOptions): string[] {
  const words: string[] = [];
  const add = (flag: string, value: string | undefined) => {
    if (value !== undefined) words.push(flag, shellQuote(value));
  };
  add('--provider', options.llm?.provider);
  add('--model', options.llm?.model);
  add('--reasoning-effort', options.llm?.reasoningEffort);
  add('--instructions', options.instructions);
  add('--context', options.additionalContext);
  for (const file of options.files ?? []) if ('path' in file) add('--file', file.path);
  if (options.disableAttachmentInjection) words.push('--no-attachment-injection');
  return words;
}
