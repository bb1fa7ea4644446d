import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './cli.js';
import { tempDir } from './temp.js';

/** Git with no user or system config of the developer's: only what a test sets in its repository. */
const gitEnv = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0' };

export interface GitRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs git in `cwd`, whatever it exits with. */
export function gitRun(cwd: string, ...args: string[]): GitRun {
  const run = spawnSync('git', args, { cwd, env: gitEnv, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.error) throw run.error;
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** Runs git in `cwd` and returns its stdout; a failure fails the test with what git said. */
export function git(cwd: string, ...args: string[]): string {
  const run = gitRun(cwd, ...args);
  if (run.code !== 0) throw new Error(`git ${args.join(' ')} exited with ${run.code}:\n${run.stderr}${run.stdout}`);
  return run.stdout;
}

/** How git starts the CLI of this checkout in a test repository (npx would look for an installed rehearse). */
export const rehearseCommand = `"${process.execPath}" "${join(repoRoot, 'bin/rehearse.js')}"`;

/** A fresh repository on branch main with a user to commit as, removed when the test ends. */
export function tempRepo(): string {
  const root = tempDir('rehearse-git-');
  git(root, 'init', '-q', '-b', 'main');
  git(root, 'config', 'user.name', 'Rehearse Test');
  git(root, 'config', 'user.email', 'test@rehearse.invalid');
  git(root, 'config', 'commit.gpgsign', 'false');
  return root;
}

/** Stages everything and commits it. */
export function commitAll(root: string, message: string): void {
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', message);
}

/** The env the CLI's git commands run with in tests: the same isolation. */
export const gitTestEnv = { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
