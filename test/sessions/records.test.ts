/** Invocation records and usage totals in the state file: figures, filters, id prefixes, org scoping. */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { getRun, listRuns, recordInvocation, usageTotals, type InvocationRecord } from '../../src/sessions/index.js';
import { closeStateDatabase } from '../../src/state/database.js';
import { tempDir } from '../support/temp.js';

afterEach(() => closeStateDatabase());

function statePath(): string {
  return join(tempDir(), '.rehearse/state.sqlite');
}

let serial = 0;
function run(fields: Partial<InvocationRecord> = {}): InvocationRecord {
  serial++;
  return {
    id: `inv_${String(serial).padStart(4, '0')}-0000`,
    sessionId: `sess_${serial}`,
    org: 'default',
    botId: 'support-bot',
    botVersion: 'a1b2c3d4e5f60718',
    mode: 'replay',
    status: 'completed',
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    savedCostUsd: 0,
    durationMs: 10,
    error: null,
    startedAt: '2025-05-01T12:00:00.000Z',
    steps: [],
    ...fields,
  };
}

describe('recording and reading back', () => {
  it('reads back exactly what was recorded, steps included, the time in UTC', () => {
    const state = statePath();
    const record = run({
      id: 'inv_11111111-aaaa',
      sessionId: 'sess_x',
      mode: 'live',
      status: 'failed',
      inputTokens: 1234,
      outputTokens: 56,
      costUsd: 0.00123,
      savedCostUsd: 0.0045,
      durationMs: 812.5,
      error: 'PROVIDER_ERROR: OpenAI answered HTTP 500',
      startedAt: '2025-05-01T14:00:00+02:00',
      steps: [
        { action_type: 'llm.message', source: 'cache', duration_ms: 0.21, cost_usd: 0, status: 'success', saved_cost_usd: 0.0045, bot_path: 'support-bot' },
        { action_type: 'codeexec.run', source: 'live', duration_ms: 40, cost_usd: 0, status: 'success' },
        { action_type: 'llm.message', source: 'live', duration_ms: 700, cost_usd: 0.00123, status: 'error', bot_path: 'support-bot > refund-checker' },
      ],
    });
    recordInvocation(state, record);
    closeStateDatabase();
    expect(getRun(state, 'default', 'inv_11111111-aaaa')).toEqual({ ...record, startedAt: '2025-05-01T12:00:00.000Z' });
    expect(listRuns(state, 'default')).toEqual([{ ...record, startedAt: '2025-05-01T12:00:00.000Z' }]);
  });

  it('replaces a record made again under the same id', () => {
    const state = statePath();
    recordInvocation(state, run({ id: 'inv_same', status: 'failed' }));
    recordInvocation(state, run({ id: 'inv_same', status: 'completed', inputTokens: 9 }));
    expect(listRuns(state, 'default').map((record) => [record.id, record.status, record.inputTokens])).toEqual([['inv_same', 'completed', 9]]);
  });

  it('accepts a start time in milliseconds and rounds token counts', () => {
    const state = statePath();
    recordInvocation(state, run({ id: 'inv_ms', startedAt: Date.parse('2025-05-02T00:00:00Z') as unknown as string, inputTokens: 10.4 }));
    expect(getRun(state, 'default', 'inv_ms')).toMatchObject({ startedAt: '2025-05-02T00:00:00.000Z', inputTokens: 10 });
  });

  it.each<[string, Partial<InvocationRecord>]>([
    ['a bad start time', { startedAt: 'yesterday' }],
    ['a negative token count', { inputTokens: -1 }],
    ['a cost that is not a number', { costUsd: Number.NaN }],
    ['an unknown mode', { mode: 'dry-run' as InvocationRecord['mode'] }],
    ['an unknown status', { status: 'running' as InvocationRecord['status'] }],
    ['a bad org', { org: '../other' }],
    ['a bad session id', { sessionId: '../../etc' }],
    ['no id', { id: '' }],
  ])('refuses a record with %s, as a usage error', (_, fields) => {
    expect(() => recordInvocation(statePath(), run(fields))).toThrow(UsageError);
  });
});

