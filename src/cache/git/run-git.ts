import { spawnSync, type StdioOptions } from 'node:child_process';
import { UsageError } from '../../errors.js';

export interface GitResult {
  ok: boolean;
  stdout: string;
  /** What git said on failure, its first line without "fatal: ". */
  problem: string;
}

/**
 * Runs git in `cwd` and waits for it. `stdout` may be a file descriptor for output that is not text
 * (a blob). A git that is not installed is a usage error that says so.
 */
export function runGit(cwd: string, args: readonly string[], stdout?: number): GitResult {
  const stdio: StdioOptions = ['ignore', stdout ?? 'pipe', 'pipe'];
  const run = spawnSync('git', args, { cwd, stdio, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (run.error) {
    if ((run.error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new UsageError('git is not installed (or not on the PATH), and this command runs it.', { hint: 'Install git (https://git-scm.com) and run it again.' });
    }
    throw run.error;
  }
  const stderr = run.stderr ?? '';
  const problem = (stderr.split('\n').find((line) => line.trim() !== '') ?? `git exited with ${run.status}`).replace(/^(fatal|error): /, '');
  return { ok: run.status === 0, stdout: typeof run.stdout === 'string' ? run.stdout : '', problem };
}
