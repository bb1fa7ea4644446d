/**
 * Each SDK path, streaming and not, with and without tool calls, through ctx.fetch: recorded against the
 * local provider server in replay mode, replayed while the server is up (it sees nothing), then replayed
 * strict with the server stopped. The SDK must hand the bot the same text, tool calls and usage each time.
 */
import { describe, expect, it } from 'vitest';
import {
  anthropicModel,
  completedActions,
  openAiModel,
  expectedSeen,
  pathBot,
  sdkPaths,
  sources,
  startServer,
  startedActions,
  textAnswer,
  toolAnswer,
  workspace,
  type Style,
} from './support.js';

const cases = sdkPaths.flatMap((path) =>
  path.styles.flatMap((style) => [
    { path, style, tools: false },
    { path, style, tools: true },
  ]),
);

describe.each(cases)('$path.name, $style, tools: $tools', ({ path, style, tools }) => {
  it('is recorded once, then replayed from the cache: the same text, tool calls and usage, the server never asked again', async () => {
    const server = await startServer(path.provider);
    const answer = tools ? toolAnswer : textAnswer;
    server.enqueue(answer);
    const space = workspace();
    const bot = pathBot(`rr-${path.api}-${style}`.replace(/\./g, '-'), path, server.url, { style, tools });
    const expected = expectedSeen(path, answer);

    const recorded = await space.run(bot, { mode: 'replay' });
    expect(recorded.error).toBeUndefined();
    expect(recorded.result.output).toEqual(expected);
    expect(sources(recorded)).toEqual(['live']);
    expect(recorded.cache).toMatchObject({ recorded: 1, hits: 0 });
    expect(server.hits).toBe(1);
    expect(server.paths()).toEqual([path.provider === 'anthropic' ? '/v1/messages' : path.api === 'openai.chat' ? '/v1/chat/completions' : '/v1/responses']);
    const params = startedActions(recorded)[0]?.params as Record<string, unknown>;
    expect(params.api).toBe(path.api);
    expect(params.model).toBe(path.provider === 'anthropic' ? anthropicModel : openAiModel);
    // The params are the request body as the SDK sent it, `stream` included (the key leaves it out).
    expect(params.stream).toBe(style === 'plain' ? undefined : true);
    const key = completedActions(recorded)[0]?.cache_key;
    expect(key).toMatch(/^[0-9a-f]{64}$/);

    const replayed = await space.run(bot, { mode: 'replay' });
    expect(replayed.error).toBeUndefined();
    expect(replayed.result.output).toEqual(expected);
    expect(sources(replayed)).toEqual(['cache']);
    expect(completedActions(replayed)[0]?.cache_key).toBe(key);
    expect(server.hits).toBe(1);

    await server.close();
    const strict = await space.run(bot, { mode: 'replay', strict: true });
    expect(strict.error).toBeUndefined();
    expect(strict.result.output).toEqual(expected);
    expect(sources(strict)).toEqual(['cache']);
    expect(strict.cache).toMatchObject({ hits: 1, recorded: 0 });
    expect(server.hits).toBe(1);
  });
});

/** The other way of asking: plain ↔ stream. */
function otherStyle(style: Style): Style {
  return style === 'plain' ? 'stream' : 'plain';
}

const sharing = sdkPaths.flatMap((path) => [
  { path, recordStyle: 'plain' as Style, tools: false },
  { path, recordStyle: 'stream' as Style, tools: true },
  { path, recordStyle: 'stream' as Style, tools: false },
]);

describe.each(sharing)('$path.name: recorded $recordStyle (tools: $tools), replayed the other way', ({ path, recordStyle, tools }) => {
  it('a streamed and an unstreamed call of the same request share one recording', async () => {
    const server = await startServer(path.provider);
    const answer = tools ? toolAnswer : textAnswer;
    server.enqueue(answer);
    const space = workspace();
    const key = `share-${path.api}`.replace(/\./g, '-');
    const replayStyle = otherStyle(recordStyle);
    const expected = expectedSeen(path, answer);

    const recorded = await space.run(pathBot(key, path, server.url, { style: recordStyle, tools }), { mode: 'replay' });
    expect(recorded.error).toBeUndefined();
    expect(recorded.result.output).toEqual(expected);
    expect(server.hits).toBe(1);
    await server.close();

    const replayed = await space.run(pathBot(key, path, server.url, { style: replayStyle, tools }), { mode: 'replay', strict: true });
    expect(replayed.error).toBeUndefined();
    expect(replayed.result.output).toEqual(expected);
    expect(sources(replayed)).toEqual(['cache']);
    expect(completedActions(replayed)[0]?.cache_key).toBe(completedActions(recorded)[0]?.cache_key);
    // The two requests differ in how the answer travels, and in nothing else.
    const asked = (result: typeof recorded) => {
      const { stream, stream_options, ...rest } = startedActions(result)[0]?.params as Record<string, unknown>;
      return { rest, stream };
    };
    expect(asked(replayed).rest).toEqual(asked(recorded).rest);
    expect([asked(recorded).stream, asked(replayed).stream]).toEqual(recordStyle === 'plain' ? [undefined, true] : [true, undefined]);
  });
});
