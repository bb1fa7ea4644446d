/**
 * `rehearse invoke`, end to end: the real CLI (bin/rehearse.js, running dist/) as a child process with
 * a controlled environment. The committed cache is never touched: every test that replays uses its
 * own copy. Nothing reaches the internet: the "provider" is either a closed port or the local fake.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { rehearse, type CliRun } from '../support/cli.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoProviderHandler } from '../support/demo-provider.js';
import { startOpenAIServer } from '../support/openai-server.js';

const root = resolve(import.meta.dirname, '../..');
const committedCache = join(root, 'cache/rehearse.sqlite');
/** Nothing listens on the discard port: a live call there fails at once instead of leaving the machine. */
const deadProvider = 'http://127.0.0.1:9/v1';
const recordedPrompt = 'I was charged twice for my order';


let scratch: string;
let folders = 0;

beforeAll(() => {
  if (!existsSync(join(root, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run `npm run build` first.');
  scratch = mkdtempSync(join(tmpdir(), 'rehearse-cli-invoke-'));
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** A fresh folder under this file's scratch folder (safe in concurrent tests). */
function folder(): string {
  const dir = join(scratch, `t${++folders}`);
  mkdirSync(dir);
  return dir;
}

/** A private copy of the committed cache. */
function cacheCopy(): string {
  const path = join(folder(), 'rehearse.sqlite');
  copyFileSync(committedCache, path);
  return path;
}

/** What lies next to a cache file other than the file itself (-wal, -shm, -journal). */
function sidecars(cachePath: string): string[] {
  return readdirSync(dirname(cachePath)).filter((name) => name !== basename(cachePath) && name.startsWith(basename(cachePath)));
}

interface EntryRow {
  key: string;
  params: string;
  usage: string | null;
  cost_usd: number;
}

function rows(cachePath: string): EntryRow[] {
  const db = new Database(cachePath, { readonly: true, fileMustExist: true });
  try {
    return db.prepare<[], EntryRow>('SELECT key, params, usage, cost_usd FROM entries ORDER BY key').all();
  } finally {
    db.close();
  }
}

/** The recordings of one prompt of the demo bot. */
/** The recordings of calls whose last message is this prompt (a later turn of a session holds it in its history too). */
function recordingsOf(cachePath: string, prompt: string): EntryRow[] {
  return rows(cachePath).filter((row) => (JSON.parse(row.params) as { messages: Array<{ content: string }> }).messages.at(-1)?.content === prompt);
}

function jsonLines(text: string): Array<{ type: string; [field: string]: unknown }> {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  return lines.map((line) => JSON.parse(line) as { type: string });
}

/** The first JSON object that starts at the beginning of a line and ends at a line holding only "}". */
function jsonBlock(text: string): unknown {
  const match = /^\{\n[\s\S]*?\n\}$/m.exec(text);
  if (!match) throw new Error(`no JSON block in:\n${text}`);
  return JSON.parse(match[0]);
}

const replayStrict = ['--mode', 'replay', '--strict'];
const offline = { OPENAI_BASE_URL: deadProvider };

/** One strict run of the recorded prompt with --param tone=formal, shared by the tests that read it. */
let formalMissRun: Promise<CliRun> | undefined;
function formalMiss(): Promise<CliRun> {
  formalMissRun ??= rehearse(['invoke', 'support-bot', recordedPrompt, ...replayStrict, '--param', 'tone=formal', '--format', 'json', '--cache', cacheCopy()], {
    env: offline,
  });
  return formalMissRun;
}

// Child processes are CPU-bound; on a small machine running the whole suite, give them room.
describe.concurrent('rehearse invoke', { timeout: 60_000 }, () => {
  describe('rehearse invoke: replay from a copy of the committed cache', () => {
    it('--format text prints the answer and leaves the cache byte-identical', async () => {
      const cache = cacheCopy();
      const before = readFileSync(cache);
      const run = await rehearse(['invoke', 'support-bot', recordedPrompt, ...replayStrict, '--format', 'text', '--cache', cache], { env: offline });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/refund/i);
      expect(run.stdout.trim().split('\n')).toHaveLength(1); // the answer only, without --verbose
      expect(readFileSync(cache).equals(before)).toBe(true);
      expect(sidecars(cache)).toEqual([]);
    });

    it('--format json prints the snake_case summary with two cache hits', async () => {
      const cache = cacheCopy();
      const run = await rehearse(['invoke', 'support-bot', recordedPrompt, ...replayStrict, '--format', 'json', '--cache', cache], { env: offline });
      expect(run.code).toBe(0);
      const summary = JSON.parse(run.stdout) as Record<string, unknown> & { cache: Record<string, unknown> };
      expect(Object.keys(summary)).toEqual(
        expect.arrayContaining(['invocation_id', 'session_id', 'response_content', 'input_tokens', 'output_tokens', 'total_cost_usd', 'duration_ms', 'status', 'cache']),
      );
      expect(summary.invocation_id).toMatch(/^inv_/);
      expect(summary.session_id).toMatch(/^sess_/);
      expect(summary.bot_id).toBe('support-bot');
      expect(summary.mode).toBe('replay');
      expect(summary.status).toBe('completed');
      expect(summary.response_content).toMatch(/refund/i);
      expect(summary.error).toBeNull();
      expect(summary.cache).toMatchObject({ hits: 2, misses: 0, recorded: 0 });
      expect(summary.total_cost_usd).toBe(0); // replayed: nothing was spent...

      // ...and what was saved, and the tokens, are those of the two recordings.
      const recorded = recordingsOf(cache, recordedPrompt);
      expect(recorded).toHaveLength(2);
      const usages = recorded.map((row) => JSON.parse(row.usage ?? 'null') as { input_tokens: number; output_tokens: number });
      expect(summary.input_tokens).toBe(usages.reduce((sum, usage) => sum + usage.input_tokens, 0));
      expect(summary.output_tokens).toBe(usages.reduce((sum, usage) => sum + usage.output_tokens, 0));
      expect(summary.cache.saved_cost_usd).toBeCloseTo(recorded.reduce((sum, row) => sum + row.cost_usd, 0), 12);
      expect(Number.isInteger(summary.duration_ms)).toBe(true);
    });

    it('--format events (the default) prints JSON lines from invocation.started to invocation.completed', async () => {
      const cache = cacheCopy();
      const run = await rehearse(['invoke', 'support-bot', recordedPrompt, ...replayStrict, '--cache', cache], { env: offline });
      expect(run.code).toBe(0);
      const events = jsonLines(run.stdout);
      expect(events[0]?.type).toBe('invocation.started');
      expect(events[0]).toMatchObject({ bot_id: 'support-bot', mode: 'replay', org: 'default' });
      expect(events.at(-1)).toMatchObject({ type: 'invocation.completed', status: 'completed' });
      // The two LLM calls come from the cache; the help-centre search and the order lookup run for real (local, free).
      const completed = events.filter((event) => event.type === 'action.completed');
      expect(completed.map((event) => [event.action_type, event.source, event.status])).toEqual([
        ['llm.message', 'cache', 'success'],
        ['memory.search', 'live', 'success'],
        ['codeexec.run', 'live', 'success'],
        ['llm.message', 'cache', 'success'],
      ]);
      const fromCache = completed.filter((event) => event.source === 'cache');
      expect(fromCache.map((event) => event.cache_key).sort()).toEqual(recordingsOf(cache, recordedPrompt).map((row) => row.key).sort());
    });

    it('--stream prints the same kind of JSON lines', async () => {
      const cache = cacheCopy();
      const run = await rehearse(['invoke', 'support-bot', recordedPrompt, ...replayStrict, '--stream', '--cache', cache], { env: offline });
      expect(run.code).toBe(0);
      const events = jsonLines(run.stdout);
      expect(events[0]).toMatchObject({ type: 'invocation.started', bot_id: 'support-bot', mode: 'replay' });
      expect(events.at(-1)).toMatchObject({ type: 'invocation.completed', status: 'completed' });
      expect(events.some((event) => event.type === 'result')).toBe(false); // the result item is not an event
      // Each action's started line comes before its completed line, and both come from the cache.
      const actions = events.filter((event) => event.type.startsWith('action.'));
      expect(actions.map((event) => `${event.type} ${String(event.action_id)}`)).toEqual([
        'action.started action_1',
        'action.completed action_1',
        'action.started action_2',
        'action.completed action_2',
        'action.started action_3',
        'action.completed action_3',
        'action.started action_4',
        'action.completed action_4',
      ]);
      for (const event of actions.filter((e) => e.type === 'action.completed' && e.action_type === 'llm.message')) {
        expect(event).toMatchObject({ source: 'cache', status: 'success' });
      }
    });

    it('--verbose --format text shows each step served from the cache', async () => {
      const cache = cacheCopy();
      const run = await rehearse(['invoke', 'support-bot', recordedPrompt, ...replayStrict, '--format', 'text', '--verbose', '--cache', cache], {
        env: offline,
      });
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/refund/i);
      const steps = run.stdout.split('\n').filter((line) => /llm\.message\s+cache\b/.test(line));
      expect(steps).toHaveLength(2);
      expect(run.stdout).toContain('replay mode');
      expect(run.stdout).toMatch(/cache 2 hits, 0 misses, 0 recorded/);
      expect(run.stdout).not.toMatch(/\u001b\[/); // no colour codes into a pipe
    });

    it('REHEARSE_MODE, REHEARSE_STRICT and REHEARSE_CACHE select strict replay without flags', async () => {
      const cache = cacheCopy();
      const env = { ...offline, REHEARSE_MODE: 'replay', REHEARSE_STRICT: '1', REHEARSE_CACHE: cache };
      const [hit, miss] = await Promise.all([
        rehearse(['invoke', 'support-bot', recordedPrompt, '--format', 'json'], { env }),
        rehearse(['invoke', 'support-bot', 'A question nobody recorded', '--format', 'json'], { env }),
      ]);
      expect(hit.code).toBe(0);
      expect(JSON.parse(hit.stdout)).toMatchObject({ mode: 'replay', status: 'completed', cache: { hits: 2 } });

      // Strict: the miss is an error, not a live call, and it names the cache the variable chose.
      expect(miss.code).toBe(1);
      expect(miss.stderr).toContain('Strict replay miss');
      expect(miss.stderr).toContain(relative(root, cache));
      expect(miss.stderr).not.toContain('PROVIDER_UNREACHABLE');
    });

    it('-i reads the prompt from a text file', async () => {
      const cache = cacheCopy();
      const file = join(folder(), 'question.txt');
      writeFileSync(file, `${recordedPrompt}\n`);
      const run = await rehearse(['invoke', 'support-bot', '-i', file, ...replayStrict, '--format', 'text', '--cache', cache], { env: offline });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/refund/i);
    });
  });

  describe('rehearse invoke: strict misses', () => {
    it('an unrecorded prompt exits 1 naming the action, the bot, the differing path and the record command', async () => {
      const cache = cacheCopy();
      const before = readFileSync(cache);
      const prompt = 'I was charged three times for my order';
      const run = await rehearse(['invoke', 'support-bot', prompt, ...replayStrict, '--format', 'text', '--cache', cache], { env: offline });
      expect(run.code).toBe(1);
      expect(run.stdout).toBe(''); // a failed run prints no result text
      expect(run.stderr).toContain('llm.message');
      expect(run.stderr).toContain('support-bot');
      expect(run.stderr).toMatch(/key:\s+[0-9a-f]{64}/);
      expect(run.stderr).toMatch(/messages\[0\]\.content: "I was charged twice for my order" -> "I was charged three times for my order"/);
      expect(run.stderr).toContain(`npx rehearse invoke support-bot '${prompt}' --mode replay --cache ${relative(root, cache)}`);
      expect(readFileSync(cache).equals(before)).toBe(true);
    });

    it('--param tone=formal reaches the bot: the answer prompt changes, so the miss shows a system diff', async () => {
      const run = await formalMiss();
      expect(run.code).toBe(1);
      // The classification call does not use the tone, so it still hits; the answer call misses.
      expect(JSON.parse(run.stdout)).toMatchObject({ status: 'failed', cache: { hits: 1, misses: 1 }, error: { code: 'CACHE_STRICT_MISS' } });
      expect(run.stderr).toMatch(/^\s+system: ".*" -> ".*"$/m);
      expect(run.stderr).not.toMatch(/^\s+messages\[/m); // only the system prompt differs
      expect(run.stderr).toContain('--param tone=formal');
    });

    it('the system diff of a strict miss shows the words that differ, even in a long prompt', async () => {
      const run = await formalMiss();
      expect(run.code).toBe(1);
      const line = run.stderr.split('\n').find((text) => /^\s+system: /.test(text));
      expect(line).toBeDefined();
      // The prompts differ only in "friendly" -> "formal", in the middle of a 170-character prompt;
      // a diff line whose two sides read the same says nothing.
      const [before, after] = (line ?? '').replace(/^\s+system: /, '').split(' -> ');
      expect(before).not.toBe(after);
      expect(before).toContain('friendly');
      expect(after).toContain('formal');
    });
  });

  describe('rehearse invoke: manual mode', () => {
    it('without mocks it exits 1 with a skeleton to paste', async () => {
      const run = await rehearse(['invoke', 'support-bot', recordedPrompt, '--mode', 'manual', '--format', 'text'], { env: offline });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('"llm.message"');
      expect(jsonBlock(run.stderr)).toEqual({ 'llm.message': [{ status: 'success', output: expect.anything() }] });
    });

    it('with --mocks it serves the mocked answer', async () => {
      const run = await rehearse(
        ['invoke', 'support-bot', recordedPrompt, '--mode', 'manual', '--mocks', 'fixtures/mocks/support-bot.json', '--format', 'json'],
        { env: offline },
      );
      expect(run.code).toBe(0);
      const mocks = JSON.parse(readFileSync(join(root, 'fixtures/mocks/support-bot.json'), 'utf8')) as {
        'llm.message': Array<{ output: { content: string } }>;
      };
      const summary = JSON.parse(run.stdout) as { response_content: string; mode: string; total_cost_usd: number };
      expect(summary.mode).toBe('manual');
      expect(summary.response_content).toBe(mocks['llm.message'][1]?.output.content);
      expect(summary.total_cost_usd).toBe(0);
    });

    it('a mocks file that is not JSON exits 2 naming the file and where it breaks', async () => {
      const file = join(folder(), 'broken.json');
      writeFileSync(file, '{\n  "llm.message": [\n    { status: "success", "output": "hi" }\n  ]\n}\n');
      const run = await rehearse(['invoke', 'support-bot', recordedPrompt, '--mode', 'manual', '--mocks', file], { env: offline });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(file);
      expect(run.stderr).toMatch(/ at \$/);
      expect(run.stderr).toMatch(/line 3, column 7/);
    });

    it('a mocks file with a bad entry in a list exits 2 naming the file and the exact JSON path', async () => {
      const file = join(folder(), 'typo.json');
      writeFileSync(
        file,
        JSON.stringify({ 'llm.message': [{ status: 'success', output: 'billing' }, { status: 'sucess', output: 'Refunded.' }] }, null, 2),
      );
      const run = await rehearse(['invoke', 'support-bot', recordedPrompt, '--mode', 'manual', '--mocks', file], { env: offline });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(file);
      expect(run.stderr).toContain('$["llm.message"][1].status');
    });

    it('a mocks file with a success mock lacking "output" exits 2 naming the exact JSON path', async () => {
      const file = join(folder(), 'no-output.json');
      writeFileSync(file, JSON.stringify({ 'llm.message': { status: 'success' } }));
      const run = await rehearse(['invoke', 'support-bot', recordedPrompt, '--mode', 'manual', '--mocks', file], { env: offline });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(file);
      expect(run.stderr).toContain('$["llm.message"].output');
    });
  });

  describe('rehearse invoke: usage errors', () => {
    it('an unknown bot exits 2 with a suggestion', async () => {
      const run = await rehearse(['invoke', 'support-bt', 'hi', ...replayStrict], { env: offline });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('Did you mean "support-bot"');
      expect(run.stdout).toBe('');
    });

    it('an unknown option exits 2', async () => {
      const run = await rehearse(['invoke', 'support-bot', 'hi', '--no-such-option'], { env: offline });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/unknown argument/i);
      expect(run.stdout).toBe('');
    });

    it('no prompt exits 2', async () => {
      const run = await rehearse(['invoke', 'support-bot', ...replayStrict], { env: offline });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/no prompt/i);
    });

    it('--mode bogus exits 2 naming the valid modes', async () => {
      const run = await rehearse(['invoke', 'support-bot', 'hi', '--mode', 'bogus'], { env: offline });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('bogus');
      for (const mode of ['live', 'replay', 'manual']) expect(run.stderr).toContain(mode);
    });

    it('REHEARSE_MODE=bogus exits 2', async () => {
      const run = await rehearse(['invoke', 'support-bot', 'hi'], { env: { ...offline, REHEARSE_MODE: 'bogus' } });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('REHEARSE_MODE');
    });

    it('--help documents every option, with an example', async () => {
      const run = await rehearse(['invoke', '--help']);
      expect(run.code).toBe(0);
      for (const option of ['--input', '--session', '--mode', '--refresh', '--strict', '--org', '--cache', '--mocks', '--format', '--verbose', '--stream', '--param']) {
        expect(run.stdout).toContain(option);
      }
      expect(run.stdout).toContain('Examples:');
      expect(run.stdout).toMatch(/rehearse invoke support-bot /);
    });
  });

  describe('rehearse invoke: recording end to end', () => {
    it('a replay miss is recorded from the provider, then replays strictly with the provider gone', async () => {
      const cache = cacheCopy();
      const rowsBefore = rows(cache).length;
      const prompt = 'My invoice shows the wrong amount';
      const server = await startOpenAIServer({ handler: demoProviderHandler });
      let first: CliRun;
      try {
        first = await rehearse(['invoke', 'support-bot', prompt, '--mode', 'replay', '--format', 'json', '--cache', cache], {
          env: { OPENAI_BASE_URL: server.url },
        });
        expect(first.stderr).toBe('');
        expect(first.code).toBe(0);
        expect(server.requests).toHaveLength(2);
        expect(server.requests.map((request) => request.body?.messages?.at(-1)?.content)).toEqual([prompt, prompt]);
      } finally {
        await server.close();
      }
      const recorded = JSON.parse(first.stdout) as { response_content: string; cache: { recorded: number; misses: number; hits: number } };
      expect(recorded.cache).toMatchObject({ hits: 0, misses: 2, recorded: 2 });
      expect(recorded.response_content).toMatch(/refund/i);

      expect(rows(cache)).toHaveLength(rowsBefore + 2);
      expect(recordingsOf(cache, prompt)).toHaveLength(2);
      expect(sidecars(cache)).toEqual([]);

      // The provider is gone (its port closed); strict replay needs only the recordings.
      const again = await rehearse(['invoke', 'support-bot', prompt, ...replayStrict, '--format', 'json', '--cache', cache], {
        env: { OPENAI_BASE_URL: server.url },
      });
      expect(again.code).toBe(0);
      const replayed = JSON.parse(again.stdout) as { response_content: string; cache: { hits: number; misses: number } };
      expect(replayed.cache).toMatchObject({ hits: 2, misses: 0 });
      expect(replayed.response_content).toBe(recorded.response_content);
      expect(sidecars(cache)).toEqual([]);
    });
  });
});

describe('rehearse invoke: input forms', { timeout: 60_000 }, () => {
  it('reads the prompt from stdin with -i -, and a JSON input with messages and parameters', async () => {
    const mocks = ['--mode', 'manual', '--mocks', 'fixtures/mocks/support-bot.json', '--format', 'json'];
    const fromStdin = await rehearse(['invoke', 'support-bot', '-i', '-', ...mocks], { stdin: 'I was charged twice\n' });
    expect(fromStdin.code).toBe(0);
    expect(JSON.parse(fromStdin.stdout)).toMatchObject({ status: 'completed' });

    const json = JSON.stringify({ prompt: 'And now?', messages: [{ role: 'user', content: 'earlier' }], parameters: { tone: 'formal' } });
    const fromJson = await rehearse(['invoke', 'support-bot', '-i', '-', ...mocks.slice(0, -2), '--format', 'events'], { stdin: json });
    expect(fromJson.code).toBe(0);
    const started = jsonLines(fromJson.stdout).filter((event) => event.type === 'action.started' && event.action_type === 'llm.message');
    const answerParams = started.at(-1)?.params as { system: string; messages: Array<{ content: string }> };
    expect(answerParams.messages.map((message) => message.content)).toEqual(['earlier', 'And now?']);
    expect(answerParams.system).toContain('formal tone');
  });

  it('says a prompt is missing, with exit 2', async () => {
    const run = await rehearse(['invoke', 'support-bot', '-i', '-', '--mode', 'manual'], { stdin: '' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('No prompt');
  });
});
