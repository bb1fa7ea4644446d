import type { LlmMessageOutput } from '../actions/llm-types.js';
import type { StreamDelta } from '../actions/types.js';
import type { ServerSentEvent } from './sse.js';

/**
 * The name of a provider HTTP API an SDK call can be recorded from (`openai.chat`: the registry in
 * src/providers/ lists them): the request body is the action's params, the provider's whole JSON
 * answer is its output, and a stream is rendered from that answer.
 */
export type WireApi = string;

/** A request body as the SDK sent it (JSON object). */
export type WireBody = Record<string, unknown>;

/** The provider's whole (unstreamed) JSON answer. */
export type WireResponse = Record<string, unknown>;

/** Reads a live stream of one API, event by event, into the whole answer it amounts to. */
export interface WireStreamReader {
  /** Takes one event of the stream; returns the neutral pieces it carried (text, tool-call arguments), often none. */
  add(event: ServerSentEvent): StreamDelta[];
  /**
   * The whole answer as the provider would have sent it unstreamed (same ids, content, tool calls,
   * stop reason and usage). Throws ProviderStreamError when the stream ended before its final event.
   */
  finish(): WireResponse;
}

/** One provider API's answers: how they map to the neutral shape, and how they are streamed. */
export interface WireCodec {
  api: WireApi;
  /** Whether a value is already this API's whole answer (a mock may give one as it is). */
  isResponse(value: unknown): value is WireResponse;
  /** The neutral output (content, tool calls, stop reason, model, usage) of an answer. */
  toNeutral(response: WireResponse): LlmMessageOutput;
  /** The answer this API would give for `request` with this neutral output (for mocks written as plain content). */
  fromNeutral(output: LlmMessageOutput, request: WireBody): WireResponse;
  /**
   * The text/event-stream body this API sends for this answer when `request` asked to stream, which
   * the official SDKs parse into the same answer. Text is cut at `pieces` when given (so a replay
   * streams in the pieces that were recorded), else into words.
   */
  toEventStream(response: WireResponse, request: WireBody, pieces?: readonly StreamDelta[]): string;
  streamReader(): WireStreamReader;
  /** This API's error body for an HTTP status, a message and a machine-readable code. */
  errorBody(status: number, message: string, code: string): unknown;
}
