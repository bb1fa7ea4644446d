import { readFileSync } from 'node:fs';
import type { Options } from 'yargs';
import { UsageError } from '../errors.js';
import { botOutputFormats, type BotOutputFormat } from '../invoke/output-schema.js';
import type { InvokeOptions } from '../invoke/types.js';
import { reasoningEfforts } from '../actions/llm/reasoning-efforts.js';
import type { ReasoningEffort } from '../actions/llm-types.js';
import type { LlmProviderName } from '../actions/types.js';
import { providerNames } from '../providers/registry.js';

/** The per-invocation flags of `rehearse invoke`, as yargs parses them. */
export interface OverrideArguments {
  provider?: LlmProviderName;
  model?: string;
  reasoningEffort?: ReasoningEffort;
  instructions?: string;
  context?: string;
  file: string[];
  /** false with --no-attachment-injection. */
  attachmentInjection?: boolean;
  disableAttachmentInjection?: boolean;
  outputFormat?: BotOutputFormat;
  outputSchema?: string;
}

/** The per-invocation flags, for yargs' .options(); shown under their own heading in --help. */
export const overrideFlags = {
  provider: { type: 'string', choices: providerNames(), describe: 'Every llm.message of the run goes to this provider' },
  model: { type: 'string', describe: 'Every llm.message of the run (sub-agents included) uses this model; recorded apart' },
  'reasoning-effort': { type: 'string', choices: reasoningEfforts, describe: 'Reasoning effort of every llm.message (OpenAI reasoning_effort; Anthropic extended thinking)' },
  instructions: { type: 'string', describe: "Instructions appended to the bot's system prompts for this run" },
  context: { type: 'string', describe: "Facts for this run, appended to the bot's system prompts" },
  file: { type: 'string', array: true, default: [] as string[], describe: 'Attach a text file (at most 1 MiB), injected into the first user message (repeatable)' },
  'attachment-injection': { type: 'boolean', describe: "Inject the files into the bot's LLM calls [default: true]; --no-attachment-injection hands them to the bot only" },
  'disable-attachment-injection': { type: 'boolean', describe: 'The same as --no-attachment-injection' },
  'output-format': { type: 'string', choices: botOutputFormats, describe: 'The output the bot should give; json fails the run unless the output is JSON' },
  'output-schema': { type: 'string', describe: 'A JSON Schema file the output must match, else the run fails (OUTPUT_SCHEMA_MISMATCH)' },
} satisfies Record<string, Options>;

function readSchema(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`Cannot read the output schema ${file}: ${(error as Error).message}`);
  }
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`The output schema ${file} is not JSON: ${(error as Error).message}`);
  }
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) throw new UsageError(`The output schema ${file} must hold a JSON object.`);
  return schema as Record<string, unknown>;
}

/** The InvokeOptions the flags stand for; only those given. */
export function overridesFromFlags(args: OverrideArguments): Partial<InvokeOptions> {
  const llm = {
    ...(args.provider !== undefined && { provider: args.provider }),
    ...(args.model !== undefined && { model: args.model }),
    ...(args.reasoningEffort !== undefined && { reasoningEffort: args.reasoningEffort }),
  };
  return {
    ...(Object.keys(llm).length > 0 && { llm }),
    ...(args.instructions !== undefined && { instructions: args.instructions }),
    ...(args.context !== undefined && { additionalContext: args.context }),
    ...(args.file.length > 0 && { files: args.file.map((path) => ({ path })) }),
    ...((args.attachmentInjection === false || args.disableAttachmentInjection === true) && { disableAttachmentInjection: true }),
    ...(args.outputFormat !== undefined && { outputFormat: args.outputFormat }),
    ...(args.outputSchema !== undefined && { outputSchema: readSchema(args.outputSchema) }),
  };
}
