/**
 * `rehearse … | head`: a stdout whose reader has gone ends the process quietly (no EPIPE stack),
 * with the status the command had. The reader's end of the pipe is closed before the built CLI
 * writes anything, so every write it makes fails: no race with how fast it writes.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedCache } from '../support/cache-seed.js';
import { repoRoot } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

beforeAll(() => {
  if (!existsSync(join(repoRoot, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run `npm run build` first.');
});

/** Runs the CLI with its stdout's reader closed at once; resolves to its exit code and stderr. */
function withClosedStdout(args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const dir = tempDir('rehearse-epipe-');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin/rehearse.js'), ...args], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, REHEARSE_STATE: join(dir, 'state.sqlite') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr });
    });
  });
}

describe('a closed stdout', () => {
  it('ends invoke, cache ls and --help quietly with exit 0', async () => {
    for (const args of [
      ['invoke', 'support-bot', 'How do I reset my password?', '--mode', 'replay', '--strict'],
      ['cache', 'ls', '--all-orgs'],
      ['invoke', '--help'],
    ]) {
      expect({ args, ...(await withClosedStdout(args)) }).toEqual({ args, code: 0, signal: null, stderr: '' });
    }
  });

  it('keeps the status the command had set (verify of a damaged cache exits 1)', async () => {
    const path = join(tempDir(), 'cache.sqlite');
    const [row] = seedCache(path, [{ params: { n: 1 } }]);
    const db = new Database(path);
    db.prepare('UPDATE entries SET key = ? WHERE key = ?').run('0'.repeat(64), row!.key);
    db.close();
    expect(await withClosedStdout(['cache', 'verify', '--cache', path])).toEqual({ code: 1, signal: null, stderr: '' });
  });
});
