/**
 * Replaying a streamed LLM call of 500 deltas: what it costs a bot that reads the stream with
 * ctx.llm.stream, against replaying the same recording as one whole answer (ctx.llm.message).
 *
 *   npx tsx test/bench/stream-replay.bench.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import stableStringify from 'fast-json-stable-stringify';
import { writeRows } from '../support/cache-seed.js';
import { defineBot, invoke, replayKey, type LlmMessageParams, type StreamDelta } from '../../src/index.js';

const deltaCount = 500;
const callsPerInvocation = 50;
const rounds = 9;
const bot = { id: 'stream-bench', version: 'v1' };
const params: LlmMessageParams = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Tell me a long story.' }] };
const deltas: StreamDelta[] = Array.from({ length: deltaCount }, (_, index) => ({ type: 'text', text: `word${index} ` }));
const content = deltas.map((delta) => (delta.type === 'text' ? delta.text : '')).join('');

const dir = mkdtempSync(join(tmpdir(), 'rehearse-stream-bench-'));
const cachePath = join(dir, 'cache.sqlite');

function seed(): void {
  const output = { content, tool_calls: [], stop_reason: 'end_turn', model: 'gpt-4o-mini', usage: { input_tokens: 10, output_tokens: 1000 } };
  writeRows(cachePath, [{
    org: 'default',
    key: replayKey({ bot_id: bot.id, bot_updated_at: bot.version, action_type: 'llm.message', parameters: params, occurrence: 0 }),
    bot_id: bot.id,
    bot_version: bot.version,
    action_type: 'llm.message',
    params: stableStringify(params),
    occurrence: 0,
    output: JSON.stringify(output),
    status: 'success',
    usage: JSON.stringify(output.usage),
    cost_usd: 0.0006,
    duration_ms: 9000,
    created_at: '2026-11-23T00:00:00.000Z',
    deltas: JSON.stringify(deltas),
    redacted: 0,
  }]);
}

// Each call of an invocation after the first is a repeat (occurrence n), so one invocation = one call.
const streamer = defineBot({
  key: bot.id,
  version: bot.version,
  async run(_input, ctx) {
    let pieces = 0;
    const stream = ctx.llm.stream(params);
    for await (const _delta of stream) pieces++;
    if (pieces !== deltaCount) throw new Error(`expected ${deltaCount} deltas, got ${pieces}`);
    return (await stream.output).content;
  },
});
const whole = defineBot({ key: bot.id, version: bot.version, run: async (_input, ctx) => (await ctx.llm.message(params)).content });

async function round(target: typeof whole): Promise<number> {
  const started = performance.now();
  for (let index = 0; index < callsPerInvocation; index++) {
    const result = await invoke(target, { mode: 'replay', strict: true, cachePath, env: {} });
    if (!result.success) throw new Error(result.error?.message);
  }
  return (performance.now() - started) / callsPerInvocation;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

try {
  seed();
  const streamed: number[] = [];
  const plain: number[] = [];
  for (let index = 0; index < rounds; index++) {
    streamed.push(await round(streamer));
    plain.push(await round(whole));
  }
  streamed.shift();
  plain.shift();
  const s = median(streamed);
  const p = median(plain);
  console.log(`replayed stream of ${deltaCount} deltas, read with ctx.llm.stream: ${s.toFixed(2)} ms per invocation (${((s * 1000) / deltaCount).toFixed(2)} µs per delta)`);
  console.log(`the same recording as one answer (ctx.llm.message):             ${p.toFixed(2)} ms per invocation`);
  console.log(`streaming adds ${(s - p).toFixed(2)} ms (${(s / p).toFixed(2)}x)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
