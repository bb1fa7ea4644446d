import type { LlmMessageParams } from '../actions/llm-types.js';
import type { LiveContext, ModelPrice } from '../actions/types.js';
import type { RunOverrides } from '../actions/llm/override-types.js';
import type { WireTarget } from '../wire/target.js';
import type { WireBody, WireCodec } from '../wire/types.js';

/**
 * Everything rehearse knows about one provider wire API (`openai.chat`, `anthropic.messages`, ...).
 * The rest of the code asks the registry (src/providers/registry.ts) for one of these and never
 * branches on a provider or API name, so adding an API is one module plus one registry line.
 */
export interface ProviderApi {
  /** The API's name, as recorded SDK calls carry it in their params' `api` (part of the cache key). */
  name: string;
  /** The provider family it belongs to: what `provider` in ctx.llm.message params and the run's `llm` report name. */
  provider: string;
  /** How errors name whoever answers this API ("OpenAI-compatible endpoint", "Anthropic"). */
  providerLabel: string;
  /** Where the API lives under its base URL, as the official SDKs call it (`/chat/completions`). */
  path: string;
  /**
   * Whether a POST to this path (trailing slashes removed) calls this API. Headers are a function
   * because building them costs something on a replay hit; ask only when the path alone cannot tell.
   */
  matches(path: string, headers: () => Headers | undefined): boolean;
  /** Answers to and from the neutral shape, streams, error bodies. */
  codec: WireCodec;
  /** What is wrong with a request body of this API (beyond `model`, checked for all), else undefined. */
  requestProblem(body: WireBody): string | undefined;
  /**
   * Where a call goes live when rehearse's own environment names the provider (base URL, key), with
   * the version headers an agent's SDK chose when the call came through the agents' endpoint.
   */
  target(env: LiveContext['env'], fromAgent: Headers): WireTarget;
  /** Puts a run's overrides (model aside, which is the same field everywhere) into this API's request body, in place. */
  applyOverrides(body: WireBody, overrides: RunOverrides, own: boolean): void;
  /** The reasoning effort a request body asks for, for the run's `llm` report (null when none). */
  reasoningEffortOf(body: WireBody): string | null;
  /** The path prefix under which the agents' endpoint serves this API (`/openai/v1`). */
  endpointPrefix: string;
  /** The key a client of this API sends (its auth header), for the agents' endpoint to check the run's token. */
  sentKey(headers: Headers): string | undefined;
  /** The environment variables an agent run as a command gets, pointing its SDK at the endpoint: base URL and key. */
  agentEnv: { baseUrl: string; apiKey: string };
  /**
   * The request body for neutral ctx.llm.message params, for the one API of its provider family that
   * neutral calls use; undefined for the others.
   */
  fromNeutralParams?(params: LlmMessageParams): WireBody;
  /** Model-name prefixes whose neutral calls go to this API's provider unless the config says otherwise (`claude`). */
  modelPrefixes?: readonly string[];
  /** Built-in prices (US dollars per million tokens) of models served through this API, by model-name prefix; the config's `prices` win. */
  prices?: Readonly<Record<string, ModelPrice>>;
}
