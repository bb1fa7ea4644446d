/**
 * A strict miss through each SDK: the SDK receives a 400 in its provider's error shape carrying
 * rehearse's message, raises its own error without retrying, and the invocation reports rehearse's
 * CACHE_STRICT_MISS (bot, key, what changed) rather than the SDK's wrapper.
 */
import Anthropic from '@anthropic-ai/sdk';
import { APICallError } from 'ai';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { completedActions, expectedSeen, sdkBot, sdkPaths, startServer, startedActions, textAnswer, workspace, type SdkPath, type Style } from './support.js';

const cases = sdkPaths.flatMap((path) => (['plain', 'stream'] as Style[]).map((style) => ({ path, style })));

/** The SDK's own error for an HTTP 400, and its status, as each SDK exposes them. */
function sdkErrorOf(path: SdkPath, error: unknown): { status: number | undefined; message: string; retryable?: boolean } {
  if (path.name.startsWith('ai-sdk')) {
    expect(APICallError.isInstance(error)).toBe(true);
    const apiError = error as APICallError;
    return { status: apiError.statusCode, message: apiError.message, retryable: apiError.isRetryable };
  }
  if (path.provider === 'anthropic') {
    // The Anthropic SDK's message quotes the whole body; the parsed body is on `error`.
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    const apiError = error as InstanceType<typeof Anthropic.APIError>;
    const body = apiError.error as { type: string; error: { type: string; message: string } };
    expect(body.type).toBe('error');
    expect(body.error.type).toBe('invalid_request_error');
    return { status: apiError.status, message: body.error.message };
  }
  expect(error).toBeInstanceOf(OpenAI.BadRequestError);
  return { status: (error as InstanceType<typeof OpenAI.APIError>).status, message: (error as Error).message };
}

describe.each(cases)('a strict miss through $path.name ($style)', ({ path, style }) => {
  it('fails the invocation with CACHE_STRICT_MISS naming the bot and key; the SDK tried once', async () => {
    const server = await startServer(path.provider);
    server.enqueue(textAnswer);
    const space = workspace();
    const botKey = `miss-${path.name.replace(/[ .]/g, '-')}`;
    const thrown: unknown[] = [];
    const bot = sdkBot(botKey, async (ctx, prompt) => {
      try {
        // The SDK's default retries (2) stay on: x-should-retry must keep them from happening.
        return await path.call(ctx.fetch, server.url, { style, prompt });
      } catch (error) {
        thrown.push(error);
        throw error;
      }
    });

    const recorded = await space.run(bot, { mode: 'replay', input: 'What is the capital of France?' });
    expect(recorded.result.output).toEqual(expectedSeen(path, textAnswer));
    await server.close();

    const missed = await space.run(bot, { mode: 'replay', strict: true, input: 'What is the capital of Spain?' });
    expect(missed.status).toBe('failed');
    expect(missed.error?.code).toBe('CACHE_STRICT_MISS');
    const missEvent = completedActions(missed)[0];
    expect(missEvent?.status).toBe('error');
    expect(missEvent?.error?.code).toBe('CACHE_STRICT_MISS');
    const key = missEvent?.cache_key;
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(key).not.toBe(completedActions(recorded)[0]?.cache_key);
    const message = missed.error?.message ?? '';
    expect(message).toContain(`Strict replay miss: bot "${botKey}" called llm.message with params that have no recording.`);
    expect(message).toContain(`key:    ${key}`);
    expect(message).toContain('"What is the capital of France?" -> "What is the capital of Spain?"');
    expect(missed.error?.hint).toContain(`rehearse invoke ${botKey}`);

    // One attempt: one action, one SDK error, and the server (closed) saw only the recording.
    expect(startedActions(missed)).toHaveLength(1);
    expect(thrown).toHaveLength(1);
    const sdkError = sdkErrorOf(path, thrown[0]);
    expect(sdkError.status).toBe(400);
    expect(sdkError.message).toContain(`Strict replay miss: bot "${botKey}"`);
    if (sdkError.retryable !== undefined) expect(sdkError.retryable).toBe(false);
    expect(server.hits).toBe(1);
  });
});
