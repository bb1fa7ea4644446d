import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineBot, invoke, type LlmMessageParams } from '../../../src/index.js';
import { useFakeProviders } from '../../support/providers.js';
import { suiteState } from '../../support/suite-state.js';
import { tempDir } from '../../support/temp.js';

const providers = useFakeProviders();
const env = providers.env;

function projectWith(config: unknown): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'rehearse.config.json'), JSON.stringify(config));
  return dir;
}

const asking = (params: Partial<LlmMessageParams>) =>
  defineBot({
    key: 'settings-bot',
    version: 'v1',
    run: (input, ctx) => ctx.llm.message({ model: 'gpt-4o-mini', max_tokens: 50, messages: [{ role: 'user', content: input.prompt }], ...params }),
  });

describe('choosing the provider', () => {
  it('sends claude models to Anthropic and others to the OpenAI-compatible endpoint', async () => {
    await invoke(asking({ model: 'claude-haiku-4-5' }), { input: 'a', mode: 'live', env: env() });
    await invoke(asking({ model: 'gpt-4o-mini' }), { input: 'b', mode: 'live', env: env() });
    expect(providers.anthropic.requests.map((request) => request.body.model)).toEqual(['claude-haiku-4-5']);
    expect(providers.openai.requests.map((request) => request.body.model)).toEqual(['gpt-4o-mini']);
  });

  it('follows the provider param, and model prefixes from llm.providers', async () => {
    await invoke(asking({ model: 'my-proxy-model', provider: 'anthropic' }), { input: 'a', mode: 'live', env: env() });
    const cwd = projectWith({ llm: { providers: { 'llama-': 'anthropic' } } });
    await invoke(asking({ model: 'llama-3.3-70b' }), { input: 'b', mode: 'live', env: env(), cwd });
    expect(providers.anthropic.requests.map((request) => request.body.model)).toEqual(['my-proxy-model', 'llama-3.3-70b']);
    expect(providers.openai.requests).toHaveLength(0);
  });

  it('refuses a provider it does not know, naming the ones it does', async () => {
    const result = await invoke(asking({ provider: 'gemini' as 'openai' }), { input: 'a', mode: 'live', env: env() });
    expect(result.error?.code).toBe('ACTION_PARAMS_INVALID');
    expect(result.error?.message).toMatch(/"openai".*"anthropic"/);
  });
});

describe('prices', () => {
  it('prices a model from config prices, over the built-in table', async () => {
    providers.openai.enqueue({ kind: 'message', content: 'x', usage: { prompt_tokens: 1_000_000, completion_tokens: 500_000 } });
    const cwd = projectWith({ prices: { 'house-model': { input: 2, output: 4 } } });
    const result = await invoke(asking({ model: 'house-model' }), { input: 'a', mode: 'live', env: env(), cwd });
    expect(result.costUsd).toBeCloseTo(2 + 2, 10);
  });

  it('counts an unknown model as $0 and says so once, however many calls', async () => {
    const twice = defineBot({
      key: 'unknown-model-bot',
      version: 'v1',
      async run(_input, ctx) {
        for (const content of ['one', 'two']) await ctx.llm.message({ model: 'mystery-1', messages: [{ role: 'user', content }] });
        return 'done';
      },
    });
    const result = await invoke(twice, { input: 'a', mode: 'live', env: env() });
    expect(result.costUsd).toBe(0);
    const warnings = result.events.filter((event) => event.type === 'log' && event.level === 'warn' && event.message.includes('mystery-1'));
    expect(warnings).toHaveLength(1);
  });
});

describe('timeouts and cancellation', () => {
  it('ends a hung request after llm.timeoutMs, without retrying when llm.retries is 0', async () => {
    providers.openai.reply(() => ({ kind: 'hang' }));
    const cwd = projectWith({ llm: { timeoutMs: 200, retries: 0 } });
    const started = performance.now();
    const result = await invoke(asking({}), { input: 'a', mode: 'live', env: env(), cwd });
    expect(result.error?.code).toBe('PROVIDER_TIMEOUT');
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(providers.openai.requests).toHaveLength(1);
  });

  it('cancels an in-flight request when the invocation times out', async () => {
    providers.openai.reply(() => ({ kind: 'hang' }));
    const started = performance.now();
    const result = await invoke(asking({}), { input: 'a', mode: 'live', env: env(), timeoutMs: 300 });
    expect(result.error?.code).toBe('INVOCATION_TIMEOUT');
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('cancels an in-flight request when the caller aborts', async () => {
    providers.anthropic.reply(() => ({ kind: 'hang' }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('user pressed stop')), 200);
    const result = await invoke(asking({ model: 'claude-haiku-4-5' }), { input: 'a', mode: 'live', env: env(), signal: controller.signal });
    expect(result.status).toBe('failed');
    expect(result.error?.message).toContain('user pressed stop');
  });
});

describe('bad answers', () => {
  it('names a 200 answer that is not JSON', async () => {
    providers.openai.enqueue({ kind: 'raw', status: 200, headers: { 'content-type': 'application/json' }, body: '<html>gateway</html>' });
    const result = await invoke(asking({}), { input: 'a', mode: 'live', env: env() });
    expect(result.error?.code).toBe('PROVIDER_ERROR');
    expect(result.error?.message).toContain('not JSON');
  });

  it('says which key is missing before calling the real Anthropic API', async () => {
    const result = await invoke(asking({ model: 'claude-haiku-4-5' }), { input: 'a', mode: 'live', env: suiteState() });
    expect(result.error?.code).toBe('API_KEY_MISSING');
    expect(result.error?.message).toContain('ANTHROPIC_API_KEY');
  });
});
