/**
 * Permissions do not stop root, and the suite often runs as root (CI does). To test a read-only file
 * or folder for real, the CLI then runs as `nobody` (setpriv, util-linux); as any other user it runs
 * as that user, whom the permissions do stop.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { runProcess, repoRoot, type CliRun } from './cli.js';
import { tempDir } from './temp.js';

const nobody = 65534;
const isRoot = process.getuid?.() === 0;
const bin = join(repoRoot, 'bin/rehearse.js');

function prefix(): string[] {
  return isRoot ? ['setpriv', `--reuid=${nobody}`, `--regid=${nobody}`, '--clear-groups', '--'] : [];
}

/** Whether a user whom permissions stop can run the built CLI here (root needs setpriv, and a checkout `nobody` may read). */
export const canRunUnprivileged: boolean = (() => {
  const [command, ...args] = [...prefix(), process.execPath, '-e', `require('node:fs').accessSync(${JSON.stringify(bin)}, require('node:fs').constants.R_OK)`];
  return spawnSync(command!, args, { stdio: 'ignore' }).status === 0;
})();

/** A folder of this test that the unprivileged user may write (its temp files, its state file). */
export function sharedTempDir(): string {
  const dir = tempDir('rehearse-unprivileged-');
  chmodSync(dir, 0o777);
  return dir;
}

/** Runs the built CLI as a user whom file permissions stop, with PATH, HOME and TMPDIR at `home`, plus `env`. */
export function rehearseUnprivileged(args: string[], home: string, env: Record<string, string> = {}): Promise<CliRun> {
  const [command, ...rest] = [...prefix(), process.execPath, bin, ...args];
  return runProcess(command!, rest, { cwd: home, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, TMPDIR: home, ...env } });
}
