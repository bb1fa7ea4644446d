import { ActionParamsError } from '../errors.js';
import { codecFor, wireApis } from '../wire/index.js';
import { forwardWire } from '../wire/forward.js';
import { neutralOf } from '../wire/neutral.js';
import { targetFromEnv } from '../wire/target.js';
import type { WireApi, WireBody, WireCodec, WireResponse } from '../wire/types.js';
import type { LiveContext, LiveOutcome } from './types.js';
import type { LlmMessageOutput } from './llm-types.js';

/**
 * An LLM call as an SDK made it: `api` names the provider API, every other field is the request
 * body as the SDK sent it (headers and keys never enter). Recorded SDK calls are `llm.message`
 * actions with these params, so they are cached, mocked and replayed like any other.
 */
export interface WireLlmParams {
  api: WireApi;
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
  if (!(wireApis as readonly unknown[]).includes(params.api)) fail(`"api" is ${JSON.stringify(params.api)}; use one of ${wireApis.join(', ')}.`);
  if (typeof params.model !== 'string' || params.model === '') fail(`"model" must be a non-empty string in a ${params.api} request.`);
  if (params.api === 'openai.responses') {
    if (params.input === undefined) fail('an openai.responses request needs "input".');
  } else if (!Array.isArray(params.messages)) {
    fail(`a ${params.api} request needs "messages" (a list).`);
  }
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
  for (const api of wireApis) {
    const codec = codecFor(api);
    if (codec.isResponse(output)) return codec;
  }
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
    return codec ? neutralOf(codec.api, output as WireResponse) : (output as LlmMessageOutput);
  }
  if (!isWireParams(params)) return output as LlmMessageOutput;
  return codecFor(params.api).isResponse(output) ? neutralOf(params.api, output) : (output as LlmMessageOutput);
}

/** A mock of an SDK call may be the provider's answer itself, or plain content that becomes one. */
export function expandWireMock(output: unknown, params: WireLlmParams, expandNeutral: (output: unknown) => LlmMessageOutput): WireResponse {
  const codec = codecFor(params.api);
  if (codec.isResponse(output)) return output;
  return codec.fromNeutral(expandNeutral(output), wireBody(params));
}

/** An SDK call made outside ctx.fetch (ctx.act with wire params): sent to the provider rehearse's environment names. */
export function runWireFromEnv(params: WireLlmParams, live: LiveContext): Promise<LiveOutcome<WireResponse>> {
  return forwardWire(params.api, wireBody(params), targetFromEnv(params.api, live.env), live);
}
