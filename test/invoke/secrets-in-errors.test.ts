/**
 * A secret in an error message (a bot's `Error('boom sk-live-…')`, a URL with its password or a key
 * in its query) is redacted in the run's result, its events, the CLI's stderr and the state file.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineBot, invoke } from '../../src/index.js';
import { rehearse, repoRoot } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

const key = 'sk-live-0123456789abcdefghijklmnop';
const message = `boom ${key} at postgres://admin:hunter2@db:5432/app?x=1 and https://api.example.com/v1?api_key=qwerty123&page=2`;

describe('secrets in error messages', () => {
  it('are replaced in the result and the events', async () => {
    const bot = defineBot({
      key: 'leaky',
      version: 'v1',
      run: () => {
        throw new Error(message);
      },
    });
    const result = await invoke(bot, { mode: 'manual' });
    const text = JSON.stringify(result);
    for (const secret of [key, 'hunter2', 'qwerty123']) expect(text).not.toContain(secret);
    expect(result.error?.message).toBe('boom [REDACTED] at postgres://admin:[REDACTED]@db:5432/app?x=1 and https://api.example.com/v1?api_key=[REDACTED]&page=2');
  });

  it('never reach the CLI output or the state file (rehearse runs show)', async () => {
    const dir = tempDir();
    const state = join(dir, 'state.sqlite');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    writeFileSync(join(dir, 'rehearse.config.json'), JSON.stringify({ bots: ['leaky.ts'] }));
    writeFileSync(
      join(dir, 'leaky.ts'),
      `import { defineBot } from '${join(repoRoot, 'dist/index.js')}';\nexport const bot = defineBot({ key: 'leaky', version: 'v1', run: () => { throw new Error(${JSON.stringify(message)}); } });\n`,
    );
    const run = await rehearse(['invoke', 'leaky', 'hi', '--mode', 'manual'], { cwd: dir, env: { REHEARSE_STATE: state } });
    expect(run.code).not.toBe(0);
    const runs = await rehearse(['runs', '--format', 'json'], { cwd: dir, env: { REHEARSE_STATE: state } });
    for (const output of [run.stdout, run.stderr, runs.stdout]) for (const secret of [key, 'hunter2', 'qwerty123']) expect(output).not.toContain(secret);
    expect(run.stderr).toContain('[REDACTED]');
  }, 30_000);
});
