/**
 * The stdlib-only Python agent of the examples (fixtures/agents/python-agent/agent.py), run as a
 * command agent: recorded against the local provider, replayed with the provider gone, mocked,
 * and a strict miss. Its LLM calls reach rehearse only through the local endpoint whose URL is in
 * its OPENAI_BASE_URL.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defineBot, invoke } from '../../src/index.js';
import { demoProviderHandler } from '../support/demo-provider.js';
import { startOpenAIServer, type FakeOpenAIServer } from '../support/openai-server.js';
import { tempCachePath } from '../support/temp.js';
import { completedActions, deadProvider, repoRoot, stderrLines, testEnv } from './support.js';

const pythonAgent = defineBot({
  key: 'python-agent',
  command: ['python3', 'agent.py'],
  cwd: '../../fixtures/agents/python-agent',
});

const prompt = 'My card was charged twice for one order';

let server: FakeOpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('the Python agent', () => {
  it('is recorded against the local provider, then replayed strictly with the provider closed: same answer, no request', async () => {
    server = await startOpenAIServer({ handler: demoProviderHandler });
    const cachePath = tempCachePath();
    const recorded = await invoke(pythonAgent, { input: prompt, mode: 'replay', cachePath, cwd: repoRoot, env: testEnv({ OPENAI_BASE_URL: server.url }) });
    expect(recorded.error).toBeUndefined();
    expect(recorded.status).toBe('completed');
    expect(recorded.result.output).toMatch(/refund the duplicate payment/);
    expect(recorded.cache).toMatchObject({ hits: 0, misses: 2, recorded: 2 });
    // Two Chat Completions calls reached the provider, with rehearse's (absent) key, not the agent's dummy one.
    expect(server.requests.map((request) => request.path)).toEqual(['/v1/chat/completions', '/v1/chat/completions']);
    expect(server.requests[0]?.headers.authorization).toBeUndefined();
    expect(server.requests[0]?.body).toMatchObject({ model: 'gpt-4o-mini', temperature: 0, max_tokens: 5 });
    expect(stderrLines(recorded)).toEqual(expect.arrayContaining(['python-agent: classified as billing']));

    const url = server.url;
    await server.close();
    const requestsBefore = server.requests.length;
    const replayed = await invoke(pythonAgent, { input: prompt, mode: 'replay', strict: true, cachePath, cwd: repoRoot, env: testEnv({ OPENAI_BASE_URL: url }) });
    expect(replayed.error).toBeUndefined();
    expect(replayed.result.output).toBe(recorded.result.output);
    expect(replayed.cache).toMatchObject({ hits: 2, misses: 0, recorded: 0 });
    expect(completedActions(replayed).map((action) => [action.action_type, action.source, action.cache_key])).toEqual(
      completedActions(recorded).map((action) => ['llm.message', 'cache', action.cache_key]),
    );
    expect(replayed.usage).toEqual(recorded.usage);
    expect(server.requests).toHaveLength(requestsBefore);
  });

  it('is mocked in manual mode from the example mocks file, with no provider at all', async () => {
    const result = await invoke(pythonAgent, {
      input: prompt,
      mode: 'manual',
      mocks: join(repoRoot, 'fixtures/mocks/python-agent.json'),
      cwd: repoRoot,
      env: testEnv({ OPENAI_BASE_URL: deadProvider }),
    });
    expect(result.error).toBeUndefined();
    expect(result.result.output).toBe("Sorry about that! I've asked billing to refund the duplicate payment; it will be back on your card within 5 business days.");
    expect(completedActions(result).map((action) => action.source)).toEqual(['mock', 'mock']);
    expect(result.usage).toEqual({ inputTokens: 38 + 70, outputTokens: 1 + 26 });
    // The first mock said "billing": the agent logged it and asked its second question about billing.
    expect(stderrLines(result)).toContain('python-agent: classified as billing');
    const second = result.events.find((event) => event.type === 'action.started' && event.action_type === 'llm.message' && JSON.stringify(event).includes('Policy:'));
    expect(JSON.stringify(second)).toContain('The message is about billing.');
  });

  it('fails a strict replay miss with CACHE_STRICT_MISS, not with its own exit code', async () => {
    const result = await invoke(pythonAgent, {
      input: 'A question nobody recorded',
      mode: 'replay',
      strict: true,
      cachePath: tempCachePath(),
      cwd: repoRoot,
      env: testEnv({ OPENAI_BASE_URL: deadProvider }),
    });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('CACHE_STRICT_MISS');
    expect(result.error?.message).toContain('python-agent');
    // The agent itself saw the provider's error answer and said so on stderr before exiting 1.
    expect(stderrLines(result).some((line) => line.startsWith('python-agent: the API answered 400'))).toBe(true);
  });
});
