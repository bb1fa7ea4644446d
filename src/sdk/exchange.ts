import { wireBody, type WireLlmParams } from '../actions/llm-wire.js';
import type { LiveContext, StreamDelta } from '../actions/types.js';
import type { ActionBot, ActionDispatch as Dispatcher } from '../modes/types.js';
import { forwardWire } from '../wire/forward.js';
import type { WireTarget } from '../wire/target.js';
import type { ProviderApi } from '../providers/registry.js';
import type { WireBody, WireResponse } from '../wire/types.js';
import { failureResponse } from './failure-response.js';
import { PassthroughBody } from './passthrough.js';

/** The bot on whose behalf an SDK makes its calls, and the invocation's dispatcher that serves them. */
export interface SdkCaller {
  dispatcher: Dispatcher;
  bot: ActionBot;
}

export interface WireRequest {
  api: ProviderApi;
  /** The request body as the SDK sent it. */
  bodyText: string;
  /** Where the call goes when it runs live; asked only then, so replay and mocks never need a key. */
  target(): WireTarget;
  /** The SDK's own signal (its timeout, its abort): giving up before it has the answer cancels a live call. */
  signal?: AbortSignal;
}

/**
 * A live call the SDK may give up on before it has its answer (a timeout, after which it retries): the
 * call is then cancelled, so an answer nobody received is neither paid for nor recorded in place of
 * the retry's. Once the SDK has its answer (a live stream has begun), giving up changes nothing: the
 * rest of a stream it stopped reading is still read and recorded.
 */
export function untilAnswered(signal: AbortSignal | undefined) {
  // Made only when the call runs live: a replay hit or a mock has nothing to cancel.
  let gaveUp: AbortController | undefined;
  let answered = false;
  const onAbort = () => gaveUp?.abort(signal?.reason);
  return {
    live: (live: LiveContext): LiveContext => {
      if (!signal) return live;
      gaveUp ??= new AbortController();
      if (signal.aborted) onAbort();
      else if (!answered) signal.addEventListener('abort', onAbort, { once: true });
      return { ...live, signal: AbortSignal.any([live.signal, gaveUp.signal]) };
    },
    answered: () => {
      answered = true;
      if (gaveUp) signal?.removeEventListener('abort', onAbort);
    },
    /** The SDK gave up before it had its answer. */
    get abandoned() {
      return gaveUp ? gaveUp.signal.aborted : !answered && signal?.aborted === true;
    },
  };
}

const eventStreamHeaders = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' };

function parseBody(text: string): WireBody | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as WireBody) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Answers one SDK request to an LLM API as an `llm.message` action in the invocation's mode. The
 * SDK gets what the provider would send: the whole JSON answer, or an event stream of it; live,
 * the provider's own bytes as they arrive. A failure is the provider's error answer (or that API's
 * error shape with rehearse's message), which the SDK raises as its own typed error.
 */
export async function exchangeWire(caller: SdkCaller, request: WireRequest): Promise<Response> {
  const { api } = request;
  const { codec } = api;
  const body = parseBody(request.bodyText);
  if (!body) return failureResponse(codec, new Error(`the ${api.name} request body is not a JSON object.`));
  const stream = body.stream === true;
  const pieces: StreamDelta[] = [];
  const passthrough = stream ? new PassthroughBody() : undefined;
  const sdk = untilAnswered(request.signal);
  const performing = caller.dispatcher.perform('llm.message', { api: api.name, ...body }, caller.bot, {
    freshParams: true,
    onDelta: (delta) => pieces.push(delta),
    // The params may carry the run's overrides (another model, instructions): what is sent is what is keyed.
    runLive: (live, params) => forwardWire(api, wireBody(params as WireLlmParams), request.target(), sdk.live(live), passthrough),
  }) as Promise<WireResponse>;

  if (passthrough) {
    const first = await Promise.race([passthrough.opened.then(() => 'live' as const), performing.then(() => 'done' as const, () => 'done' as const)]);
    if (first === 'live') {
      sdk.answered();
      performing.then(
        () => passthrough.close(),
        (error: unknown) => {
          caller.dispatcher.handedOnToSdk(error as Error);
          passthrough.fail(error);
        },
      );
      return new Response(passthrough.readable, { status: 200, headers: eventStreamHeaders });
    }
  }
  let output: WireResponse;
  try {
    output = await performing;
  } catch (error) {
    // The invocation is over, or the SDK gave up on this call: its fetch rejects, nobody reads an answer.
    if (caller.dispatcher.live.signal.aborted || sdk.abandoned) throw error;
    caller.dispatcher.handedOnToSdk(error as Error);
    return failureResponse(codec, error);
  }
  sdk.answered();
  if (stream) return new Response(codec.toEventStream(output, body, pieces), { status: 200, headers: eventStreamHeaders });
  return new Response(JSON.stringify(output), { status: 200, headers: { 'content-type': 'application/json' } });
}
