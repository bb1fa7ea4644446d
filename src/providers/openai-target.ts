import type { LiveContext } from '../actions/types.js';
import { MissingApiKeyError } from '../errors.js';
import { baseUrl, envHints, type WireTarget } from '../wire/target.js';

/** Every OpenAI-compatible API (chat, responses) is found by the same two variables and a Bearer key. */
export function openAiTarget(path: string, env: LiveContext['env']): WireTarget {
  const url = baseUrl('OPENAI_BASE_URL', env.OPENAI_BASE_URL || 'https://api.openai.com/v1', path, 'http://127.0.0.1:11434/v1');
  const key = env.OPENAI_API_KEY;
  if (!key && url.hostname === 'api.openai.com') throw new MissingApiKeyError('OPENAI_API_KEY');
  return { url, headers: key ? { authorization: `Bearer ${key}` } : {}, hintFor: envHints('The provider', 'OPENAI_API_KEY', 'OPENAI_BASE_URL', 'https://api.openai.com/v1') };
}

/** OpenAI's SDKs send their key as a Bearer token. */
export function bearerKey(headers: Headers): string | undefined {
  return headers.get('authorization')?.replace(/^Bearer\s+/i, '');
}

export const openAiAgentEnv = { baseUrl: 'OPENAI_BASE_URL', apiKey: 'OPENAI_API_KEY' };
export const openAiEndpointPrefix = '/openai/v1';
export const openAiLabel = 'OpenAI-compatible endpoint';
