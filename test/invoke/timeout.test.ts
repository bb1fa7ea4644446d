/**
 * Timeouts and cancellation: the invocation ends `failed` on time, its in-flight HTTP request is
 * cancelled (the server sees the socket close), its subprocesses are killed, nothing partial is
 * recorded, and a timeout above the maximum is a usage error.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { defineBot, invoke, registerAction, type InvokeResult } from '../../src/index.js';
import { startOpenAIServer } from '../support/openai-server.js';
import { tempDir } from '../support/temp.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A provider that accepts every request and never answers, and tells when a request's connection closes (closed in afterEach). */
interface SlowServer {
  url: string;
  requests: number;
  /** Resolves when the n-th request's socket (0-based) has closed. */
  closed(index: number): Promise<void>;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function startSlowServer(): Promise<SlowServer> {
  const closes: Array<Promise<void>> = [];
  let arrived: () => void = () => {};
  let next = new Promise<void>((resolve) => (arrived = resolve));
  const state = { requests: 0 };
  const server = createServer((req) => {
    state.requests++;
    // Never answered: only the client can end this request, by closing its connection.
    closes.push(new Promise((resolve) => req.socket.once('close', () => resolve())));
    arrived();
    next = new Promise<void>((resolve) => (arrived = resolve));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    get requests() {
      return state.requests;
    },
    async closed(index) {
      while (closes.length <= index) await next;
      await closes[index];
    },
  };
}

/** Resolves with 'closed', or 'open' if it takes longer than `ms`. */
function within(promise: Promise<void>, ms: number): Promise<'closed' | 'open'> {
  return Promise.race([promise.then(() => 'closed' as const), sleep(ms).then(() => 'open' as const)]);
}

/** Gone: no such process, or a zombie (this container's PID 1 does not reap orphans; a zombie runs nothing). */
function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return true;
    throw error;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true; // reaped between the two looks
  }
}

async function goneWithin(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!isGone(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

const asker = defineBot({
  key: 'slow-asker',
  version: 'v1',
  async run(input, ctx) {
    const first = await ctx.llm.message({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: input.prompt }] });
    const second = await ctx.llm.message({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `${input.prompt}, then more` }] });
    return `${first.content} / ${second.content}`;
  },
});

function expectTimedOut(result: InvokeResult, wallMs: number): void {
  expect(result.status).toBe('failed');
  expect(result.success).toBe(false);
  expect(result.error?.code).toBe('INVOCATION_TIMEOUT');
  expect(result.result).toMatchObject({ status: 'failed', output: undefined });
  expect(result.events.at(-1)).toMatchObject({ type: 'invocation.completed', status: 'failed', error: { code: 'INVOCATION_TIMEOUT' } });
  expect(result.durationMs).toBeGreaterThanOrEqual(450);
  expect(wallMs).toBeLessThan(2000);
}

