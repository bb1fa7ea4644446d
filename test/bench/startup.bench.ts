/**
 * How long the CLI takes to start, against `node -e 0`, cold (a new process each time):
 *
 *   npx tsx test/bench/startup.bench.ts          (15 rounds)
 *   BENCH_ROUNDS=30 npx tsx test/bench/startup.bench.ts
 *   BENCH_INHERIT_ENV=1 npx tsx test/bench/startup.bench.ts   (this shell's environment, see baseEnv)
 *
 * Each round runs, in turn: `node -e 0`; `rehearse --version`; a replayed one-llm-call bot in a
 * project with one bot file; the same bot in a project with 50 bot files. The projects are real
 * folders with rehearse installed in node_modules, their recordings made once through the local
 * fake provider; the runs replay with --strict. The machine is shared and noisy, so the runs
 * alternate and the figures to trust are the ratios of medians within this one run.
 *
 * Goals (issue 12): replayed bot <= 3x node; --version <= 2x node; 50 files <= 1.1x one file.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, runProcess } from '../support/cli.js';
import { llmBotSource, writeBotProject } from '../support/bot-project.js';
import { startOpenAIServer } from '../support/openai-server.js';

const rounds = Number(process.env.BENCH_ROUNDS ?? 15);
const bin = join(repoRoot, 'bin/rehearse.js');
const prompt = 'Where is my order?';
const scratch = mkdtempSync(join(tmpdir(), 'rehearse-startup-bench-'));

function project(name: string, otherBots: number): string {
  const bots: Record<string, string> = { 'bots/one-bot.ts': llmBotSource('one-bot') };
  for (let index = 1; index <= otherBots; index++) {
    const key = `other-bot-${String(index).padStart(2, '0')}`;
    bots[`bots/${key}.ts`] = llmBotSource(key);
  }
  return writeBotProject(join(scratch, name), bots);
}

interface Case {
  name: string;
  args: string[];
  cwd: string;
}

/**
 * With GNU time at hand, each run also reports the CPU time it used (user + system): on a shared
 * machine under load, wall time stretches with the load, CPU time much less.
 */
const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

function run(command: Case, env: NodeJS.ProcessEnv): { wallMs: number; cpuMs: number | undefined } {
  const [program, args] = gnuTime ? [gnuTime, ['-f', 'cpu %U %S', process.execPath, ...command.args]] : [process.execPath, command.args];
  const started = performance.now();
  const result = spawnSync(program, args, { cwd: command.cwd, env, encoding: 'utf8' });
  const wallMs = performance.now() - started;
  if (result.status !== 0) throw new Error(`${command.name} exited with ${result.status}:\n${result.stdout}\n${result.stderr}`);
  const cpu = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(result.stderr);
  return { wallMs, cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : undefined };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * PATH and HOME only, by default. BENCH_INHERIT_ENV=1 passes this shell's environment (without
 * REHEARSE_* settings) to every run, node -e 0 included: NODE_EXTRA_CA_CERTS, for one, makes every
 * Node process read a CA bundle at start (~60 ms here), which moves all the ratios.
 */
const baseEnv: NodeJS.ProcessEnv =
  process.env.BENCH_INHERIT_ENV === '1'
    ? Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('REHEARSE_')))
    : { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? tmpdir() };

try {
  const one = project('one-bot-file', 0);
  const fifty = project('fifty-bot-files', 49);
  const replay = ['invoke', 'one-bot', prompt, '--mode', 'replay', '--strict', '--format', 'text'];
  const cases: Case[] = [
    { name: 'node -e 0', args: ['-e', '0'], cwd: one },
    { name: 'rehearse --version', args: [bin, '--version'], cwd: one },
    { name: 'replay, 1 bot file', args: [bin, ...replay], cwd: one },
    { name: 'replay, 50 bot files', args: [bin, ...replay], cwd: fifty },
  ];

  // Record the one call in each project (a miss in replay mode goes live, to the local fake; spawned
  // asynchronously, as the fake answers from this process).
  const server = await startOpenAIServer();
  try {
    for (const cwd of [one, fifty]) {
      const recording = await runProcess(process.execPath, [bin, 'invoke', 'one-bot', prompt, '--mode', 'replay'], { cwd, env: { ...baseEnv, OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'sk-bench' } });
      if (recording.code !== 0) throw new Error(`recording in ${cwd} failed:\n${recording.stdout}\n${recording.stderr}`);
    }
  } finally {
    await server.close();
  }

  const wall = new Map<string, number[]>(cases.map((command) => [command.name, []]));
  const cpu = new Map<string, number[]>(cases.map((command) => [command.name, []]));
  for (const command of cases) run(command, baseEnv); // one warm-up each: the disk cache, as a user's second run
  for (let round = 0; round < rounds; round++) {
    for (const command of cases) {
      const { wallMs, cpuMs } = run(command, baseEnv);
      wall.get(command.name)!.push(wallMs);
      if (cpuMs !== undefined) cpu.get(command.name)!.push(cpuMs);
    }
  }

  function report(title: string, times: Map<string, number[]>): void {
    const medians = new Map([...times].map(([name, values]) => [name, median(values)]));
    console.log(`${title}: ${rounds} rounds, alternating; milliseconds per cold run`);
    for (const [name, values] of times) {
      console.log(`  ${name.padEnd(22)} median ${medians.get(name)!.toFixed(0).padStart(5)}   range ${Math.min(...values).toFixed(0)}-${Math.max(...values).toFixed(0)}`);
    }
    const node = medians.get('node -e 0')!;
    const ratio = (name: string, base: number) => (medians.get(name)! / base).toFixed(2);
    console.log(`  ratios of medians (goal in brackets):`);
    console.log(`    rehearse --version / node -e 0        ${ratio('rehearse --version', node)}x  [<= 2]`);
    console.log(`    replay, 1 bot file / node -e 0        ${ratio('replay, 1 bot file', node)}x  [<= 3]`);
    console.log(`    replay, 50 files / replay, 1 file     ${ratio('replay, 50 bot files', medians.get('replay, 1 bot file')!)}x  [<= 1.1]`);
  }
  report('Wall time', wall);
  if (cpu.get('node -e 0')!.length === rounds) report('CPU time (user + system)', cpu);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