describe('listing runs', () => {
  function seed(state: string): void {
    recordInvocation(state, run({ id: 'inv_a', botId: 'support-bot', status: 'completed', startedAt: '2025-05-01T08:00:00Z' }));
    recordInvocation(state, run({ id: 'inv_b', botId: 'refund-bot', status: 'failed', error: 'boom', startedAt: '2025-05-02T08:00:00Z' }));
    recordInvocation(state, run({ id: 'inv_c', botId: 'support-bot', status: 'failed', error: 'timeout', startedAt: '2025-05-03T08:00:00Z' }));
    recordInvocation(state, run({ id: 'inv_d', botId: 'support-bot', status: 'completed', startedAt: '2025-05-04T08:00:00Z' }));
    recordInvocation(state, run({ id: 'inv_other_org', org: 'globex', botId: 'support-bot', startedAt: '2025-05-05T08:00:00Z' }));
  }
  const ids = (records: InvocationRecord[]) => records.map((record) => record.id);

  it('lists the org’s runs newest first, filtered by bot, status and time, with a limit', () => {
    const state = statePath();
    seed(state);
    expect(ids(listRuns(state, 'default'))).toEqual(['inv_d', 'inv_c', 'inv_b', 'inv_a']);
    expect(ids(listRuns(state, 'default', { botId: 'support-bot' }))).toEqual(['inv_d', 'inv_c', 'inv_a']);
    expect(ids(listRuns(state, 'default', { status: 'failed' }))).toEqual(['inv_c', 'inv_b']);
    expect(ids(listRuns(state, 'default', { botId: 'support-bot', status: 'failed' }))).toEqual(['inv_c']);
    expect(ids(listRuns(state, 'default', { since: '2025-05-03' }))).toEqual(['inv_d', 'inv_c']);
    expect(ids(listRuns(state, 'default', { since: Date.parse('2025-05-02T08:00:00Z') }))).toEqual(['inv_d', 'inv_c', 'inv_b']);
    expect(ids(listRuns(state, 'default', { limit: 2 }))).toEqual(['inv_d', 'inv_c']);
    expect(ids(listRuns(state, 'globex'))).toEqual(['inv_other_org']);
    expect(listRuns(state, 'initech')).toEqual([]);
    expect(() => listRuns(state, 'default', { since: 'last tuesday' })).toThrow(UsageError);
  });
});

