/**
 * Many invocations at once in one process (`Promise.all`): each keeps its own events, ids, output,
 * usage and sandbox, whatever the others do at the same time, and many replay invocations share one
 * cache file without losing an entry.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineBot, invoke, type CodeExecOutput, type InvokeResult, type Mocks, type RehearseEvent } from '../../src/index.js';
import { defaultChatHandler, startOpenAIServer, type ChatReply, type FakeOpenAIServer } from '../support/openai-server.js';
import { tempDir } from '../support/temp.js';

const count = 50;

/** A marker no other invocation's prompt contains (`<job-1>` is not inside `<job-10>`). */
const tag = (index: number) => `<job-${index}>`;

const twoCalls = defineBot({
  key: 'concurrent-bot',
  version: 'v1',
  async run(input, ctx) {
    const first = await ctx.llm.message({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: input.prompt }] });
    ctx.log(`first answer for ${input.prompt}`);
    const second = await ctx.llm.message({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `${input.prompt} again` }] });
    return `${first.content} | ${second.content}`;
  },
});

type Started = Extract<RehearseEvent, { type: 'invocation.started' }>;
type Completed = Extract<RehearseEvent, { type: 'invocation.completed' }>;

/**
 * The result holds its own invocation's events and nothing else: one started and one completed
 * event naming its ids, its two actions numbered from 1 and carrying its own marker, no other
 * invocation's marker anywhere, and the same events its printEvents callback saw as they happened.
 */
function expectOwnEvents(result: InvokeResult, index: number, printed: RehearseEvent[], source: 'live' | 'cache' | 'mock'): void {
  const { events } = result;
  expect(result.status, JSON.stringify(result.error)).toBe('completed');
  expect(result.invocationId).toMatch(/^inv_/);

  const started = events.filter((event): event is Started => event.type === 'invocation.started');
  const completed = events.filter((event): event is Completed => event.type === 'invocation.completed');
  expect(started).toHaveLength(1);
  expect(completed).toHaveLength(1);
  expect(events[0]).toBe(started[0]);
  expect(events.at(-1)).toBe(completed[0]);
  expect(started[0]).toMatchObject({ invocation_id: result.invocationId, session_id: result.sessionId, bot_id: 'concurrent-bot', mode: result.mode });
  expect(completed[0]).toMatchObject({ invocation_id: result.invocationId, status: 'completed' });

  const actionStarted = events.filter((event) => event.type === 'action.started');
  const actionCompleted = events.filter((event) => event.type === 'action.completed');
  expect(actionStarted.map((event) => event.action_id)).toEqual(['action_1', 'action_2']);
  expect(actionCompleted.map((event) => event.action_id)).toEqual(['action_1', 'action_2']);
  for (const event of [...actionStarted, ...actionCompleted]) {
    expect(event.bot_path).toBe('concurrent-bot');
    expect(JSON.stringify(event)).toContain(tag(index));
  }
  for (const event of actionCompleted) expect(event).toMatchObject({ status: 'success', source });

  const text = JSON.stringify(events);
  for (let other = 0; other < count; other++) if (other !== index) expect(text).not.toContain(tag(other));
  expect(printed).toEqual(events);
}

let server: FakeOpenAIServer;
beforeEach(async () => {
  server = await startOpenAIServer();
  // Echo answers after a short, varying delay, so that the invocations' calls interleave.
  server.reply((request) => {
    const reply = defaultChatHandler(request);
    const prompt = String(request.body?.messages?.[0]?.content ?? '');
    const index = Number(/<job-(\d+)>/.exec(prompt)?.[1] ?? 0);
    return reply.kind === 'message' ? ({ ...reply, delayMs: (index * 7) % 40 } satisfies ChatReply) : reply;
  });
});
afterEach(() => server.close());

