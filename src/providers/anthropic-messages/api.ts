import { MissingApiKeyError } from '../../errors.js';
import { toMessagesRequest } from './request.js';
import { anthropicThinking, effortOfThinking, fieldsRefusedWhileThinking } from './thinking.js';
import { anthropicMessagesCodec } from './codec.js';
import { baseUrl, envHints } from '../../wire/target.js';
import { intoFirst, isRecord, isUser, joinText, messagesProblem, userMessage } from '../body-edits.js';
import type { ProviderApi } from '../types.js';

const path = '/v1/messages';

/** The Messages API requires max_tokens; an SDK call always sends it, this is for a hand-written body. */
const defaultMaxTokens = 4096;

/** Anthropic's Messages API: neutral calls to "anthropic" (and to claude-* models by default) use it. */
export const anthropicMessagesApi: ProviderApi = {
  name: 'anthropic.messages',
  provider: 'anthropic',
  providerLabel: 'Anthropic',
  path,
  // A bare `/messages` is Anthropic's only when the SDK says so (its version header).
  matches: (urlPath, headers) => urlPath.endsWith(path) || (urlPath.endsWith('/messages') && headers()?.has('anthropic-version') === true),
  codec: anthropicMessagesCodec,
  requestProblem: (body) => messagesProblem('anthropic.messages', body),
  target(env, fromAgent) {
    // The API root, with or without its /v1: both are written in the wild.
    const root = (env.ANTHROPIC_BASE_URL || 'https://api.anthropic.com').replace(/\/+$/, '').replace(/\/v1$/, '');
    const url = baseUrl('ANTHROPIC_BASE_URL', root, path, 'https://api.anthropic.com');
    const key = env.ANTHROPIC_API_KEY;
    if (!key && url.hostname === 'api.anthropic.com') throw new MissingApiKeyError('ANTHROPIC_API_KEY');
    const beta = fromAgent.get('anthropic-beta');
    return {
      url,
      headers: { 'anthropic-version': fromAgent.get('anthropic-version') ?? '2023-06-01', ...(beta && { 'anthropic-beta': beta }), ...(key && { 'x-api-key': key }) },
      hintFor: envHints('Anthropic', 'ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL', 'https://api.anthropic.com'),
    };
  },
  applyOverrides(body, overrides, own) {
    const effort = overrides.llm.reasoningEffort;
    if (effort) {
      const maxTokens = typeof body.max_tokens === 'number' ? body.max_tokens : defaultMaxTokens;
      // A budget the SDK call already thought with is not the answer's room: take it out before adding ours.
      const previous = isRecord(body.thinking) && body.thinking.type === 'enabled' && typeof body.thinking.budget_tokens === 'number' ? body.thinking.budget_tokens : 0;
      for (const field of fieldsRefusedWhileThinking) delete body[field];
      Object.assign(body, anthropicThinking(effort, Math.max(1, maxTokens - previous)));
    }
    if (own && overrides.system) {
      body.system = Array.isArray(body.system)
        ? [...body.system, { type: 'text', text: overrides.system.trimStart() }]
        : joinText(typeof body.system === 'string' ? body.system : undefined, overrides.system);
    }
    if (own && overrides.userText) body.messages = intoFirst(body.messages, isUser, overrides.userText, 'text', 'last', userMessage);
  },
  reasoningEffortOf: (body) => effortOfThinking(body.thinking),
  endpointPrefix: '/anthropic',
  // x-api-key from the SDK's apiKey; a Bearer token from its authToken.
  sentKey: (headers) => headers.get('x-api-key') ?? headers.get('authorization')?.replace(/^Bearer\s+/i, ''),
  agentEnv: { baseUrl: 'ANTHROPIC_BASE_URL', apiKey: 'ANTHROPIC_API_KEY' },
  fromNeutralParams: toMessagesRequest,
  modelPrefixes: ['claude'],
  prices: {
    'claude-haiku-4-5': { input: 1, output: 5 },
    'claude-sonnet-4-5': { input: 3, output: 15 },
    'claude-opus-4-1': { input: 15, output: 75 },
  },
};