describe('finding a run by id prefix', () => {
  it('finds a unique prefix, with or without inv_, and only in the org', () => {
    const state = statePath();
    recordInvocation(state, run({ id: 'inv_3f2a0001-aaaa' }));
    recordInvocation(state, run({ id: 'inv_3f2b0002-bbbb' }));
    recordInvocation(state, run({ id: 'inv_9c000003-cccc', org: 'globex' }));

    expect(getRun(state, 'default', 'inv_3f2a')?.id).toBe('inv_3f2a0001-aaaa');
    expect(getRun(state, 'default', '3f2b')?.id).toBe('inv_3f2b0002-bbbb');
    expect(getRun(state, 'default', 'inv_3f2b0002-bbbb')?.id).toBe('inv_3f2b0002-bbbb');
    expect(getRun(state, 'default', 'inv_9c')).toBeUndefined();
    expect(getRun(state, 'globex', '9c')?.id).toBe('inv_9c000003-cccc');
    expect(getRun(state, 'default', 'nope')).toBeUndefined();
    expect(() => getRun(state, 'default', '')).toThrow(UsageError);
  });

  it('names every match of an ambiguous prefix', () => {
    const state = statePath();
    recordInvocation(state, run({ id: 'inv_3f2a0001-aaaa', botId: 'support-bot' }));
    recordInvocation(state, run({ id: 'inv_3f2b0002-bbbb', botId: 'refund-bot' }));
    let error: unknown;
    try {
      getRun(state, 'default', 'inv_3f2');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toContain('matches 2 runs in org default');
    expect((error as UsageError).message).toContain('inv_3f2a0001-aaaa');
    expect((error as UsageError).message).toContain('inv_3f2b0002-bbbb');
    expect((error as UsageError).hint).toMatch(/more characters/);
  });

  it('prefers the whole id when it is also the prefix of another', () => {
    const state = statePath();
    recordInvocation(state, run({ id: 'inv_ab' }));
    recordInvocation(state, run({ id: 'inv_abc' }));
    expect(getRun(state, 'default', 'inv_ab')?.id).toBe('inv_ab');
    expect(() => getRun(state, 'default', 'inv_a')).toThrow(/matches 2 runs/);
  });

  it('caps a very ambiguous listing', () => {
    const state = statePath();
    for (let index = 0; index < 15; index++) recordInvocation(state, run({ id: `inv_x${String(index).padStart(2, '0')}` }));
    expect(() => getRun(state, 'default', 'inv_x')).toThrow(/matches more than 10 runs[\s\S]*and more/);
  });
});

describe('usage totals', () => {
  /**
   * Known figures. support-bot: 3 runs (1000+2000+500 in, 100+300+50 out, $0.0125+$0.0375+$0.005,
   * saved $0+$0.05+$0.0065); refund-bot: 1 run (400 in, 40 out, $0.004, saved $0.001). Days:
   * 2025-05-01 holds two support-bot runs (one at 23:59:59.999 UTC), 2025-05-02 the refund-bot run,
   * 2025-05-03 the last support-bot run. globex has one run that must never be counted for default.
   */
  function seed(state: string): void {
    recordInvocation(state, run({ botId: 'support-bot', inputTokens: 1000, outputTokens: 100, costUsd: 0.0125, savedCostUsd: 0, startedAt: '2025-05-01T00:00:00Z' }));
    recordInvocation(state, run({ botId: 'support-bot', inputTokens: 2000, outputTokens: 300, costUsd: 0.0375, savedCostUsd: 0.05, startedAt: '2025-05-01T23:59:59.999Z', status: 'failed' }));
    recordInvocation(state, run({ botId: 'refund-bot', inputTokens: 400, outputTokens: 40, costUsd: 0.004, savedCostUsd: 0.001, startedAt: '2025-05-02T10:00:00Z' }));
    recordInvocation(state, run({ botId: 'support-bot', inputTokens: 500, outputTokens: 50, costUsd: 0.005, savedCostUsd: 0.0065, startedAt: '2025-05-03T10:00:00Z' }));
    recordInvocation(state, run({ org: 'globex', botId: 'support-bot', inputTokens: 99999, outputTokens: 9999, costUsd: 9.99, savedCostUsd: 1, startedAt: '2025-05-02T00:00:00Z' }));
  }

  it('totals by bot, with a total row', () => {
    const state = statePath();
    seed(state);
    expect(usageTotals(state, { org: 'default' }, 'bot')).toEqual({
      groupBy: 'bot',
      rows: [
        { key: 'refund-bot', invocations: 1, inputTokens: 400, outputTokens: 40, costUsd: 0.004, savedCostUsd: 0.001 },
        { key: 'support-bot', invocations: 3, inputTokens: 3500, outputTokens: 450, costUsd: 0.055, savedCostUsd: 0.0565 },
      ],
      total: { key: 'total', invocations: 4, inputTokens: 3900, outputTokens: 490, costUsd: 0.059, savedCostUsd: 0.0575 },
    });
  });

  it('totals by UTC day, oldest first', () => {
    const state = statePath();
    seed(state);
    expect(usageTotals(state, { org: 'default' }, 'day')).toEqual({
      groupBy: 'day',
      rows: [
        { key: '2025-05-01', invocations: 2, inputTokens: 3000, outputTokens: 400, costUsd: 0.05, savedCostUsd: 0.05 },
        { key: '2025-05-02', invocations: 1, inputTokens: 400, outputTokens: 40, costUsd: 0.004, savedCostUsd: 0.001 },
        { key: '2025-05-03', invocations: 1, inputTokens: 500, outputTokens: 50, costUsd: 0.005, savedCostUsd: 0.0065 },
      ],
      total: { key: 'total', invocations: 4, inputTokens: 3900, outputTokens: 490, costUsd: 0.059, savedCostUsd: 0.0575 },
    });
  });

  it('narrows to a bot and a time', () => {
    const state = statePath();
    seed(state);
    expect(usageTotals(state, { org: 'default', botId: 'support-bot' }, 'day').rows.map((row) => [row.key, row.invocations, row.costUsd])).toEqual([
      ['2025-05-01', 2, 0.05],
      ['2025-05-03', 1, 0.005],
    ]);
    expect(usageTotals(state, { org: 'default', since: '2025-05-02' }, 'bot').total).toEqual({
      key: 'total',
      invocations: 2,
      inputTokens: 900,
      outputTokens: 90,
      costUsd: 0.009,
      savedCostUsd: 0.0075,
    });
    // The bound is inclusive: a run that started at the very moment counts.
    expect(usageTotals(state, { org: 'default', since: Date.parse('2025-05-01T23:59:59.999Z') }, 'bot').total.invocations).toBe(3);
  });

  it('keeps orgs apart, and totals every org only when no org is named', () => {
    const state = statePath();
    seed(state);
    expect(usageTotals(state, { org: 'globex' }, 'bot').rows).toEqual([
      { key: 'support-bot', invocations: 1, inputTokens: 99999, outputTokens: 9999, costUsd: 9.99, savedCostUsd: 1 },
    ]);
    expect(usageTotals(state, {}, 'bot').total).toMatchObject({ invocations: 5, inputTokens: 103899 });
    expect(usageTotals(state, { org: 'initech' }, 'day')).toEqual({
      groupBy: 'day',
      rows: [],
      total: { key: 'total', invocations: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, savedCostUsd: 0 },
    });
  });

  it('adds money without float noise', () => {
    const state = statePath();
    recordInvocation(state, run({ costUsd: 0.1, savedCostUsd: 0.1 }));
    recordInvocation(state, run({ costUsd: 0.2, savedCostUsd: 0.2 }));
    expect(usageTotals(state, { org: 'default' }, 'bot').total).toMatchObject({ costUsd: 0.3, savedCostUsd: 0.3 });
  });

  it('works on a state file that holds no runs yet, and refuses an unknown grouping', () => {
    const state = statePath();
    expect(usageTotals(state, { org: 'default' }, 'bot').rows).toEqual([]);
    expect(() => usageTotals(state, { org: 'default' }, 'week' as 'day')).toThrow(UsageError);
  });
});
