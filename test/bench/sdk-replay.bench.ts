/**
 * Two costs of running agents as they are really written:
 *
 * 1. Replaying a 20-call agent written with the official `openai` SDK through ctx.fetch, against
 *    the same agent written with ctx.llm.message, in the same run: N invocations of each (different
 *    questions each, so 1,000 recorded calls by default) are recorded once into a temporary cache
 *    against the local test provider, the provider is closed, then rounds of the N strict-replay
 *    invocations of each arm alternate (the order flips every round), timed around the 20 calls
 *    inside the bot. Two references run the same calls through the SDK with a fetch that answers at
 *    once (the JSON answer, or its event stream), so rehearse's own share of an SDK call is the
 *    difference. Medians of the rounds, in µs per call.
 * 2. The start-up cost of an agent run as a program: a Python script that makes no LLM call (reads
 *    its stdin, prints it) invoked through rehearse in manual mode (a local endpoint, the scrubbed
 *    environment, stderr to events, the run record), against the same command run bare with
 *    spawnSync. Alternating runs after a warm-up; medians.
 *
 *   npx tsx test/bench/sdk-replay.bench.ts
 *   BENCH_ROUNDS=9 BENCH_INVOCATIONS=50 BENCH_SPAWNS=30 npx tsx test/bench/sdk-replay.bench.ts
 *   BENCH_SPAWNS=0 npx tsx test/bench/sdk-replay.bench.ts     (part 1 only)
 *
 * The machine is shared and noisy: trust the ratio and the difference more than absolute times. Part
 * 1 also reports the process's CPU time around the same calls, which other processes on the machine
 * disturb much less than wall time.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { defineBot, invoke, type InvokeOptions } from '../../src/index.js';
import { openAiChatCodec } from '../../src/providers/openai-chat/codec.js';
import { startOpenAIServer } from '../support/openai-server.js';

const rounds = Number(process.env.BENCH_ROUNDS ?? 9);
const invocationsPerRound = Number(process.env.BENCH_INVOCATIONS ?? 50);
const spawnRuns = Number(process.env.BENCH_SPAWNS ?? 30);
const callsPerInvocation = 20;
const model = 'gpt-4o-mini';

const dir = mkdtempSync(join(tmpdir(), 'rehearse-bench-sdk-'));
const cachePath = join(dir, 'cache.sqlite');
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? dir, REHEARSE_STATE: join(dir, 'state.sqlite') };

/** What the agent asks at step `index` of its invocation `run`: a realistic few hundred bytes, different every step and run. */
function question(index: number, run = 0): string {
  return `Step ${index + 1}: the customer asks whether order A-${1000 + run * callsPerInvocation + index} can still be returned, what the refund would be, and when the money arrives. Answer briefly.`;
}

/** Wall and CPU time of the work since `started` (from `clock()`), in ms. */
type Spent = [wall: number, cpu: number];
function clock(): { wall: number; cpu: NodeJS.CpuUsage } {
  return { wall: performance.now(), cpu: process.cpuUsage() };
}
function spentSince(started: ReturnType<typeof clock>): Spent {
  const cpu = process.cpuUsage(started.cpu);
  return [performance.now() - started.wall, (cpu.user + cpu.system) / 1000];
}

let providerUrl = 'http://127.0.0.1:9/v1';

/** The agent written with the openai SDK, as a user would write it, handing ctx.fetch to the client. */
const sdkBot = defineBot({
  key: 'bench-sdk-agent',
  version: '1',
  async run(input, ctx) {
    const client = new OpenAI({ apiKey: 'bench', baseURL: providerUrl, fetch: ctx.fetch, maxRetries: 0 });
    const stream = input.parameters.stream === true;
    const run = Number(input.parameters.run ?? 0);
    const started = clock();
    for (let index = 0; index < callsPerInvocation; index++) {
      const messages = [{ role: 'user' as const, content: question(index, run) }];
      if (stream) {
        let text = '';
        for await (const chunk of await client.chat.completions.create({ model, messages, stream: true })) text += chunk.choices[0]?.delta?.content ?? '';
        if (!text) throw new Error('empty streamed answer');
      } else {
        const completion = await client.chat.completions.create({ model, messages });
        if (!completion.choices[0]?.message.content) throw new Error('empty answer');
      }
    }
    return spentSince(started);
  },
});

/** The same agent written against ctx.llm.message. */
const nativeBot = defineBot({
  key: 'bench-native-agent',
  version: '1',
  async run(input, ctx) {
    const run = Number(input.parameters.run ?? 0);
    const started = clock();
    for (let index = 0; index < callsPerInvocation; index++) {
      const answer = await ctx.llm.message({ model, messages: [{ role: 'user', content: question(index, run) }] });
      if (!answer.content) throw new Error('empty answer');
    }
    return spentSince(started);
  },
});

