import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '../..');
const bin = join(repoRoot, 'bin/rehearse.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The runs of the test suite are recorded here, not in the developer's own .rehearse/state.sqlite. */
const testStatePath = join(mkdtempSync(join(tmpdir(), 'rehearse-cli-state-')), 'state.sqlite');

/** Runs a program to its end, collecting its output; killed after 30 s so a hung child fails the test, not the run. */
export function runProcess(command: string, args: string[], options: { env: Record<string, string>; cwd?: string; stdin?: string }): Promise<CliRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? repoRoot,
      env: options.env,
      stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (options.stdin !== undefined) child.stdin?.end(options.stdin);
    if (!child.stdout || !child.stderr) throw new Error('the child has no stdout or stderr pipe');
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/**
 * Runs the built CLI as a child process with PATH and HOME only, plus `env`, so no developer setting
 * leaks in. `stdin` is written to the child's standard input.
 */
export function rehearse(args: string[], options: { env?: Record<string, string>; cwd?: string; stdin?: string } = {}): Promise<CliRun> {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? tmpdir(), REHEARSE_STATE: testStatePath, ...options.env };
  return runProcess(process.execPath, [bin, ...args], { ...options, env });
}
