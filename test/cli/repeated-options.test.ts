/**
 * A repeated option: the last one wins, on every command (`--format text --format json` is json),
 * while the options meant to repeat (`--param`, `--dataset`) keep every value. The built CLI as a
 * child process, and keepLastValues itself.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { keepLastValues } from '../../src/cli/last-wins.js';
import { rehearse, repoRoot } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

beforeAll(() => {
  if (!existsSync(join(repoRoot, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run `npm run build` first.');
});

/** A project with one bot that answers with the parameters it was given. */
function project(): string {
  const dir = tempDir('rehearse-repeat-');
  mkdirSync(join(dir, 'bots'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'repeat', private: true, type: 'module' }));
  writeFileSync(join(dir, 'rehearse.config.json'), JSON.stringify({ bots: ['bots/*.ts'] }));
  writeFileSync(
    join(dir, 'bots/echo.ts'),
    `import { defineBot } from '${join(repoRoot, 'dist/index.js')}';\nexport const echo = defineBot({ key: 'params-bot', run: (input) => JSON.stringify(input.parameters) });\n`,
  );
  return dir;
}

describe('a repeated option', () => {
  it('keepLastValues keeps the last value of a repeated option and every value of an array option', () => {
    const argv: Record<string, unknown> = { _: ['invoke', 'extra'], $0: 'rehearse', format: ['text', 'json'], f: ['text', 'json'], param: ['a=1', 'b=2'], limit: [1, 3], stream: [true, false], org: 'acme' };
    keepLastValues(argv, ['param']);
    expect(argv).toEqual({ _: ['invoke', 'extra'], $0: 'rehearse', format: 'json', f: 'json', param: ['a=1', 'b=2'], limit: 3, stream: false, org: 'acme' });
  });

  it('the last wins on invoke (format, mode, session) while --param repeats', async () => {
    const dir = project();
    const run = await rehearse(
      ['invoke', 'params-bot', 'hi', '--mode', 'live', '--mode', 'manual', '--format', 'text', '--format', 'json', '-s', 'first', '--session', 'second', '--param', 'a=1', '--param', 'b=two'],
      { cwd: dir },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { response_content: string; session_id: string };
    expect(JSON.parse(result.response_content)).toEqual({ a: 1, b: 'two' });
    expect(result.session_id).toBe('second');
  });

  it('the last wins on nested commands too, and a bad last value is still refused', async () => {
    const dir = project();
    const listed = await rehearse(['cache', 'ls', '--format', 'text', '--format', 'json', '--org', 'nobody', '--org', 'acme'], { cwd: dir });
    expect(listed.stderr).toBe('');
    expect(JSON.parse(listed.stdout)).toMatchObject({ org: 'acme', count: 0 });
    const bad = await rehearse(['cache', 'ls', '--format', 'json', '--format', 'yaml'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Argument: format, Given: "yaml"');
  });
});
