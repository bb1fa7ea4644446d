/**
 * The README's session example run one turn too many: `-s ticket-7` with the first prompt twice in
 * replay mode. The second run's calls carry the session's history, which no recording has, and with
 * no key (or no reachable endpoint) they cannot be recorded: the error names that miss as the cause,
 * how the call differs from the nearest recording, and how to record it or run --strict, instead of
 * only "OPENAI_API_KEY is not set" or "Could not reach OpenAI-compatible endpoint".
 */
import { copyFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { rehearse, repoRoot } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

beforeAll(() => {
  if (!existsSync(join(repoRoot, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run `npm run build` first.');
});

const firstTurn = 'I was charged twice for my order';

/** A port nothing listens on: taken, then let go. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The committed demo cache copied, and a state file of its own, so the session starts empty. */
function demo(env: Record<string, string> = {}) {
  const dir = tempDir('rehearse-session-miss-');
  const cache = join(dir, 'cache.sqlite');
  copyFileSync(join(repoRoot, 'cache/rehearse.sqlite'), cache);
  const run = (prompt: string, ...more: string[]) =>
    rehearse(['invoke', 'support-bot', prompt, '--mode', 'replay', '-s', 'ticket-7', '--cache', cache, ...more], { env: { REHEARSE_STATE: join(dir, 'state.sqlite'), ...env } });
  return { run, cache };
}

describe('a replay miss that cannot be recorded', () => {
  it('with no key: names the session turn with no recording, how it differs, and how to record it or run --strict', async () => {
    const { run } = demo();
    const first = await run(firstTurn, '--format', 'text');
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);

    const again = await run(firstTurn, '--format', 'text');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('Replay miss: this turn of session "ticket-7" has no recording, and it could not be recorded live: OPENAI_API_KEY is not set');
    expect(again.stderr).toContain('session: ticket-7, carrying 2 earlier messages');
    expect(again.stderr).toMatch(/Nearest recording: key [0-9a-f]{12}/);
    expect(again.stderr).toMatch(/messages\[\d\]/);
    expect(again.stderr).toContain(`npx rehearse invoke support-bot '${firstTurn}' --mode replay -s ticket-7`);
    expect(again.stderr).toContain('add --strict');
    expect(again.stderr).toContain('new session');

    const json = await run(firstTurn, '--format', 'json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'failed', error: { code: 'CACHE_MISS_NOT_RECORDED' } });
  });

  it('with a key but no reachable endpoint: the same cause, with what the live attempt ran into', async () => {
    const port = await closedPort();
    const { run } = demo({ OPENAI_API_KEY: 'sk-test-unused', OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1` });
    const miss = await run('A question nobody recorded', '--format', 'text');
    expect(miss.code).toBe(1);
    expect(miss.stderr).toContain('Replay miss: bot "support-bot" called llm.message with params that have no recording, and it could not be recorded live: Could not reach');
    expect(miss.stderr).toContain(`127.0.0.1:${port}`);
    expect(miss.stderr).toContain('add --strict');
    // A first turn is no continued conversation: no word on sessions.
    expect(miss.stderr).not.toContain('new session');
  });

  it('--strict still reports a strict miss, and the README session replays turn after turn', async () => {
    const { run } = demo();
    expect((await run(firstTurn, '--format', 'text')).code).toBe(0);
    const second = await run('When will I get the money back?', '--format', 'text');
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    const strict = await run(firstTurn, '--strict', '--format', 'text');
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('Strict replay miss');
  });
});
