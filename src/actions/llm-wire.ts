import { ActionParamsError } from '../errors.js';
import { findProviderApi, providerApi, providerApiNames, providerApis } from '../providers/registry.js';
import { forwardWire } from '../wire/forward.js';
import { neutralOf } from '../wire/neutral.js';
import type { WireBody, WireCodec, WireResponse } from '../wire/types.js';
import type { LiveContext, LiveOutcome } from './types.js';
import type { LlmMessageOutput } from './llm-types.js';

/**
 * An LLM call as an SDK made it: `api` names the provider API, every other field is the request
 * body as the SDK sent it (headers and keys never enter). Recorded SDK calls are `llm.message`
 * actions with these params, so they are cached, mocked and replayed like any other.
 */
export interface WireLlmParams {
  /** A registered provider API's name (src/providers/registry.ts). */
  api: string;
  model: string;
  stream?: boolean;
  [field: string]: unknown;
}

export function isWireParams(params: unknown): params is WireLlmParams {
  return typeof params === 'object' && params !== null && 'api' in params;
}

function fail(problem: string): never {
  throw new ActionParamsError('llm.message', problem);
}

/** The few fields each API cannot do without; the provider checks the rest. */
export function validateWire(params: WireLlmParams): WireLlmParams {
  const api = findProviderApi(params.api);
  if (!api) fail(`"api" is ${JSON.stringify(params.api)}; use one of ${providerApiNames().join(', ')}.`);
  if (typeof params.model !== 'string' || params.model === '') fail(`"model" must be a non-empty string in a ${params.api} request.`);
  const problem = api.requestProblem(params);
  if (problem) fail(problem);
  if (params.stream !== undefined && typeof params.stream !== 'boolean') fail('"stream" must be true or false.');
  return params;
}

/** How the answer travels (`stream`, `stream_options`) is not what is asked: neither enters the key. */
export function normalizeWire(params: WireLlmParams): unknown {
  if (params.stream === undefined && params.stream_options === undefined) return params;
  const { stream: _stream, stream_options: _options, ...rest } = params;
  return rest;
}

/** The request body the SDK sent: the params without rehearse's `api` marker. */
export function wireBody(params: WireLlmParams): WireBody {
  const { api: _api, ...body } = params;
  return body;
}

/** The codec of an output that is a provider's whole answer (an SDK call's), else undefined (a neutral output). */
export function codecOfAnswer(output: unknown): WireCodec | undefined {
  for (const { codec } of providerApis()) if (codec.isResponse(output)) return codec;
  return undefined;
}

/**
 * Any llm.message output in the neutral shape: an SDK call's answer is read through the codec of
 * the API its params name (once per answer); only an output whose params are unknown is recognised
 * by trying each codec.
 */
export function neutralOutput(output: LlmMessageOutput | WireResponse, params?: unknown): LlmMessageOutput {
  if (params === undefined) {
    const codec = codecOfAnswer(output);
    return codec ? neutralOf(codec, output as WireResponse) : (output as LlmMessageOutput);
  }
  if (!isWireParams(params)) return output as LlmMessageOutput;
  const { codec } = providerApi(params.api);
  return codec.isResponse(output) ? neutralOf(codec, output) : (output as LlmMessageOutput);
}

/** A mock of an SDK call may be the provider's answer itself, or plain content that becomes one. */
export function expandWireMock(output: unknown, params: WireLlmParams, expandNeutral: (output: unknown) => LlmMessageOutput): WireResponse {
  const { codec } = providerApi(params.api);
  if (codec.isResponse(output)) return output;
  return codec.fromNeutral(expandNeutral(output), wireBody(params));
}

/** An SDK call made outside ctx.fetch (ctx.act with wire params): sent to the provider rehearse's environment names. */
export function runWireFromEnv(params: WireLlmParams, live: LiveContext): Promise<LiveOutcome<WireResponse>> {
  const api = providerApi(params.api);
  return forwardWire(api, wireBody(params), api.target(live.env, new Headers()), live);
}
