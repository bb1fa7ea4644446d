/**
 * `rehearse sessions`, `rehearse runs` and `rehearse usage`, end to end: the built CLI as a child
 * process, reading a state file this test seeds through the library (recordInvocation,
 * appendSessionTurn) and hands over with --state. Usage figures are checked against known token
 * counts and costs, by bot and by day.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseSince } from '../../src/cli/since.js';
import { UsageError } from '../../src/errors.js';
import { appendSessionTurn, recordInvocation, sessionSandboxDir, type InvocationRecord } from '../../src/sessions/index.js';
import { closeStateDatabase } from '../../src/state/database.js';
import { rehearse, repoRoot, type CliRun } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

beforeAll(() => {
  if (!existsSync(join(repoRoot, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run `npm run build` first.');
});
afterEach(() => closeStateDatabase());

const hour = 3_600_000;
const day = 24 * hour;
const now = Date.now();
const iso = (ms: number) => new Date(ms).toISOString();
const utcDay = (ms: number) => iso(ms).slice(0, 10);

let serial = 0;
function run(fields: Partial<InvocationRecord>): InvocationRecord {
  serial++;
  return {
    id: `inv_${String(serial).padStart(8, '0')}-1111-2222-3333-444444444444`,
    sessionId: 'sess_cli',
    org: 'default',
    botId: 'support-bot',
    botVersion: 'v1',
    mode: 'replay',
    status: 'completed',
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    savedCostUsd: 0,
    durationMs: 25,
    error: null,
    startedAt: iso(now),
    steps: [],
    ...fields,
  };
}

/**
 * The known runs, relative to now. support-bot: 1 hour ago (1200 in / 150 out, $0.012, saved $0.03)
 * and 3 days ago (800 / 50, $0.008, saved $0); refund-bot: 2 hours ago, failed (300 / 0, $0.003) and
 * 10 days ago (700 / 70, $0.007, saved $0.002). Org globex: one support-bot run an hour ago.
 */
const times = { h1: now - hour, h2: now - 2 * hour, d3: now - 3 * day, d10: now - 10 * day };
function seed(): { state: string; ids: Record<string, string> } {
  const state = join(tempDir('rehearse-cli-state-'), 'state.sqlite');
  const records = {
    recent: run({ botId: 'support-bot', inputTokens: 1200, outputTokens: 150, costUsd: 0.012, savedCostUsd: 0.03, startedAt: iso(times.h1), steps: [
      { action_type: 'llm.message', source: 'cache', duration_ms: 0.4, cost_usd: 0, status: 'success', saved_cost_usd: 0.03, bot_path: 'support-bot' },
      { action_type: 'codeexec.run', source: 'live', duration_ms: 35, cost_usd: 0, status: 'success', bot_path: 'support-bot' },
      { action_type: 'llm.message', source: 'live', duration_ms: 900, cost_usd: 0.012, status: 'success', bot_path: 'support-bot > refund-checker' },
    ] }),
    failed: run({ botId: 'refund-bot', mode: 'live', status: 'failed', inputTokens: 300, outputTokens: 0, costUsd: 0.003, error: 'INVOCATION_TIMEOUT: The invocation did not finish within 120000 ms and was cancelled.', startedAt: iso(times.h2) }),
    older: run({ botId: 'support-bot', inputTokens: 800, outputTokens: 50, costUsd: 0.008, startedAt: iso(times.d3) }),
    oldest: run({ botId: 'refund-bot', inputTokens: 700, outputTokens: 70, costUsd: 0.007, savedCostUsd: 0.002, startedAt: iso(times.d10) }),
    globex: run({ org: 'globex', botId: 'support-bot', inputTokens: 5000, outputTokens: 500, costUsd: 1.5, savedCostUsd: 0.5, startedAt: iso(times.h1) }),
  };
  for (const record of Object.values(records)) recordInvocation(state, record);
  closeStateDatabase(state);
  return { state, ids: Object.fromEntries(Object.entries(records).map(([name, record]) => [name, record.id])) };
}

