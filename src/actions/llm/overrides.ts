import type { ReasoningEffort } from '../llm-types.js';
import type { LlmProviderName } from '../types.js';
import { UsageError } from '../../errors.js';
import { reasoningEfforts } from './reasoning-efforts.js';
import { providerNames } from '../../providers/registry.js';
import { attachmentsText, type Attachment } from './attachments.js';
import type { LlmOverrides, RunOverrides } from './override-types.js';

const llmKeys = ['provider', 'model', 'reasoningEffort'];

/** Checks the `llm` option before the run, so a typo fails at once rather than as a provider's 400. */
export function checkLlmOverrides(value: unknown): LlmOverrides {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new UsageError('llm must be an object { provider?, model?, reasoningEffort? }.');
  const given = value as Record<string, unknown>;
  const extra = Object.keys(given).filter((key) => !llmKeys.includes(key));
  if (extra.length) throw new UsageError(`llm has unknown field(s) ${extra.join(', ')}; it takes ${llmKeys.join(', ')}.`);
  const { provider, model, reasoningEffort } = given;
  if (provider !== undefined && (typeof provider !== 'string' || !providerNames().includes(provider))) {
    throw new UsageError(`llm.provider is ${JSON.stringify(provider)}; use ${providerNames().join(' or ')}.`);
  }
  if (model !== undefined && (typeof model !== 'string' || model.trim() === '')) throw new UsageError('llm.model must be a non-empty string, e.g. "gpt-4o-mini".');
  if (reasoningEffort !== undefined && !reasoningEfforts.includes(reasoningEffort as ReasoningEffort)) {
    throw new UsageError(`llm.reasoningEffort is ${JSON.stringify(reasoningEffort)}; use one of ${reasoningEfforts.join(', ')}.`);
  }
  return {
    ...(provider !== undefined && { provider: provider as LlmProviderName }),
    ...(model !== undefined && { model: model as string }),
    ...(reasoningEffort !== undefined && { reasoningEffort: reasoningEffort as ReasoningEffort }),
  };
}

function checkText(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new UsageError(`${name} must be a string.`);
  return value.trim() === '' ? undefined : value;
}

/** The per-invocation options that change LLM calls, checked; undefined when there are none. */
export function runOverrides(options: {
  llm?: unknown;
  instructions?: unknown;
  additionalContext?: unknown;
  disableAttachmentInjection?: unknown;
}, files: readonly Attachment[]): RunOverrides | undefined {
  const llm = checkLlmOverrides(options.llm);
  const instructions = checkText(options.instructions, 'instructions');
  const context = checkText(options.additionalContext, 'additionalContext');
  if (options.disableAttachmentInjection !== undefined && typeof options.disableAttachmentInjection !== 'boolean') {
    throw new UsageError('disableAttachmentInjection must be true or false.');
  }
  const system = (instructions ? `\n\n# Instructions for this run\n${instructions}` : '') + (context ? `\n\n# Context for this run\n${context}` : '');
  const userText = options.disableAttachmentInjection === true ? '' : attachmentsText(files);
  if (Object.keys(llm).length === 0 && !system && !userText) return undefined;
  return { llm, system, userText };
}
