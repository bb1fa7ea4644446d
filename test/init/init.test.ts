/** `rehearse init` in an existing project: what it writes, that it is idempotent, and that it never overwrites without --force. */
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rehearse, repoRoot, runProcess } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

function project(pkg: Record<string, unknown> = { name: 'my-app', type: 'module' }): string {
  const dir = tempDir('rehearse-init-');
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg));
  return dir;
}

/** The project's node_modules as `npm i -D agent-rehearse vitest` leaves it: this checkout under its package name, and vitest. */
function installRehearse(dir: string): void {
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(repoRoot, join(dir, 'node_modules/agent-rehearse'), 'dir');
  symlinkSync(join(repoRoot, 'node_modules/vitest'), join(dir, 'node_modules/vitest'), 'dir');
}

const read = (dir: string, path: string) => readFileSync(join(dir, path), 'utf8');

describe('rehearse init', () => {
  it('writes the config, an example bot and its test, vitest wiring, .gitignore and a CI workflow, and says what to run next', async () => {
    const dir = project();
    installRehearse(dir);
    const run = await rehearse(['init'], { cwd: dir });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    for (const path of ['rehearse.config.json', 'bots/example-bot.ts', 'test/example-bot.test.ts', 'vitest.config.ts', '.gitignore', '.github/workflows/rehearse.yml']) {
      expect(existsSync(join(dir, path)), path).toBe(true);
      expect(run.stdout).toMatch(new RegExp(`created\\s+${path.replace(/\./g, '\\.')}`));
    }
    expect(JSON.parse(read(dir, 'rehearse.config.json'))).toEqual({ bots: ['bots/**/*.{ts,mts}'], cache: { path: 'cache/rehearse.sqlite' } });
    expect(read(dir, 'bots/example-bot.ts')).toContain("from 'agent-rehearse'");
    expect(read(dir, 'test/example-bot.test.ts')).toContain("from 'agent-rehearse/vitest'");
    expect(read(dir, 'vitest.config.ts')).toContain("setupFiles: ['agent-rehearse/vitest/setup']");
    expect(read(dir, '.gitignore')).toBe('.rehearse/\n');
    expect(run.stdout).toContain('npm i -D vitest');
    expect(run.stdout).toContain('npx vitest run');
    expect(run.stdout).toMatch(/skipped\s+\.gitattributes \+ git config\s+not a git repository: after git init, run npx rehearse cache git-setup/);

    // The config it wrote leads to the bot it wrote.
    const bots = await rehearse(['bots', '--format', 'json'], { cwd: dir });
    expect(bots.code).toBe(0);
    expect(JSON.parse(bots.stdout)).toMatchObject([{ key: 'example-bot', description: 'Answers in one friendly sentence.' }]);

    // The test it wrote passes as written: manual mode, its mock, no key, no network.
    const vitest = await runProcess(process.execPath, [join(dir, 'node_modules/vitest/vitest.mjs'), 'run'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, REHEARSE_STATE: join(dir, '.rehearse/state.sqlite') },
    });
    expect(vitest.stdout + vitest.stderr).toMatch(/1 passed/);
    expect(vitest.code).toBe(0);
    expect(vitest.stdout + vitest.stderr).not.toContain('Sourcemap');
  }, 60_000);

  it('in a git repository: the cache gets its merge and diff drivers (.gitattributes, git config), once', async () => {
    const dir = project();
    await runProcess('git', ['init', '-q'], { cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir } });
    const run = await rehearse(['init'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/updated\s+\.gitattributes \+ git config/);
    expect(read(dir, '.gitattributes')).toBe('cache/rehearse.sqlite merge=rehearse-cache diff=rehearse-cache\n');
    const driver = await runProcess('git', ['config', '--local', '--get', 'merge.rehearse-cache.driver'], { cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir } });
    expect(driver.stdout.trim()).toBe('npx rehearse cache merge %O %A %B');
    const again = await rehearse(['init'], { cwd: dir });
    expect(again.stdout).toMatch(/kept\s+\.gitattributes \+ git config/);
    expect(read(dir, '.gitattributes')).toBe('cache/rehearse.sqlite merge=rehearse-cache diff=rehearse-cache\n');
  });

  it('is idempotent: a second run writes nothing and keeps a file the user edited', async () => {
    const dir = project();
    await rehearse(['init'], { cwd: dir });
    writeFileSync(join(dir, 'bots/example-bot.ts'), '// mine now\n');
    const again = await rehearse(['init'], { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stdout).not.toContain('created');
    expect(again.stdout).toMatch(/kept\s+bots\/example-bot\.ts/);
    expect(again.stdout).toContain('--force');
    expect(read(dir, 'bots/example-bot.ts')).toBe('// mine now\n');
    expect(read(dir, '.gitignore')).toBe('.rehearse/\n');
  });

  it('--force writes its own files again', async () => {
    const dir = project();
    await rehearse(['init'], { cwd: dir });
    writeFileSync(join(dir, 'bots/example-bot.ts'), '// mine now\n');
    const forced = await rehearse(['init', '--force'], { cwd: dir });
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/overwritten\s+bots\/example-bot\.ts/);
    expect(read(dir, 'bots/example-bot.ts')).toContain('defineBot');
  });

  it("adds to the user's .gitignore and leaves their vitest config alone, saying what to add", async () => {
    const dir = project({ name: 'my-app', type: 'module', devDependencies: { vitest: '^4.0.0' } });
    writeFileSync(join(dir, '.gitignore'), 'node_modules/\n.env');
    writeFileSync(join(dir, 'vitest.config.ts'), 'export default {};\n');
    const run = await rehearse(['init'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(read(dir, '.gitignore')).toBe('node_modules/\n.env\n.rehearse/\n');
    expect(run.stdout).toMatch(/updated\s+\.gitignore/);
    expect(read(dir, 'vitest.config.ts')).toBe('export default {};\n');
    expect(run.stdout).toContain("vitest.config.ts is yours and was left alone: add setupFiles: ['agent-rehearse/vitest/setup']");
    expect(run.stdout).not.toContain('npm i -D vitest');
  });

  it('in a CommonJS package the examples are .mts, which load as ES modules there', async () => {
    const dir = project({ name: 'old-app' });
    const run = await rehearse(['init'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(existsSync(join(dir, 'bots/example-bot.mts'))).toBe(true);
    expect(existsSync(join(dir, 'test/example-bot.test.mts'))).toBe(true);
    expect(existsSync(join(dir, 'vitest.config.mts'))).toBe(true);
    expect(existsSync(join(dir, 'bots/example-bot.ts'))).toBe(false);
  });

  it('outside a Node project: a clear error and nothing written', async () => {
    const dir = tempDir('rehearse-init-');
    const run = await rehearse(['init'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`No package.json in ${dir}`);
    expect(run.stderr).toContain('npm init -y');
    expect(existsSync(join(dir, 'rehearse.config.json'))).toBe(false);
  });
});
