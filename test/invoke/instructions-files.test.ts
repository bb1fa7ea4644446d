/**
 * instructions, additionalContext and files: on the invoked bot's input, and in the params of its own
 * llm.message calls (what the events show and what the provider receives); a sub-agent's calls untouched.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineBot, invoke, type ActionStartedEvent, type BotInput, type InvokeResult, type LlmMessageParams } from '../../src/index.js';
import { startOpenAIServer, type FakeOpenAIServer } from '../support/openai-server.js';
import { tempDir } from '../support/temp.js';

let openai: FakeOpenAIServer;
beforeEach(async () => {
  openai = await startOpenAIServer();
});
afterEach(() => openai.close());

function llmParams(result: InvokeResult): LlmMessageParams[] {
  return result.events
    .filter((event): event is ActionStartedEvent => event.type === 'action.started' && event.action_type === 'llm.message')
    .map((event) => event.params as LlmMessageParams);
}

const checker = defineBot({
  key: 'checker',
  version: 'c1',
  async run(input, ctx) {
    const answer = await ctx.llm.message({ model: 'gpt-4o-mini', system: 'Check it.', messages: [{ role: 'user', content: input.prompt }] });
    return answer.content;
  },
});

/** Records the input it was given, asks twice (with and without a system prompt), then asks a sub-agent. */
function deskBot(seen: BotInput[]) {
  return defineBot({
    key: 'desk',
    version: 'd1',
    async run(input, ctx) {
      seen.push(input);
      await ctx.llm.message({ model: 'gpt-4o-mini', system: 'Triage.', messages: [{ role: 'user', content: input.prompt }] });
      await ctx.llm.message({ model: 'gpt-4o-mini', messages: [{ role: 'assistant', content: 'Earlier.' }, { role: 'user', content: 'Again' }, { role: 'user', content: 'Last' }] });
      return ctx.invoke(checker, 'is it refundable?');
    },
  });
}

const mocks = { 'llm.message': { status: 'success' as const, output: 'ok' } };

describe('instructions and additionalContext', () => {
  it('are on the input and appended, delimited, to the system prompt of the bot’s own calls (not a sub-agent’s)', async () => {
    const seen: BotInput[] = [];
    const result = await invoke(deskBot(seen), {
      input: 'Hi',
      mode: 'manual',
      mocks,
      env: {},
      cwd: tempDir(),
      instructions: 'Answer in French.',
      additionalContext: 'The customer is on the gold plan.',
    });
    expect(result.error).toBeUndefined();
    expect(seen[0]).toMatchObject({ instructions: 'Answer in French.', additionalContext: 'The customer is on the gold plan.' });
    const [first, second, sub] = llmParams(result);
    expect(first!.system).toBe('Triage.\n\n# Instructions for this run\nAnswer in French.\n\n# Context for this run\nThe customer is on the gold plan.');
    expect(second!.system).toBe('# Instructions for this run\nAnswer in French.\n\n# Context for this run\nThe customer is on the gold plan.');
    expect(sub!.system).toBe('Check it.');
  });

  it('reach the live provider as the system message', async () => {
    const result = await invoke(deskBot([]), { input: 'Hi', env: { OPENAI_BASE_URL: openai.url }, cwd: tempDir(), instructions: 'Be brief.' });
    expect(result.error).toBeUndefined();
    expect(openai.requests[0]!.body.messages[0]).toEqual({ role: 'system', content: 'Triage.\n\n# Instructions for this run\nBe brief.' });
    expect(openai.requests[2]!.body.messages[0]).toEqual({ role: 'system', content: 'Check it.' });
  });

  it('leave the input without the fields when not given', async () => {
    const seen: BotInput[] = [];
    await invoke(deskBot(seen), { input: 'Hi', mode: 'manual', mocks, env: {}, cwd: tempDir() });
    expect(Object.keys(seen[0]!).sort()).toEqual(['messages', 'parameters', 'prompt']);
  });
});