/** A chat.completion as the test provider answers (the same size as a recorded one). */
const cannedAnswer = {
  id: 'chatcmpl-fake000001',
  object: 'chat.completion',
  created: 1700000000,
  model,
  choices: [{ index: 0, message: { role: 'assistant', content: `echo: ${question(0)}`, refusal: null }, logprobs: null, finish_reason: 'stop' }],
  usage: { prompt_tokens: 40, completion_tokens: 40, total_tokens: 80 },
};
const cannedJson = JSON.stringify(cannedAnswer);
/** The same answer as the event stream an SDK reads when it asked to stream (words as pieces, as a replay sends it). */
const cannedStream = openAiChatCodec.toEventStream(cannedAnswer, { model, messages: [], stream: true });

/**
 * For reference, not an invocation: the same 20 calls through the SDK with a fetch that hands back
 * a fixed answer at once. What the SDK itself costs a call, whoever answers it.
 */
async function sdkAlone(run: number, stream: boolean): Promise<Spent> {
  const cannedFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    await new Request(input, init).text();
    if (stream) return new Response(cannedStream, { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8' } });
    return new Response(cannedJson, { status: 200, headers: { 'content-type': 'application/json' } });
  };
  const client = new OpenAI({ apiKey: 'bench', baseURL: providerUrl, fetch: cannedFetch, maxRetries: 0 });
  const started = clock();
  for (let index = 0; index < callsPerInvocation; index++) {
    const messages = [{ role: 'user' as const, content: question(index, run) }];
    if (stream) {
      let text = '';
      for await (const chunk of await client.chat.completions.create({ model, messages, stream: true })) text += chunk.choices[0]?.delta?.content ?? '';
      if (!text) throw new Error('empty streamed answer');
    } else {
      const completion = await client.chat.completions.create({ model, messages });
      if (!completion.choices[0]?.message.content) throw new Error('empty answer');
    }
  }
  return spentSince(started);
}

type Arm = { name: string; bot?: typeof sdkBot; options?: InvokeOptions; stream?: boolean };
const native: Arm = { name: 'ctx.llm.message', bot: nativeBot, options: {} };
const viaFetch: Arm = { name: 'openai SDK via ctx.fetch', bot: sdkBot, options: {} };
const viaFetchStreamed: Arm = { name: 'openai SDK via ctx.fetch, stream: true', bot: sdkBot, options: { parameters: { stream: true } }, stream: true };
const alone: Arm = { name: '(reference: openai SDK, instant fetch)' };
const aloneStreamed: Arm = { name: '(reference: openai SDK, instant fetch, stream)', stream: true };
const arms: Arm[] = [native, viaFetch, viaFetchStreamed, alone, aloneStreamed];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function record(): Promise<void> {
  const server = await startOpenAIServer();
  providerUrl = server.url;
  try {
    for (const arm of [native, viaFetch]) {
      for (let run = 0; run < invocationsPerRound; run++) {
        const result = await invoke(arm.bot!, { parameters: { run }, mode: 'replay', cachePath, env: { ...env, OPENAI_BASE_URL: server.url } });
        if (!result.success || result.cache.recorded !== callsPerInvocation) throw new Error(`recording ${arm.name} failed: ${result.error?.message}`);
      }
    }
  } finally {
    await server.close();
    providerUrl = 'http://127.0.0.1:9/v1';
  }
}

/** N strict replays of one arm; returns [µs per call inside the bot, CPU µs per call inside the bot, µs per whole invocation]. */
async function replayRound(arm: Arm): Promise<[number, number, number]> {
  let inside = 0;
  let insideCpu = 0;
  const started = performance.now();
  for (let run = 0; run < invocationsPerRound; run++) {
    if (!arm.bot) {
      const [wall, cpu] = await sdkAlone(run, arm.stream === true);
      inside += wall;
      insideCpu += cpu;
      continue;
    }
    const parameters = { ...arm.options?.parameters, run };
    const result = await invoke(arm.bot, { ...arm.options, parameters, mode: 'replay', strict: true, cachePath, env });
    if (!result.success || result.cache.hits !== callsPerInvocation) throw new Error(`${arm.name}: ${result.error?.message ?? 'not every call was a hit'}`);
    const [wall, cpu] = result.result.output as Spent;
    inside += wall;
    insideCpu += cpu;
  }
  const whole = performance.now() - started;
  const calls = invocationsPerRound * callsPerInvocation;
  return [(inside * 1000) / calls, (insideCpu * 1000) / calls, (whole * 1000) / invocationsPerRound];
}

async function sdkReplay(): Promise<void> {
  await record();
  for (const arm of arms) await replayRound(arm); // warm-up: JIT, module loading, the page cache
  const perCall = new Map<string, number[]>(arms.map((arm) => [arm.name, []]));
  const perCallCpu = new Map<string, number[]>(arms.map((arm) => [arm.name, []]));
  const perInvocation = new Map<string, number[]>(arms.map((arm) => [arm.name, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? arms : [...arms].reverse();
    for (const arm of order) {
      const [call, cpu, invocation] = await replayRound(arm);
      perCall.get(arm.name)!.push(call);
      perCallCpu.get(arm.name)!.push(cpu);
      perInvocation.get(arm.name)!.push(invocation);
    }
  }
  const base = median(perCall.get(arms[0]!.name)!);
  const calls = callsPerInvocation * invocationsPerRound;
  console.log(`\n1. Replaying a ${callsPerInvocation}-call agent (strict, provider closed): ${rounds} rounds x ${invocationsPerRound} invocations (${calls} recorded calls) per arm, medians`);
  console.log(`   ${'arm'.padEnd(50)} ${'µs per call'.padStart(12)} ${'ratio'.padStart(7)} ${'ms per invocation'.padStart(18)} ${'CPU µs per call'.padStart(16)}`);
  for (const arm of arms) {
    const call = median(perCall.get(arm.name)!);
    const invocation = median(perInvocation.get(arm.name)!) / 1000;
    const whole = arm.bot ? invocation.toFixed(2) : '';
    const cpu = median(perCallCpu.get(arm.name)!);
    console.log(`   ${arm.name.padEnd(50)} ${call.toFixed(0).padStart(12)} ${`${(call / base).toFixed(2)}x`.padStart(7)} ${whole.padStart(18)} ${cpu.toFixed(0).padStart(16)}`);
  }
  // Rehearse's share of an SDK call: the call through ctx.fetch minus the SDK alone, round by round (same order), then the median.
  const share = (times: Map<string, number[]>, through: Arm, reference: Arm) =>
    median(times.get(through.name)!.map((call, round) => call - times.get(reference.name)![round]!)).toFixed(0);
  const shares = (through: Arm, reference: Arm) => `${share(perCall, through, reference).padStart(4)} µs wall, ${share(perCallCpu, through, reference).padStart(4)} µs CPU`;
  console.log(`   rehearse's share of an SDK call (per round, median)          ${shares(viaFetch, alone)} (goal: at most 100)`);
  console.log(`   rehearse's share of a streamed SDK call (per round, median)  ${shares(viaFetchStreamed, aloneStreamed)} (goal: at most 200)`);
}

/** The real interpreter, not a version manager's shim script, so both sides time python and not the shim. */
function pythonExecutable(): string {
  return execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
}

async function processStartup(): Promise<void> {
  const python = pythonExecutable();
  const script = join(dir, 'echo_agent.py');
  writeFileSync(script, 'import sys\nprint(sys.stdin.read().strip())\n');
  const bot = defineBot({ key: 'bench-echo-agent', version: '1', command: [python, script], cwd: dir });
  const prompt = 'hello';

  const throughRehearse = async (): Promise<number> => {
    const started = performance.now();
    const result = await invoke(bot, { input: prompt, mode: 'manual', mocks: {}, env });
    const elapsed = performance.now() - started;
    if (result.result.output !== prompt) throw new Error(`rehearse: ${result.error?.message ?? JSON.stringify(result.result.output)}`);
    return elapsed;
  };
  const bare = (): number => {
    const started = performance.now();
    const child = spawnSync(python, [script], { cwd: dir, env, input: prompt, encoding: 'utf8' });
    const elapsed = performance.now() - started;
    if (child.stdout.trim() !== prompt) throw new Error(`bare: ${child.stderr}`);
    return elapsed;
  };

  for (let index = 0; index < 3; index++) {
    await throughRehearse();
    bare();
  }
  const timings = { rehearse: [] as number[], bare: [] as number[] };
  for (let index = 0; index < spawnRuns; index++) {
    if (index % 2 === 0) {
      timings.rehearse.push(await throughRehearse());
      timings.bare.push(bare());
    } else {
      timings.bare.push(bare());
      timings.rehearse.push(await throughRehearse());
    }
  }
  const through = median(timings.rehearse);
  const alone = median(timings.bare);
  console.log(`\n2. A child-process agent making no LLM call (${python} echo_agent.py), ${spawnRuns} alternating runs, medians`);
  console.log(`   bare spawnSync                          ${alone.toFixed(1).padStart(7)} ms`);
  console.log(`   through rehearse (manual mode, invoke)  ${through.toFixed(1).padStart(7)} ms`);
  console.log(`   rehearse's start-up cost                ${(through - alone).toFixed(1).padStart(7)} ms (${(through / alone).toFixed(2)}x)`);
}

try {
  console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
  await sdkReplay();
  if (spawnRuns > 0) await processStartup();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
