/**
 * The local endpoint a command agent talks to: where its environment points, what it hides, what
 * it answers to anything that is not an LLM call, that it closes with the invocation, and that a
 * Node agent using the real `openai` SDK (streamed and not) records and replays through it.
 */
import { describe, expect, it } from 'vitest';
import { defineBot, invoke } from '../../src/index.js';
import { startAnthropicServer } from '../support/anthropic-server.js';
import { startOpenAIServer } from '../support/openai-server.js';
import { tempCachePath } from '../support/temp.js';
import { completedActions, deadProvider, repoRoot, stderrLines, testEnv } from './support.js';

type ProbeAnswer = { status: number; type: string | null; body: { error?: { message?: string; type?: string } } };

interface Probe {
  prompt: string;
  env: Record<string, string | boolean | undefined>;
  names: string[];
  models: ProbeAnswer;
  embeddings: ProbeAnswer;
  withoutKey: ProbeAnswer;
  wrongKey: ProbeAnswer;
  badBodies: ProbeAnswer[];
}

const probeBot = defineBot({ key: 'probe-agent', command: [process.execPath, 'probe.mjs'], cwd: 'fixtures', env: { AGENT_FLAVOUR: 'vanilla' } });
const parentSecrets = {
  OPENAI_API_KEY: 'sk-parent-0123456789abcdefghijklmnop',
  ANTHROPIC_API_KEY: 'sk-ant-parent-0123456789abcdefghij',
  GITHUB_TOKEN: 'ghp_parent0123456789',
  AWS_SECRET_ACCESS_KEY: 'parent-aws-secret',
  DATABASE_PASSWORD: 'hunter2',
  DATABASE_URL: 'postgres://admin:db-secret-pw@db.internal:5432/app',
  GITHUB_PAT: 'ghp_0123456789abcdefghijklmnopqrstuvwxyz',
  REHEARSE_TEST_MARKER: 'rehearse-only',
};

