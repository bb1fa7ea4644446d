import { MissingMockError, MocksFileError } from '../errors.js';
import { shorten } from '../cache/params-diff.js';
import { matchesParams } from './match.js';
import type { MockCall, MockResponse, MockRule, Mocks } from './types.js';

export interface ServedMock {
  response: MockResponse;
  call: MockCall;
}

/**
 * Serves mocks for one invocation: lists are consumed in order, rules filter by params, functions
 * are asked. It keeps every call it served, so a test can check what the bot asked for.
 */
export class MockServer {
  readonly calls: MockCall[] = [];
  private readonly callCounts = new Map<string, number>();
  private readonly usedRules = new Map<string, Set<number>>();

  constructor(
    private readonly mocks: Mocks,
    private readonly describeSource: string,
  ) {}

  async serve(actionType: string, params: unknown, exampleOutput: unknown): Promise<ServedMock> {
    const index = this.callCounts.get(actionType) ?? 0;
    this.callCounts.set(actionType, index + 1);
    const call: MockCall = { actionType, params, index };
    const spec = this.mocks[actionType];
    let response: MockResponse | undefined;
    let exhausted = 0;

    if (typeof spec === 'function') {
      response = await spec(params, call);
    } else if (Array.isArray(spec)) {
      const used = this.usedRules.get(actionType) ?? new Set<number>();
      this.usedRules.set(actionType, used);
      const position = spec.findIndex((rule, ruleIndex) => !used.has(ruleIndex) && ruleMatches(rule, params));
      if (position >= 0) {
        used.add(position);
        response = spec[position];
      } else if (used.size === spec.length) {
        exhausted = used.size;
      }
    } else if (spec && ruleMatches(spec, params)) {
      response = spec;
    }

    if (!response) throw this.missing(call, spec === undefined ? 'none' : exhausted > 0 ? 'exhausted' : 'unmatched', exhausted, exampleOutput);
    checkResponse(response, actionType, this.describeSource);
    this.calls.push(call);
    return { response, call };
  }

  private missing(call: MockCall, why: 'none' | 'exhausted' | 'unmatched', used: number, exampleOutput: unknown): MissingMockError {
    const { actionType, params, index } = call;
    const reason = {
      none: `there is no mock for it`,
      exhausted: `all ${used} mocks listed for it were already used`,
      unmatched: `no mock for it matches these params`,
    }[why];
    const others = Object.keys(this.mocks);
    const skeleton = JSON.stringify({ [actionType]: [{ status: 'success', output: exampleOutput ?? null }] }, null, 2);
    return new MissingMockError(
      actionType,
      `Manual mode: call ${index + 1} of ${actionType} has no mock: ${reason}.\n  params: ${shorten(params, 300)}`,
      [
        `Add a mock to ${this.describeSource}, for example:`,
        '',
        skeleton,
        '',
        `A list serves one mock per call, in order; add "when": { ... } to serve a mock only to matching params.`,
        others.length ? `These mocks exist: ${others.join(', ')}.` : 'No mocks were given: pass --mocks file.json (or the mocks option).',
      ].join('\n'),
    );
  }
}

/**
 * Mocks given in code are not checked like a mocks file; a bare value where a rule belongs
 * (`['a', 'b']` for `[{ status: 'success', output: 'a' }, …]`) is named as such, not as a bad output.
 */
function checkResponse(response: unknown, actionType: string, source: string): asserts response is MockResponse {
  const status = (response as { status?: unknown } | null)?.status;
  if (status === 'success' || status === 'error') return;
  throw new MocksFileError(source, `$["${actionType}"]`, `a mock is ${shorten(response, 80)}, not { status: 'success', output } or { status: 'error', error }.`, {
    hint: `Wrap the value: { status: 'success', output: ${shorten(response, 40)} }.`,
  });
}

function ruleMatches(rule: MockRule, params: unknown): boolean {
  return rule.when === undefined || matchesParams(rule.when, params);
}
