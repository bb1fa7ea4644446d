/**
 * The per-invocation flags of `rehearse invoke`, end to end: the real CLI on the demo bot, against its
 * mocks, or live against the local fake provider. The committed cache and the demo bot are not touched.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionStartedEvent, JsonSummary, LlmMessageParams, RehearseEvent } from '../../src/index.js';
import { rehearse } from '../support/cli.js';
import { demoProviderHandler } from '../support/demo-provider.js';
import { startOpenAIServer } from '../support/openai-server.js';

const root = resolve(import.meta.dirname, '../..');
const mockArgs = ['--mode', 'manual', '--mocks', 'fixtures/mocks/support-bot.json'];
const prompt = 'I was charged twice for my order';

let scratch: string;
let notes: string;
let schema: string;

beforeAll(() => {
  if (!existsSync(join(root, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run `npm run build` first.');
  scratch = mkdtempSync(join(tmpdir(), 'rehearse-cli-overrides-'));
  notes = join(scratch, 'notes.md');
  writeFileSync(notes, '# Order A-1187\nCharged twice on 2026-11-18.\n');
  schema = join(scratch, 'answer.schema.json');
  writeFileSync(schema, JSON.stringify({ type: 'object', required: ['content', 'category'], properties: { category: { enum: ['billing', 'shipping', 'account', 'other'] } } }));
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

function events(stdout: string): RehearseEvent[] {
  return stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as RehearseEvent);
}

function llmParams(stdout: string): LlmMessageParams[] {
  return events(stdout)
    .filter((event): event is ActionStartedEvent => event.type === 'action.started' && event.action_type === 'llm.message')
    .map((event) => event.params as LlmMessageParams);
}

describe('rehearse invoke: per-invocation flags', () => {
  it('--model, --reasoning-effort, --instructions, --context and --file reach every llm.message of the bot', async () => {
    const run = await rehearse(['invoke', 'support-bot', prompt, ...mockArgs, '--model', 'gpt-4.1-mini', '--reasoning-effort', 'low', '--instructions', 'Answer in French.', '--context', 'Gold customer.', '--file', notes]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const calls = llmParams(run.stdout);
    expect(calls).toHaveLength(2);
    for (const params of calls) {
      expect(params.model).toBe('gpt-4.1-mini');
      expect(params.reasoning_effort).toBe('low');
      expect(params.system).toMatch(/\n\n# Instructions for this run\nAnswer in French\.\n\n# Context for this run\nGold customer\.$/);
      expect(params.messages.at(-1)!.content).toBe(`${prompt}\n\n<attachment name="notes.md" media_type="text/markdown">\n# Order A-1187\nCharged twice on 2026-11-18.\n\n</attachment>`);
    }
  });

  it('--format json shows the models used as llm', async () => {
    const run = await rehearse(['invoke', 'support-bot', prompt, ...mockArgs, '--provider', 'anthropic', '--model', 'claude-haiku-4-5', '--format', 'json']);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as JsonSummary;
    expect(summary.llm).toEqual([{ provider: 'anthropic', model: 'claude-haiku-4-5', reasoning_effort: null, calls: 2 }]);
  });

  it.each([['--no-attachment-injection'], ['--disable-attachment-injection']])('%s keeps the file out of the LLM calls', async (flag) => {
    const run = await rehearse(['invoke', 'support-bot', prompt, ...mockArgs, '--file', notes, flag]);
    expect(run.code).toBe(0);
    for (const params of llmParams(run.stdout)) expect(params.messages.at(-1)!.content).toBe(prompt);
  });

  it('live: the provider receives the overridden model and reasoning_effort', async () => {
    const server = await startOpenAIServer({ handler: demoProviderHandler });
    try {
      const run = await rehearse(['invoke', 'support-bot', prompt, '--mode', 'live', '--model', 'gpt-5-mini', '--reasoning-effort', 'minimal', '--format', 'json'], {
        env: { OPENAI_BASE_URL: server.url },
      });
      expect(run.code).toBe(0);
      expect(server.requests.map((request) => [request.body.model, request.body.reasoning_effort])).toEqual([
        ['gpt-5-mini', 'minimal'],
        ['gpt-5-mini', 'minimal'],
      ]);
      expect((JSON.parse(run.stdout) as JsonSummary).llm).toEqual([{ provider: 'openai', model: 'gpt-5-mini', reasoning_effort: 'minimal', calls: 2 }]);
    } finally {
      await server.close();
    }
  });

  it('--output-schema passes a matching output and --output-format json an object', async () => {
    const run = await rehearse(['invoke', 'support-bot', prompt, ...mockArgs, '--output-schema', schema, '--output-format', 'json', '--format', 'text']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('refunded the duplicate payment');
  });

  it('--output-schema fails a mismatch with exit 1, naming the instance and the schema path', async () => {
    const strict = join(scratch, 'shipping.schema.json');
    writeFileSync(strict, JSON.stringify({ type: 'object', properties: { category: { const: 'shipping' } } }));
    const run = await rehearse(['invoke', 'support-bot', prompt, ...mockArgs, '--output-schema', strict, '--format', 'json']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('The output does not match the output schema: /category must be equal to constant (schema #/properties/category/const).');
    const summary = JSON.parse(run.stdout) as JsonSummary;
    expect(summary.status).toBe('failed');
    expect(summary.error?.code).toBe('OUTPUT_SCHEMA_MISMATCH');
  });

  it.each([
    [['--file', 'no/such/file.md'], /The file no\/such\/file.md cannot be attached: there is no such file/],
    [['--file', 'fixtures'], /The file fixtures is a directory/],
    [['--output-schema', 'no-such-schema.json'], /Cannot read the output schema no-such-schema.json/],
    [['--reasoning-effort', 'extreme'], /Invalid values:[\s\S]*reasoning-effort/],
  ])('%j is a usage error (exit 2) before the run', async (flags, message) => {
    const run = await rehearse(['invoke', 'support-bot', prompt, ...mockArgs, ...flags]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });

  it('--help lists the flags under their own heading, with an example', async () => {
    const run = await rehearse(['invoke', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Per-invocation options:');
    for (const flag of ['--provider', '--model', '--reasoning-effort', '--instructions', '--context', '--file', '--no-attachment-injection', '--disable-attachment-injection', '--output-format', '--output-schema']) {
      expect(run.stdout).toContain(flag);
    }
    expect(run.stdout).toContain('--instructions "Answer in French." --file notes.md');
  });
});