function json<T>(result: CliRun): T {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as T;
}

/** The cells of a table line (columns are two or more spaces apart). */
function cells(stdout: string, first: string): string[] {
  const line = stdout.split('\n').find((text) => text.startsWith(`${first} `));
  expect(line, `a line starting with "${first}" in:\n${stdout}`).toBeDefined();
  return line!.trim().split(/\s{2,}/);
}

interface UsageJsonRow {
  invocations: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  saved_cost_usd: number;
}
interface UsageJson {
  org: string;
  bot: string | null;
  since: string | null;
  by_bot: Array<UsageJsonRow & { bot_id: string }>;
  by_day: Array<UsageJsonRow & { day: string }>;
  total: UsageJsonRow;
}

// Each test runs the CLI a few times (about 0.4 s each, more on a busy machine).
describe('rehearse usage', { timeout: 60_000 }, () => {
  it('totals by bot and by day, with a total, as JSON', async () => {
    const { state } = seed();
    const usage = json<UsageJson>(await rehearse(['usage', '--state', state, '--format', 'json']));
    expect(usage.org).toBe('default');
    expect(usage.by_bot).toEqual([
      { bot_id: 'refund-bot', invocations: 2, input_tokens: 1000, output_tokens: 70, cost_usd: 0.01, saved_cost_usd: 0.002 },
      { bot_id: 'support-bot', invocations: 2, input_tokens: 2000, output_tokens: 200, cost_usd: 0.02, saved_cost_usd: 0.03 },
    ]);
    expect(usage.total).toEqual({ invocations: 4, input_tokens: 3000, output_tokens: 270, cost_usd: 0.03, saved_cost_usd: 0.032 });

    // By day: the two runs of the last hours may fall either side of midnight UTC; sum what each day holds.
    const expected = new Map<string, UsageJsonRow>();
    for (const [ms, row] of [
      [times.h1, { invocations: 1, input_tokens: 1200, output_tokens: 150, cost_usd: 0.012, saved_cost_usd: 0.03 }],
      [times.h2, { invocations: 1, input_tokens: 300, output_tokens: 0, cost_usd: 0.003, saved_cost_usd: 0 }],
      [times.d3, { invocations: 1, input_tokens: 800, output_tokens: 50, cost_usd: 0.008, saved_cost_usd: 0 }],
      [times.d10, { invocations: 1, input_tokens: 700, output_tokens: 70, cost_usd: 0.007, saved_cost_usd: 0.002 }],
    ] as const) {
      const sum = expected.get(utcDay(ms)) ?? { invocations: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0, saved_cost_usd: 0 };
      expected.set(utcDay(ms), {
        invocations: sum.invocations + row.invocations,
        input_tokens: sum.input_tokens + row.input_tokens,
        output_tokens: sum.output_tokens + row.output_tokens,
        cost_usd: Math.round((sum.cost_usd + row.cost_usd) * 1e9) / 1e9,
        saved_cost_usd: Math.round((sum.saved_cost_usd + row.saved_cost_usd) * 1e9) / 1e9,
      });
    }
    expect(usage.by_day).toEqual([...expected].sort(([a], [b]) => a.localeCompare(b)).map(([key, row]) => ({ day: key, ...row })));
  });

  it('narrows with --since (a duration or a date) and --bot', async () => {
    const { state } = seed();
    const [day1, week, date, bad] = await Promise.all([
      rehearse(['usage', '--state', state, '--since', '24h', '--format', 'json']),
      rehearse(['usage', '--state', state, '--since', '7d', '--bot', 'support-bot', '--format', 'json']),
      rehearse(['usage', '--state', state, '--since', utcDay(times.d3 - day), '--bot', 'refund-bot', '--format', 'json']),
      rehearse(['usage', '--state', state, '--since', 'last week']),
    ]);
    const lastDay = json<UsageJson>(day1);
    expect(lastDay.total).toEqual({ invocations: 2, input_tokens: 1500, output_tokens: 150, cost_usd: 0.015, saved_cost_usd: 0.03 });
    expect(Date.parse(lastDay.since!)).toBeGreaterThan(now - day - 60_000);

    const lastWeek = json<UsageJson>(week);
    expect(lastWeek).toMatchObject({ bot: 'support-bot', by_bot: [{ bot_id: 'support-bot', invocations: 2, input_tokens: 2000, output_tokens: 200, cost_usd: 0.02 }] });

    const sinceDate = json<UsageJson>(date);
    expect(sinceDate.total).toEqual({ invocations: 1, input_tokens: 300, output_tokens: 0, cost_usd: 0.003, saved_cost_usd: 0 });

    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since "last week" is neither a duration nor a date');
  });

  it('keeps orgs apart', async () => {
    const { state } = seed();
    const globex = json<UsageJson>(await rehearse(['usage', '--state', state, '--org', 'globex', '--format', 'json']));
    expect(globex.by_bot).toEqual([{ bot_id: 'support-bot', invocations: 1, input_tokens: 5000, output_tokens: 500, cost_usd: 1.5, saved_cost_usd: 0.5 }]);
    // The org can come from the environment too.
    const fromEnv = json<UsageJson>(await rehearse(['usage', '--state', state, '--format', 'json'], { env: { REHEARSE_ORG: 'globex' } }));
    expect(fromEnv.total.invocations).toBe(1);
    const empty = await rehearse(['usage', '--state', state, '--org', 'initech']);
    expect(empty).toMatchObject({ code: 0, stdout: 'No runs recorded (org initech, all time).\n' });
  });

  it('prints plain aligned tables by bot and by day when stdout is not a terminal', async () => {
    const { state } = seed();
    const result = await rehearse(['usage', '--state', state]);
    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(/\x1b\[/);
    expect(result.stdout).toContain('Usage (org default, all time)');
    expect(result.stdout).toMatch(/By bot\nBOT +INVOCATIONS +INPUT TOKENS +OUTPUT TOKENS +COST +SAVED\n/);
    expect(result.stdout).toMatch(/By day\nDAY \(UTC\) +INVOCATIONS/);
    expect(cells(result.stdout, 'support-bot')).toEqual(['support-bot', '2', '2000', '200', '$0.0200', '$0.0300']);
    expect(cells(result.stdout, 'refund-bot')).toEqual(['refund-bot', '2', '1000', '70', '$0.0100', '$0.002000']);
    expect(cells(result.stdout, utcDay(times.d10))).toEqual([utcDay(times.d10), '1', '700', '70', '$0.007000', '$0.002000']);
    const totals = result.stdout.split('\n').filter((line) => line.startsWith('total '));
    expect(totals.map((line) => line.trim().split(/\s{2,}/))).toEqual([
      ['total', '4', '3000', '270', '$0.0300', '$0.0320'],
      ['total', '4', '3000', '270', '$0.0300', '$0.0320'],
    ]);
    // Aligned: every line of the by-bot table is as long as its header, numbers flush right.
    const lines = result.stdout.split('\n');
    const header = lines.findIndex((line) => line.startsWith('BOT '));
    const tableLines = lines.slice(header, header + 5);
    expect(new Set(tableLines.map((line) => line.length)).size).toBe(1);
  });

  it('reads the state file rehearse.config.json names when --state is left out', async () => {
    const { state } = seed();
    const project = tempDir('rehearse-cli-project-');
    writeFileSync(join(project, 'rehearse.config.json'), JSON.stringify({ state: { path: state } }));
    // The runner points REHEARSE_STATE at a temp file; unset it so the config decides.
    const noStateEnv = { env: { REHEARSE_STATE: '' } };
    const usage = json<UsageJson>(await rehearse(['usage', '--format', 'json'], { cwd: project, ...noStateEnv }));
    expect(usage.total.invocations).toBe(4);
    const viaConfig = json<UsageJson>(await rehearse(['usage', '--format', 'json', '--config', join(project, 'rehearse.config.json')], noStateEnv));
    expect(viaConfig.total.invocations).toBe(4);
  });
});

describe('rehearse runs', { timeout: 60_000 }, () => {
  it('lists the org’s runs newest first, with filters, as JSON', async () => {
    const { state, ids } = seed();
    const all = json<Array<{ id: string; bot_id: string; status: string; input_tokens: number; started_at: string }>>(await rehearse(['runs', '--state', state, '--format', 'json']));
    expect(all.map((record) => record.id)).toEqual([ids.recent, ids.failed, ids.older, ids.oldest]);
    expect(all[0]).toMatchObject({ bot_id: 'support-bot', status: 'completed', input_tokens: 1200, started_at: iso(times.h1) });

    const listed = async (...args: string[]) => json<Array<{ id: string }>>(await rehearse(['runs', '--state', state, '--format', 'json', ...args])).map((record) => record.id);
    const filtered = await Promise.all([
      listed('--bot', 'refund-bot'),
      listed('--status', 'failed'),
      listed('--since', '24h'),
      listed('--since', '7d', '--bot', 'support-bot'),
      listed('--since', iso(times.d3)),
      listed('--limit', '1'),
      listed('--org', 'globex'),
    ]);
    expect(filtered).toEqual([
      [ids.failed, ids.oldest],
      [ids.failed],
      [ids.recent, ids.failed],
      [ids.recent, ids.older],
      [ids.recent, ids.failed, ids.older],
      [ids.recent],
      [ids.globex],
    ]);
  });

  it('prints a table with a short id that runs show takes back', async () => {
    const { state, ids } = seed();
    const result = await rehearse(['runs', '--state', state]);
    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(/\x1b\[/);
    expect(result.stdout.split('\n')[0]).toMatch(/^RUN +STARTED \(UTC\) +BOT +MODE +STATUS +IN +OUT +COST +SAVED +DURATION +SESSION +ERROR$/);
    const row = cells(result.stdout, ids.failed!.slice(0, 16));
    expect(row.slice(2, 7)).toEqual(['refund-bot', 'live', 'failed', '300', '0']);
    expect(row.at(-1)).toBe('INVOCATION_TIMEOUT: The invocation did …');

    const shown = await rehearse(['runs', 'show', ids.failed!.slice(0, 16), '--state', state]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`Run ${ids.failed}`);
  });

  it('shows one run with its steps', async () => {
    const { state, ids } = seed();
    const result = await rehearse(['runs', 'show', ids.recent!.slice(4, 12), '--state', state]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain(`Run ${ids.recent}`);
    expect(result.stdout).toMatch(/status +completed/);
    expect(result.stdout).toMatch(/bot +support-bot \(version v1\)/);
    expect(result.stdout).toMatch(/tokens +1200 in \/ 150 out/);
    expect(result.stdout).toMatch(/cost +\$0\.0120 \(saved \$0\.0300 by cache hits\)/);
    expect(result.stdout).toContain('Steps (3)');
    expect(cells(result.stdout, '#')).toEqual(['#', 'ACTION', 'SOURCE', 'STATUS', 'DURATION', 'COST', 'SAVED', 'BOT']);
    expect(cells(result.stdout, '1')).toEqual(['1', 'llm.message', 'cache', 'success', '0.40 ms', '$0', '$0.0300', 'support-bot']);
    expect(cells(result.stdout, '3')).toEqual(['3', 'llm.message', 'live', 'success', '900 ms', '$0.0120', 'support-bot > refund-checker']);

    const asJson = json<{ id: string; steps: unknown[]; cost_usd: number }>(await rehearse(['runs', 'show', ids.recent!, '--state', state, '--format', 'json']));
    expect(asJson).toMatchObject({ id: ids.recent, cost_usd: 0.012 });
    expect(asJson.steps).toHaveLength(3);

    const failed = await rehearse(['runs', 'show', ids.failed!, '--state', state]);
    expect(failed.stdout).toMatch(/error +INVOCATION_TIMEOUT/);
    expect(failed.stdout).toContain('No steps.');
  });

  it('says which runs an ambiguous prefix matches, and when none does', async () => {
    const { state, ids } = seed();
    const ambiguous = await rehearse(['runs', 'show', 'inv_0', '--state', state]);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain('matches 4 runs in org default');
    for (const name of ['recent', 'failed', 'older', 'oldest']) expect(ambiguous.stderr).toContain(ids[name]);
    expect(ambiguous.stderr).not.toContain(ids.globex);

    const missing = await rehearse(['runs', 'show', ids.globex!, '--state', state]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`No run "${ids.globex}" in org default.`);
    const inGlobex = await rehearse(['runs', 'show', ids.globex!, '--state', state, '--org', 'globex']);
    expect(inGlobex.code).toBe(0);
  });
});

describe('rehearse sessions', { timeout: 60_000 }, () => {
  function seedSessions(): string {
    const state = join(tempDir('rehearse-cli-sessions-'), 'state.sqlite');
    appendSessionTurn(state, { org: 'default', sessionId: 'sess_a', botId: 'support-bot', user: 'Where is order 42?', assistant: 'It shipped on Monday.', at: '2025-05-01T09:00:00Z' });
    appendSessionTurn(state, { org: 'default', sessionId: 'sess_a', botId: 'support-bot', user: 'And the tracking number?', assistant: 'TRK-9.', at: '2025-05-01T09:05:00Z' });
    appendSessionTurn(state, { org: 'default', sessionId: 'sess_b', botId: 'refund-bot', user: 'Refund please', assistant: 'Done.', at: '2025-05-02T10:00:00Z' });
    appendSessionTurn(state, { org: 'globex', sessionId: 'sess_g', botId: 'support-bot', user: 'globex only', assistant: 'ok', at: '2025-05-03T10:00:00Z' });
    closeStateDatabase(state);
    return state;
  }

  it('lists an org’s sessions, newest first, by bot, as a table or JSON', async () => {
    const state = seedSessions();
    const [text, all, support, globexOnly, none] = await Promise.all([
      rehearse(['sessions', 'ls', '--state', state]),
      rehearse(['sessions', 'ls', '--state', state, '--format', 'json']),
      rehearse(['sessions', 'ls', '--state', state, '--bot', 'support-bot', '--format', 'json']),
      rehearse(['sessions', 'ls', '--state', state, '--org', 'globex', '--format', 'json']),
      rehearse(['sessions', 'ls', '--state', state, '--org', 'initech']),
    ]);
    expect(text.code).toBe(0);
    expect(text.stdout.split('\n')[0]).toMatch(/^SESSION +BOT +TURNS +UPDATED \(UTC\) +FIRST PROMPT$/);
    expect(cells(text.stdout, 'sess_b')).toEqual(['sess_b', 'refund-bot', '1', '2025-05-02 10:00:00', 'Refund please']);
    expect(cells(text.stdout, 'sess_a')).toEqual(['sess_a', 'support-bot', '2', '2025-05-01 09:05:00', 'Where is order 42?']);
    expect(text.stdout).not.toContain('sess_g');

    const listed = json<Array<{ id: string; bot_id: string; turns: number; created_at: string }>>(all);
    expect(listed.map((session) => [session.id, session.bot_id, session.turns])).toEqual([
      ['sess_b', 'refund-bot', 1],
      ['sess_a', 'support-bot', 2],
    ]);
    const bySupport = json<Array<{ id: string }>>(support);
    expect(bySupport.map((session) => session.id)).toEqual(['sess_a']);
    const globex = json<Array<{ id: string }>>(globexOnly);
    expect(globex.map((session) => session.id)).toEqual(['sess_g']);
    expect(none.stdout).toBe('No sessions in org initech.\n');
  });

  it('shows a session with its messages', async () => {
    const state = seedSessions();
    const text = await rehearse(['sessions', 'show', 'sess_a', '--state', state]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Session sess_a');
    expect(text.stdout).toMatch(/turns +2/);
    expect(text.stdout).toContain(
      ['[1] user: Where is order 42?', '[1] assistant: It shipped on Monday.', '[2] user: And the tracking number?', '[2] assistant: TRK-9.'].join('\n'),
    );
    const asJson = json<{ id: string; turns: number; messages: Array<{ turn: number; role: string; content: string }> }>(
      await rehearse(['sessions', 'show', 'sess_a', '--state', state, '--format', 'json']),
    );
    expect(asJson.messages.map((message) => [message.turn, message.role, message.content])).toEqual([
      [1, 'user', 'Where is order 42?'],
      [1, 'assistant', 'It shipped on Monday.'],
      [2, 'user', 'And the tracking number?'],
      [2, 'assistant', 'TRK-9.'],
    ]);

    const otherOrg = await rehearse(['sessions', 'show', 'sess_g', '--state', state]);
    expect(otherOrg.code).toBe(1);
    expect(otherOrg.stderr).toContain('No session "sess_g" in org default.');
  });

  it('deletes a session and its sandbox folder, only in its org', async () => {
    const state = seedSessions();
    const sandbox = sessionSandboxDir(state, 'default', 'sess_a');
    mkdirSync(sandbox, { recursive: true });
    writeFileSync(join(sandbox, 'notes.txt'), 'from turn 1');

    const wrongOrg = await rehearse(['sessions', 'rm', 'sess_a', '--state', state, '--org', 'globex']);
    expect(wrongOrg.code).toBe(1);
    expect(existsSync(sandbox)).toBe(true);

    const removed = await rehearse(['sessions', 'rm', 'sess_a', '--state', state]);
    expect(removed).toMatchObject({ code: 0, stdout: 'Deleted session sess_a (org default).\n' });
    expect(existsSync(sandbox)).toBe(false);
    const listed = json<Array<{ id: string }>>(await rehearse(['sessions', 'ls', '--state', state, '--format', 'json']));
    expect(listed.map((session) => session.id)).toEqual(['sess_b']);

    const again = await rehearse(['sessions', 'rm', 'sess_a', '--state', state, '--format', 'json']);
    expect(again.code).toBe(1);
    const asJson = json<{ deleted: boolean }>(await rehearse(['sessions', 'rm', 'sess_b', '--state', state, '--format', 'json']));
    expect(asJson).toEqual({ id: 'sess_b', org: 'default', deleted: true });
  });

  it('refuses a session id that is not a safe folder name, and a missing subcommand, as usage errors', async () => {
    const state = seedSessions();
    const bad = await rehearse(['sessions', 'rm', '../sess_a', '--state', state]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Session id "../sess_a" is not valid');
    const bare = await rehearse(['sessions', '--state', state]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('Name a sessions command: ls, show <id> or rm <id>.');
  });
});

describe('--since', () => {
  const at = Date.parse('2025-06-10T12:00:00Z');
  it.each([
    ['30m', '2025-06-10T11:30:00.000Z'],
    ['24h', '2025-06-09T12:00:00.000Z'],
    ['7d', '2025-06-03T12:00:00.000Z'],
    ['2w', '2025-05-27T12:00:00.000Z'],
    ['1.5h', '2025-06-10T10:30:00.000Z'],
    ['2025-06-01', '2025-06-01T00:00:00.000Z'],
    ['2025-06-01T08:00:00+02:00', '2025-06-01T06:00:00.000Z'],
  ])('reads %s', (text, expected) => {
    expect(parseSince(text, at)).toBe(expected);
  });

  it.each(['yesterday', '7', '-7d', '2025-13-45', ''])('refuses %j', (text) => {
    expect(() => parseSince(text, at)).toThrow(UsageError);
  });
});
