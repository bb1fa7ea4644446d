import { openAiResponsesCodec } from './codec.js';
import { intoFirst, isRecord, isUser, joinText, userMessage } from '../body-edits.js';
import { bearerKey, openAiAgentEnv, openAiEndpointPrefix, openAiLabel, openAiTarget } from '../openai-target.js';
import type { ProviderApi } from '../types.js';

const path = '/responses';

/** OpenAI's Responses API: SDK calls only (neutral calls to "openai" use Chat Completions). */
export const openAiResponsesApi: ProviderApi = {
  name: 'openai.responses',
  provider: 'openai',
  providerLabel: openAiLabel,
  path,
  matches: (urlPath) => urlPath.endsWith(path),
  codec: openAiResponsesCodec,
  requestProblem: (body) => (body.input === undefined ? 'an openai.responses request needs "input": the prompt as text, or a list of input items.' : undefined),
  target: (env) => openAiTarget(path, env),
  applyOverrides(body, overrides, own) {
    const effort = overrides.llm.reasoningEffort;
    if (effort) body.reasoning = { ...(isRecord(body.reasoning) ? body.reasoning : {}), effort };
    if (own && overrides.system) body.instructions = joinText(typeof body.instructions === 'string' ? body.instructions : undefined, overrides.system);
    if (own && overrides.userText) {
      body.input = Array.isArray(body.input)
        ? intoFirst(body.input, isUser, overrides.userText, 'input_text', 'last', userMessage)
        : joinText(typeof body.input === 'string' ? body.input : undefined, overrides.userText);
    }
  },
  reasoningEffortOf: (body) => (isRecord(body.reasoning) && typeof body.reasoning.effort === 'string' ? body.reasoning.effort : null),
  endpointPrefix: openAiEndpointPrefix,
  sentKey: bearerKey,
  agentEnv: openAiAgentEnv,
};
