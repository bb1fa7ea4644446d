import { toChatRequest } from './request.js';
import { openAiChatCodec } from './codec.js';
import { intoFirst, isUser, messagesProblem, userMessage, type Body } from '../body-edits.js';
import { bearerKey, openAiAgentEnv, openAiEndpointPrefix, openAiLabel, openAiTarget } from '../openai-target.js';
import type { ProviderApi } from '../types.js';

const path = '/chat/completions';

/** OpenAI's Chat Completions, which every OpenAI-compatible server (Ollama, vLLM, ...) speaks: neutral calls to "openai" use it. */
export const openAiChatApi: ProviderApi = {
  name: 'openai.chat',
  provider: 'openai',
  providerLabel: openAiLabel,
  path,
  matches: (urlPath) => urlPath.endsWith(path),
  codec: openAiChatCodec,
  requestProblem: (body) => messagesProblem('openai.chat', body),
  target: (env) => openAiTarget(path, env),
  applyOverrides(body, overrides, own) {
    if (overrides.llm.reasoningEffort) body.reasoning_effort = overrides.llm.reasoningEffort;
    if (own && overrides.system) {
      const isSystem = (item: Body) => item.role === 'system' || item.role === 'developer';
      body.messages = intoFirst(body.messages, isSystem, overrides.system, 'text', 'first', (content) => ({ role: 'system', content }));
    }
    if (own && overrides.userText) body.messages = intoFirst(body.messages, isUser, overrides.userText, 'text', 'last', userMessage);
  },
  reasoningEffortOf: (body) => (typeof body.reasoning_effort === 'string' ? body.reasoning_effort : null),
  endpointPrefix: openAiEndpointPrefix,
  sentKey: bearerKey,
  agentEnv: openAiAgentEnv,
  fromNeutralParams: toChatRequest,
  prices: {
    'gpt-4o-mini': { input: 0.15, output: 0.6 },
    'gpt-4o': { input: 2.5, output: 10 },
    'gpt-4.1-nano': { input: 0.1, output: 0.4 },
    'gpt-4.1-mini': { input: 0.4, output: 1.6 },
    'gpt-4.1': { input: 2, output: 8 },
    'gpt-5-nano': { input: 0.05, output: 0.4 },
    'gpt-5-mini': { input: 0.25, output: 2 },
    'gpt-5': { input: 1.25, output: 10 },
    'o4-mini': { input: 1.1, output: 4.4 },
  },
};