describe('files', () => {
  function project(): string {
    const cwd = tempDir();
    mkdirSync(join(cwd, 'docs'));
    writeFileSync(join(cwd, 'docs/policy.md'), '# Refunds\nWithin 30 days.');
    return cwd;
  }

  it('are handed to the bot and injected into the first user message of its own calls, each delimited with its name', async () => {
    const seen: BotInput[] = [];
    const cwd = project();
    const result = await invoke(deskBot(seen), {
      input: 'Hi',
      mode: 'manual',
      mocks,
      env: {},
      cwd,
      files: [{ path: 'docs/policy.md' }, { name: 'order.json', content: '{"id":"A1"}' }],
    });
    expect(result.error).toBeUndefined();
    expect(seen[0]!.files).toEqual([
      { name: 'docs/policy.md', content: '# Refunds\nWithin 30 days.', mediaType: 'text/markdown', path: join(cwd, 'docs/policy.md') },
      { name: 'order.json', content: '{"id":"A1"}', mediaType: 'application/json' },
    ]);
    const attached =
      '\n\n<attachment name="docs/policy.md" media_type="text/markdown">\n# Refunds\nWithin 30 days.\n</attachment>' +
      '\n\n<attachment name="order.json" media_type="application/json">\n{"id":"A1"}\n</attachment>';
    const [first, second, sub] = llmParams(result);
    expect(first!.messages).toEqual([{ role: 'user', content: `Hi${attached}` }]);
    expect(second!.messages).toEqual([
      { role: 'assistant', content: 'Earlier.' },
      { role: 'user', content: `Again${attached}` },
      { role: 'user', content: 'Last' },
    ]);
    expect(sub!.messages).toEqual([{ role: 'user', content: 'is it refundable?' }]);
  });

  it('reach the live provider in the user message', async () => {
    const cwd = project();
    await invoke(deskBot([]), { input: 'Hi', env: { OPENAI_BASE_URL: openai.url }, cwd, files: [{ path: 'docs/policy.md' }] });
    expect(openai.requests[0]!.body.messages[1].content).toBe('Hi\n\n<attachment name="docs/policy.md" media_type="text/markdown">\n# Refunds\nWithin 30 days.\n</attachment>');
  });

  it('with disableAttachmentInjection are only on the input', async () => {
    const seen: BotInput[] = [];
    const result = await invoke(deskBot(seen), { input: 'Hi', mode: 'manual', mocks, env: {}, cwd: project(), files: [{ path: 'docs/policy.md' }], disableAttachmentInjection: true });
    expect(seen[0]!.files?.map((file) => file.name)).toEqual(['docs/policy.md']);
    expect(llmParams(result)[0]!.messages).toEqual([{ role: 'user', content: 'Hi' }]);
  });

  it.each([
    ['a missing file', () => [{ path: 'docs/nope.md' }], /The file docs\/nope.md cannot be attached: there is no such file/],
    ['a directory', () => [{ path: 'docs' }], /The file docs is a directory/],
    ['a binary file', (cwd: string) => (writeFileSync(join(cwd, 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01])), [{ path: 'logo.png' }]), /logo.png is not a text file/],
    ['a file over 1 MiB', (cwd: string) => (writeFileSync(join(cwd, 'big.txt'), 'x'.repeat(1024 * 1024 + 1)), [{ path: 'big.txt' }]), /big.txt is 1048577 bytes; attachments are at most 1048576 bytes/],
    ['inline content over 1 MiB', () => [{ name: 'big.txt', content: 'x'.repeat(1024 * 1024 + 1) }], /"big.txt" is 1048577 bytes/],
    ['an inline file without a name', () => [{ name: '', content: 'x' }], /files\[0\].name must be a non-empty string/],
  ])('%s is a usage error before the run', async (_, files, message) => {
    const cwd = project();
    const seen: BotInput[] = [];
    const failed = invoke(deskBot(seen), { input: 'Hi', mode: 'manual', mocks, env: {}, cwd, files: files(cwd) as never });
    await expect(failed).rejects.toMatchObject({ code: 'USAGE', message: expect.stringMatching(message) });
    expect(seen).toHaveLength(0);
  });
});