describe('the endpoint of a command agent', () => {
  it('points the agent at 127.0.0.1 with dummy keys, hides the parent’s secrets and REHEARSE_* settings, answers other paths 404 JSON, and closes with the run', async () => {
    const result = await invoke(probeBot, { input: 'probe', mode: 'manual', mocks: {}, cwd: repoRoot, env: testEnv({ ...parentSecrets, OPENAI_BASE_URL: deadProvider }) });
    expect(result.error).toBeUndefined();
    const probe = JSON.parse(result.result.output as string) as Probe;
    expect(probe.prompt).toBe('probe');

    expect(probe.env.OPENAI_BASE_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/openai\/v1$/);
    expect(probe.env.ANTHROPIC_BASE_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/anthropic$/);
    expect(new URL(String(probe.env.ANTHROPIC_BASE_URL)).port).toBe(new URL(String(probe.env.OPENAI_BASE_URL)).port);
    // A key of this run's own: another local process cannot spend rehearse's provider key through the endpoint.
    expect(probe.env.OPENAI_API_KEY).toMatch(/^rehearse-local-[A-Za-z0-9_-]{32}$/);
    expect(probe.env.ANTHROPIC_API_KEY).toBe(probe.env.OPENAI_API_KEY);
    for (const refused of [probe.withoutKey, probe.wrongKey]) {
      expect(refused.status).toBe(401);
      expect(refused.body.error?.type).toBe('authentication_error');
    }
    // A body that is not a JSON object is the caller's mistake: 400 saying so, not a 500.
    expect(probe.badBodies.map((answer) => [answer.status, answer.body.error?.type])).toEqual(Array(4).fill([400, 'invalid_request_error']));
    expect(probe.badBodies.map((answer) => answer.body.error?.message?.split(': ')[1])).toEqual([
      expect.stringContaining('the body is not JSON'),
      'the body is an array.',
      'the body is empty.',
      'the body is a string.',
    ]);
    expect(probe.env.AGENT_FLAVOUR).toBe('vanilla'); // the bot's own env
    expect(probe.env.HAS_PATH).toBe(true); // the ordinary environment is passed on
    expect(probe.names.filter((name) => name.startsWith('REHEARSE_'))).toEqual([]);
    expect(probe.names).not.toContain('GITHUB_TOKEN');
    expect(probe.names).not.toContain('AWS_SECRET_ACCESS_KEY');
    expect(probe.names).not.toContain('DATABASE_PASSWORD');
    // Innocent names, secret values: left out by value.
    expect(probe.names).not.toContain('DATABASE_URL');
    expect(probe.names).not.toContain('GITHUB_PAT');
    expect(result.result.output).not.toContain('parent');

    for (const answer of [probe.models, probe.embeddings]) {
      expect(answer.status).toBe(404);
      expect(answer.type).toMatch(/^application\/json/);
      expect(answer.body.error?.type).toBe('not_found_error');
      expect(answer.body.error?.message).toContain('/openai/v1/chat/completions');
    }
    expect(probe.models.body.error?.message).toContain('GET /openai/v1/models');
    expect(stderrLines(result)).toEqual([`probing ${probe.env.OPENAI_BASE_URL}`]);

    // The run is over: nothing listens on that port any more.
    const refused = await fetch(`${probe.env.OPENAI_BASE_URL}/chat/completions`, { method: 'POST', body: '{}' }).then(
      () => 'answered',
      (error: Error) => (error.cause as NodeJS.ErrnoException | undefined)?.code ?? error.message,
    );
    expect(refused).toBe('ECONNREFUSED');
  });

  it('serves a Node agent using the real openai SDK, streamed and not: recorded against the provider, replayed with it closed, mocked', async () => {
    const sdkAgent = defineBot({ key: 'node-openai-agent', command: [process.execPath, 'openai-agent.mjs'], cwd: 'fixtures' });
    const server = await startOpenAIServer();
    const cachePath = tempCachePath();
    let recorded;
    try {
      recorded = await invoke(sdkAgent, { input: 'where is my parcel?', mode: 'replay', cachePath, cwd: repoRoot, env: testEnv({ OPENAI_BASE_URL: server.url }) });
    } finally {
      await server.close();
    }
    expect(recorded.error).toBeUndefined();
    const live = JSON.parse(recorded.result.output as string) as Record<string, unknown>;
    expect(live).toMatchObject({ plain: 'echo: where is my parcel?', streamed: 'echo: again: where is my parcel?' });
    expect(live.streamedUsage).toEqual({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) });
    expect(server.requests.map((request) => request.body?.stream === true)).toEqual([false, true]);
    expect(recorded.cache.recorded).toBe(2);

    const replayed = await invoke(sdkAgent, { input: 'where is my parcel?', mode: 'replay', strict: true, cachePath, cwd: repoRoot, env: testEnv({ OPENAI_BASE_URL: server.url }) });
    expect(replayed.error).toBeUndefined();
    expect(JSON.parse(replayed.result.output as string)).toEqual(live); // same text and usage, streamed and not
    expect(completedActions(replayed).map((action) => action.source)).toEqual(['cache', 'cache']);
    expect(stderrLines(replayed)[0]).toMatch(/^streamed \d+ chunks$/);

    const mocked = await invoke(sdkAgent, {
      input: 'where is my parcel?',
      mode: 'manual',
      mocks: {
        'llm.message': [
          { status: 'success', output: { content: 'With DHL.', usage: { input_tokens: 12, output_tokens: 3 } } },
          { status: 'success', output: { content: 'Still with DHL, arriving Monday.', usage: { input_tokens: 14, output_tokens: 7 } } },
        ],
      },
      cwd: repoRoot,
      env: testEnv({ OPENAI_BASE_URL: deadProvider }),
    });
    expect(mocked.error).toBeUndefined();
    expect(JSON.parse(mocked.result.output as string)).toEqual({
      plain: 'With DHL.',
      plainUsage: { prompt_tokens: 12, completion_tokens: 3 },
      streamed: 'Still with DHL, arriving Monday.',
      streamedUsage: { prompt_tokens: 14, completion_tokens: 7 },
    });
  });
  it('serves a Node agent using the real @anthropic-ai/sdk, streamed and not: recorded against the provider, replayed with it closed, mocked', async () => {
    const sdkAgent = defineBot({ key: 'node-anthropic-agent', command: [process.execPath, 'anthropic-agent.mjs'], cwd: 'fixtures' });
    const server = await startAnthropicServer();
    const cachePath = tempCachePath();
    const env = testEnv({ ANTHROPIC_BASE_URL: server.url, ANTHROPIC_API_KEY: 'sk-ant-parent-0123456789abcdefghij' });
    let recorded;
    try {
      recorded = await invoke(sdkAgent, { input: 'where is my parcel?', mode: 'replay', cachePath, cwd: repoRoot, env });
    } finally {
      await server.close();
    }
    expect(recorded.error).toBeUndefined();
    const live = JSON.parse(recorded.result.output as string) as Record<string, unknown>;
    expect(live).toMatchObject({ plain: 'echo: where is my parcel?', streamed: 'echo: again: where is my parcel?' });
    expect(live.streamedUsage).toEqual({ input_tokens: expect.any(Number), output_tokens: expect.any(Number) });
    // The provider got rehearse's key, never the agent's dummy one.
    expect(server.requests.map((request) => request.headers['x-api-key'])).toEqual(['sk-ant-parent-0123456789abcdefghij', 'sk-ant-parent-0123456789abcdefghij']);
    expect(recorded.cache.recorded).toBe(2);

    const replayed = await invoke(sdkAgent, { input: 'where is my parcel?', mode: 'replay', strict: true, cachePath, cwd: repoRoot, env });
    expect(replayed.error).toBeUndefined();
    expect(JSON.parse(replayed.result.output as string)).toEqual(live);
    expect(completedActions(replayed).map((action) => action.source)).toEqual(['cache', 'cache']);
    expect(stderrLines(replayed)).toEqual(['stop reasons end_turn end_turn']);

    const mocked = await invoke(sdkAgent, {
      input: 'where is my parcel?',
      mode: 'manual',
      mocks: { 'llm.message': { status: 'success', output: 'With DHL.', usage: { input_tokens: 12, output_tokens: 3 } } },
      cwd: repoRoot,
      env: testEnv({ ANTHROPIC_BASE_URL: deadProvider }),
    });
    expect(mocked.error).toBeUndefined();
    expect(JSON.parse(mocked.result.output as string)).toEqual({
      plain: 'With DHL.',
      plainUsage: { input_tokens: 12, output_tokens: 3 },
      streamed: 'With DHL.',
      streamedUsage: { input_tokens: 12, output_tokens: 3 },
    });
  });
});
