/**
 * What codeexec.run costs on top of the program it runs: a trivial program (`print(1)`,
 * `console.log(1)`, `echo 1`) through the live executor, against spawning the same interpreter
 * directly with child_process, with the same arguments, environment and working folder.
 *
 *   npx tsx test/bench/codeexec.bench.ts
 *   BENCH_RUNS=50 npx tsx test/bench/codeexec.bench.ts
 *
 * The two alternate run by run in one process after a warm-up, and medians are reported: the
 * machine is shared and noisy, so the overhead in ms is the figure to trust more than the ratio.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codeExecAction } from '../../src/actions/codeexec.js';
import type { CodeExecParams } from '../../src/actions/builtin-types.js';
import type { LiveContext, LiveSettings } from '../../src/actions/types.js';
import { childEnvironment } from '../../src/live/codeexec/environment.js';
import { resolveInterpreter } from '../../src/live/codeexec/interpreters.js';

const runs = Number(process.env.BENCH_RUNS ?? 30);
const warmup = 5;

const programs: Array<{ language: CodeExecParams['language']; code: string }> = [
  { language: 'python', code: 'print(1)' },
  { language: 'node', code: 'console.log(1)' },
  { language: 'bash', code: 'echo 1' },
];

/** codeexec reads only `root` (where a version manager's python3 is resolved); the rest is filler. */
function settingsFor(dir: string): LiveSettings {
  const settings: Omit<LiveSettings, 'llm'> = { root: process.cwd(), statePath: join(dir, 'state.sqlite'), datasetsDir: dir, datasets: [], prices: {} };
  return settings as LiveSettings;
}

const sandbox = mkdtempSync(join(tmpdir(), 'rehearse-bench-codeexec-'));
const cleanups: Array<() => void | Promise<void>> = [];
const live: LiveContext = {
  signal: new AbortController().signal,
  env: { PATH: process.env.PATH, HOME: process.env.HOME },
  warn: (message) => console.warn(message),
  org: 'default',
  settings: settingsFor(sandbox),
  sandbox: async () => sandbox,
  onClose: (cleanup) => void cleanups.push(cleanup),
  emitDelta() {},
};

async function throughExecutor(params: CodeExecParams): Promise<number> {
  const started = performance.now();
  const { output } = await codeExecAction.run!(codeExecAction.validate!(params), live);
  const elapsed = performance.now() - started;
  if (output.stdout !== '1\n' || output.exit_code !== 0) throw new Error(`unexpected output: ${JSON.stringify(output)}`);
  return elapsed;
}

function direct(command: string, args: string[], env: Record<string, string>): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: sandbox, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const elapsed = performance.now() - started;
      if (stdout !== '1\n' || code !== 0) reject(new Error(`unexpected output: ${JSON.stringify({ stdout, code })}`));
      else resolve(elapsed);
    });
  });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

try {
  console.log(`codeexec.run against a direct spawn: ${runs} runs each, alternating, after ${warmup} warm-up runs (node ${process.version})\n`);
  console.log('language   executor (ms)   direct (ms)   overhead (ms)   ratio');
  for (const { language, code } of programs) {
    // The same interpreter the executor uses (the real python3 behind a pyenv shim), the same file,
    // arguments, environment and folder.
    const interpreter = await resolveInterpreter(language, live.env, process.cwd());
    const file = `.bench-main.${interpreter.extension}`;
    writeFileSync(join(sandbox, file), code);
    const args = interpreter.args(file);
    const env = childEnvironment(language, sandbox);
    const params: CodeExecParams = { language, code };

    for (let index = 0; index < warmup; index++) {
      await throughExecutor(params);
      await direct(interpreter.command, args, env);
    }
    const executorTimes: number[] = [];
    const directTimes: number[] = [];
    for (let index = 0; index < runs; index++) {
      // Alternate which goes first, so neither always runs on a cache the other just warmed.
      if (index % 2 === 0) {
        executorTimes.push(await throughExecutor(params));
        directTimes.push(await direct(interpreter.command, args, env));
      } else {
        directTimes.push(await direct(interpreter.command, args, env));
        executorTimes.push(await throughExecutor(params));
      }
    }
    rmSync(join(sandbox, file));
    const viaExecutor = median(executorTimes);
    const viaSpawn = median(directTimes);
    console.log(
      `${language.padEnd(10)} ${viaExecutor.toFixed(2).padStart(13)}   ${viaSpawn.toFixed(2).padStart(11)}   ${(viaExecutor - viaSpawn)
        .toFixed(2)
        .padStart(13)}   ${(viaExecutor / viaSpawn).toFixed(2).padStart(5)}x`,
    );
  }
  console.log(`\ninterpreters: ${(await Promise.all(programs.map(async (p) => `${p.language}=${(await resolveInterpreter(p.language, live.env, process.cwd())).command}`))).join(', ')}`);
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup();
  rmSync(sandbox, { recursive: true, force: true });
}