describe('50 invocations in one Promise.all', () => {
  it('replay recordings into one cache file and manual runs with their own mocks, all at once; then 50 strict replays', async () => {
    const dir = tempDir();
    const cachePath = join(dir, 'cache.sqlite');
    const env = { OPENAI_BASE_URL: server.url };
    const printedReplay = Array.from({ length: count }, () => [] as RehearseEvent[]);
    const printedManual = Array.from({ length: count }, () => [] as RehearseEvent[]);

    const mocksFor = (index: number): Mocks =>
      index % 2 === 0
        ? {
            'llm.message': [
              { status: 'success', output: `mocked one ${tag(index)}`, usage: { input_tokens: index, output_tokens: 1 } },
              { status: 'success', output: `mocked two ${tag(index)}`, usage: { input_tokens: index, output_tokens: 2 } },
            ],
          }
        : {
            // A function mock: it sees only its own invocation's calls, numbered from 0.
            'llm.message': (_params, call) => ({
              status: 'success',
              output: `mocked ${call.index === 0 ? 'one' : 'two'} ${tag(index)}`,
              usage: { input_tokens: index, output_tokens: call.index + 1 },
            }),
          };

    const recording = Array.from({ length: count }, (_, index) =>
      invoke(twoCalls, { input: `hello ${tag(index)}`, mode: 'replay', cachePath, cwd: dir, env, printEvents: (event) => printedReplay[index]!.push(event) }),
    );
    const manual = Array.from({ length: count }, (_, index) =>
      invoke(twoCalls, {
        input: `hi ${tag(index)}`,
        mode: 'manual',
        mocks: mocksFor(index),
        cwd: dir,
        env: {},
        ...(index % 3 === 0 && { sessionId: `sess_given_${index}` }),
        printEvents: (event) => printedManual[index]!.push(event),
      }),
    );
    const [recorded, mocked] = await Promise.all([Promise.all(recording), Promise.all(manual)]);

    recorded.forEach((result, index) => {
      expectOwnEvents(result, index, printedReplay[index]!, 'live');
      expect(result.result.output).toBe(`echo: hello ${tag(index)} | echo: hello ${tag(index)} again`);
      expect(result.cache).toMatchObject({ hits: 0, recorded: 2 });
    });
    mocked.forEach((result, index) => {
      expectOwnEvents(result, index, printedManual[index]!, 'mock');
      expect(result.result.output).toBe(`mocked one ${tag(index)} | mocked two ${tag(index)}`);
      expect(result.usage).toEqual({ inputTokens: 2 * index, outputTokens: 3 });
      if (index % 3 === 0) expect(result.sessionId).toBe(`sess_given_${index}`);
    });
    const all = [...recorded, ...mocked];
    expect(new Set(all.map((result) => result.invocationId)).size).toBe(2 * count);
    expect(new Set(all.map((result) => result.sessionId)).size).toBe(2 * count);
    expect(new Set(all.map((result) => result.events)).size).toBe(2 * count);
    expect(server.requests).toHaveLength(2 * count);

    const db = new Database(cachePath, { readonly: true });
    try {
      expect(db.prepare('SELECT count(*) AS n FROM entries').get()).toEqual({ n: 2 * count });
      expect(db.prepare('PRAGMA integrity_check').get()).toEqual({ integrity_check: 'ok' });
    } finally {
      db.close();
    }
    const bytes = readFileSync(cachePath);

    const printedStrict = Array.from({ length: count }, () => [] as RehearseEvent[]);
    const replayed = await Promise.all(
      Array.from({ length: count }, (_, index) =>
        invoke(twoCalls, {
          input: `hello ${tag(index)}`,
          mode: 'replay',
          strict: true,
          cachePath,
          cwd: dir,
          env,
          printEvents: (event) => printedStrict[index]!.push(event),
        }),
      ),
    );
    replayed.forEach((result, index) => {
      expectOwnEvents(result, index, printedStrict[index]!, 'cache');
      expect(result.result.output).toBe(recorded[index]!.result.output);
      expect(result.cache).toMatchObject({ hits: 2, misses: 0, recorded: 0 });
      expect(result.invocationId).not.toBe(recorded[index]!.invocationId);
    });
    expect(server.requests).toHaveLength(2 * count);
    // Strict replays only read: the file is unchanged and nothing is left beside it.
    expect(readFileSync(cachePath).equals(bytes)).toBe(true);
    expect(existsSync(`${cachePath}-wal`)).toBe(false);
    expect(existsSync(`${cachePath}-shm`)).toBe(false);
  });

  it('20 invocations running code at once each get a sandbox of their own, all removed afterwards', async () => {
    const runs = 20;
    const coder = defineBot({
      key: 'concurrent-coder',
      version: 'v1',
      async run(input, ctx) {
        const code = [
          "const fs = require('node:fs');",
          `fs.writeFileSync('mine.txt', ${JSON.stringify(input.prompt)});`,
          'setTimeout(() => process.stdout.write(process.cwd()), 100);',
        ].join('\n');
        const ran: CodeExecOutput = await ctx.codeexec.run({ language: 'node', code });
        // A second run of the same invocation sees the file: same sandbox.
        const again: CodeExecOutput = await ctx.codeexec.run({ language: 'node', code: "process.stdout.write(require('node:fs').readFileSync('mine.txt', 'utf8'))" });
        return { cwd: ran.stdout, files: ran.files, exitCode: ran.exit_code, readBack: again.stdout };
      },
    });
    const results = await Promise.all(
      Array.from({ length: runs }, (_, index) => invoke(coder, { input: `file of ${tag(index)}`, mode: 'live', cwd: tempDir(), env: { PATH: process.env.PATH } })),
    );
    const sandboxes = results.map((result, index) => {
      expect(result.status, JSON.stringify(result.error)).toBe('completed');
      const output = result.result.output as { cwd: string; files: CodeExecOutput['files']; exitCode: number; readBack: string };
      expect(output.exitCode).toBe(0);
      expect(output.files).toEqual([{ path: 'mine.txt', size: Buffer.byteLength(`file of ${tag(index)}`), change: 'created' }]);
      expect(output.readBack).toBe(`file of ${tag(index)}`);
      expect(basename(output.cwd)).toMatch(/^rehearse-sandbox-/);
      return output.cwd;
    });
    expect(new Set(sandboxes).size).toBe(runs);
    for (const sandbox of sandboxes) expect(existsSync(sandbox)).toBe(false);
    expect(new Set(results.map((result) => result.invocationId)).size).toBe(runs);
    expect(new Set(results.map((result) => result.sessionId)).size).toBe(runs);
  });
});
