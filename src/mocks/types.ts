import type { TokenUsage } from '../actions/types.js';

export type MockResponse<Output = unknown> =
  | { status: 'success'; output: Output; usage?: TokenUsage; cost_usd?: number }
  | { status: 'error'; error: string | { message: string; code?: string; /** The HTTP status an SDK call receives (default 500). */ status?: number } };

/**
 * Matches an action's params. A plain object matches when each of its fields matches (other fields
 * are ignored); `{ $contains: "text" }` and `{ $regex: "pattern" }` match strings (or the JSON of
 * anything else); from TypeScript a RegExp or a predicate works too.
 */
export type ParamsMatcher =
  | string
  | number
  | boolean
  | null
  | RegExp
  | ((value: unknown) => boolean)
  | { $contains: string }
  | { $regex: string }
  | ParamsMatcher[]
  | { [field: string]: ParamsMatcher };

/** A response, optionally served only to calls whose params match `when`. */
export type MockRule<Output = unknown> = MockResponse<Output> & { when?: ParamsMatcher };

export interface MockCall {
  actionType: string;
  params: unknown;
  /** 0 for the first call of this action type in the invocation. */
  index: number;
}

export type MockFunction<Output = unknown> = (params: unknown, call: MockCall) => MockResponse<Output> | Promise<MockResponse<Output>>;

/**
 * What may stand for one action type: one rule (served to every matching call), a list (served in
 * order, each rule once), or a function.
 */
export type MockSpec<Output = unknown> = MockRule<Output> | MockRule<Output>[] | MockFunction<Output>;

/** Mocks for manual mode, keyed by action type ('llm.message', 'codeexec.run', your own types). */
export type Mocks = Record<string, MockSpec>;