describe('timeoutMs', () => {
  it('ends an invocation waiting on a slow provider as failed, INVOCATION_TIMEOUT, and cancels the request', async () => {
    const slow = await startSlowServer();
    const started = performance.now();
    const result = await invoke(asker, { input: 'hello', mode: 'live', timeoutMs: 500, cwd: tempDir(), env: { OPENAI_BASE_URL: slow.url } });
    expectTimedOut(result, performance.now() - started);
    expect(slow.requests).toBe(1);
    expect(await within(slow.closed(0), 1000)).toBe('closed');
    // No retry after the timeout.
    await sleep(100);
    expect(slow.requests).toBe(1);
  });

  it('kills a sleeping subprocess and what it started, and removes its sandbox', async () => {
    const dir = tempDir();
    const pidFile = join(dir, 'pids');
    const sleeper = defineBot({
      key: 'sleeper',
      version: 'v1',
      // $$ is bash itself; $! the background sleep, in the same process group; $PWD the sandbox.
      run: (_input, ctx) => ctx.codeexec.run({ language: 'bash', code: `sleep 30 &\necho "$$ $! $PWD" > ${JSON.stringify(pidFile)}\nwait` }),
    });
    const started = performance.now();
    const result = await invoke(sleeper, { input: 'zzz', mode: 'live', timeoutMs: 500, cwd: dir, env: { PATH: process.env.PATH } });
    expectTimedOut(result, performance.now() - started);

    const [bashPid, sleepPid, sandbox] = readFileSync(pidFile, 'utf8').trim().split(' ');
    const pids = [Number(bashPid), Number(sleepPid)];
    for (const pid of pids) {
      expect(pid).toBeGreaterThan(1);
      expect(await goneWithin(pid, 1000), `process ${pid} still runs`).toBe(true);
    }
    expect(sandbox).toMatch(/rehearse-sandbox-/);
    expect(existsSync(sandbox!)).toBe(false);
  });

  it('in replay mode records what finished before the timeout and nothing of the call it cut off', async () => {
    const server = await startOpenAIServer();
    try {
      server.enqueue({ kind: 'message', content: 'first answer' }, { kind: 'hang' });
      const dir = tempDir();
      const cachePath = join(dir, 'cache.sqlite');
      const options = { input: 'hello', mode: 'replay' as const, cachePath, cwd: dir, env: { OPENAI_BASE_URL: server.url } };

      const started = performance.now();
      const result = await invoke(asker, { ...options, timeoutMs: 500 });
      expectTimedOut(result, performance.now() - started);
      expect(server.requests).toHaveLength(2);
      expect(result.cache).toMatchObject({ hits: 0, recorded: 1 });
      const firstKey = result.events.find((event) => event.type === 'action.completed')?.cache_key;
      expect(firstKey).toMatch(/^[0-9a-f]{64}$/);

      // A late answer must not be recorded after the fact either.
      await sleep(200);
      const readKeys = () => {
        const db = new Database(cachePath, { readonly: true });
        try {
          return db.prepare<[], { key: string; status: string }>('SELECT key, status FROM entries').all();
        } finally {
          db.close();
        }
      };
      expect(readKeys()).toEqual([{ key: firstKey, status: 'success' }]);
      expect(existsSync(`${cachePath}-wal`)).toBe(false);

      // Replaying strictly: the first call is a hit, the cut-off one a miss naming its key, which has no row.
      const replayed = await invoke(asker, { ...options, strict: true });
      expect(replayed.status).toBe('failed');
      expect(replayed.error?.code).toBe('CACHE_STRICT_MISS');
      expect(replayed.cache).toMatchObject({ hits: 1, misses: 1, recorded: 0 });
      const missKey = replayed.events.filter((event) => event.type === 'action.completed').at(-1)?.cache_key;
      expect(missKey).toMatch(/^[0-9a-f]{64}$/);
      expect(missKey).not.toBe(firstKey);
      expect(readKeys().map((row) => row.key)).not.toContain(missKey);
      expect(server.requests).toHaveLength(2);
    } finally {
      await server.close();
    }
  });

  it('an aborted signal also ends the invocation as failed and cancels its request', async () => {
    const slow = await startSlowServer();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const started = performance.now();
    const result = await invoke(asker, { input: 'hello', mode: 'live', signal: controller.signal, cwd: tempDir(), env: { OPENAI_BASE_URL: slow.url } });
    expect(performance.now() - started).toBeLessThan(1500);
    expect(result.status).toBe('failed');
    expect(result.error).toBeDefined();
    expect(await within(slow.closed(0), 1000)).toBe('closed');
  });

  it('above 600000 ms is a usage error; 600000 itself is accepted', async () => {
    const quick = defineBot({ key: 'quick', version: 'v1', run: () => 'ok' });
    await expect(invoke(quick, { mode: 'manual', env: {}, cwd: tempDir(), timeoutMs: 600_001 })).rejects.toMatchObject({
      code: 'USAGE',
      message: expect.stringContaining('600000'),
    });
    const accepted = await invoke(quick, { mode: 'manual', env: {}, cwd: tempDir(), timeoutMs: 600_000 });
    expect(accepted.status).toBe('completed');
  });
});

describe('an action that ignores the signal', () => {
  it('is not recorded when it finishes after its invocation timed out, and leaves no -wal/-shm behind', async () => {
    registerAction<{ a: number }, { a: number }>({
      type: 'test-timeout.slow-thing',
      cachedByDefault: true,
      run: async (params) => {
        await new Promise((resolve) => setTimeout(resolve, 600));
        return { output: params };
      },
    });
    const dir = tempDir();
    const cachePath = join(dir, 'c.sqlite');
    const bot = defineBot({ key: 'late-bot', version: 'v1', run: (_input, ctx) => ctx.act('test-timeout.slow-thing', { a: 1 }) });
    const timedOut = await invoke(bot, { input: 'x', mode: 'replay', cachePath, cwd: dir, timeoutMs: 150, env: {} });
    expect(timedOut.error?.code).toBe('INVOCATION_TIMEOUT');
    await new Promise((resolve) => setTimeout(resolve, 900));
    expect(existsSync(cachePath)).toBe(false);
    expect(existsSync(`${cachePath}-wal`)).toBe(false);
    const strict = await invoke(bot, { input: 'x', mode: 'replay', strict: true, cachePath, cwd: dir, env: {} });
    expect(strict.error?.code).toBe('CACHE_STRICT_MISS');
  });
});
