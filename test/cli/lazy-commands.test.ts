/**
 * Start-up: `rehearse --version` and `--help` load no engine, and each command's entry in the lazy
 * table (src/cli/lazy-commands.ts, what --help lists) says what its own module says. The modules a
 * run loads are recorded by loader hooks preloaded with --import (test/support/module-log/).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lazyCommands } from '../../src/cli/lazy-commands.js';
import { packageName, writeBotProject } from '../support/bot-project.js';
import { rehearse, repoRoot, runProcess } from '../support/cli.js';

const scratch = mkdtempSync(join(tmpdir(), 'rehearse-lazy-commands-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let runs = 0;

/** Runs the built CLI with every module URL it loads written to a log; returns the run and the URLs. */
async function withModuleLog(args: string[], cwd = repoRoot): Promise<{ code: number | null; stdout: string; stderr: string; modules: string[] }> {
  const log = join(scratch, `modules-${++runs}.log`);
  const run = await runProcess(process.execPath, ['--import', join(repoRoot, 'test/support/module-log/register.mjs'), join(repoRoot, 'bin/rehearse.js'), ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmpdir(), REHEARSE_MODULE_LOG: log, REHEARSE_STATE: join(scratch, 'state.sqlite') },
  });
  return { ...run, modules: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

/** The packages of the engine that a command which runs nothing must not load. */
const heavy = ['undici', 'pg', 'zod', 'tsx', 'esbuild', 'better-sqlite3', 'ajv', 're2js', 'tinyglobby'];

function packagesLoaded(modules: readonly string[]): string[] {
  return [...new Set(modules.flatMap((url) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1] ?? []))].sort();
}

function engineModules(modules: readonly string[]): string[] {
  return modules.filter((url) => url.includes('/dist/') && !url.includes('/dist/cli/') && !url.endsWith('/dist/errors.js') && !url.endsWith('/dist/live/http.js'));
}

describe('start-up', () => {
  it('rehearse --version prints the version and loads neither yargs nor any engine module', async () => {
    const run = await withModuleLog(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${(JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version}\n`);
    // The log is live: it holds the CLI's own entry.
    expect(run.modules.some((url) => url.endsWith('/dist/cli/main.js'))).toBe(true);
    expect(packagesLoaded(run.modules)).toEqual([]);
    expect(engineModules(run.modules)).toEqual([]);
  });

  it('rehearse --help lists every command and loads yargs but no engine module or heavy package', async () => {
    const run = await withModuleLog(['--help']);
    expect(run.code).toBe(0);
    for (const entry of lazyCommands) expect(run.stdout).toContain(entry.description.slice(0, 40));
    const packages = packagesLoaded(run.modules);
    expect(packages).toContain('yargs');
    expect(packages.filter((name) => heavy.includes(name))).toEqual([]);
    expect(engineModules(run.modules)).toEqual([]);
  });

  it('a mistyped command is still suggested, with no command module loaded', async () => {
    const run = await withModuleLog(['invok']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Did you mean invoke?');
    expect(packagesLoaded(run.modules).filter((name) => heavy.includes(name))).toEqual([]);
  });

  it('a run loads only its own command module', async () => {
    const run = await withModuleLog(['runs', '--format', 'json']);
    expect(run.code).toBe(0);
    const commandModules = run.modules.filter((url) => /\/dist\/cli\/(invoke|bots|sessions|usage|serve|cache\/index)\.js$/.test(url));
    expect(commandModules).toEqual([]);
    expect(run.modules.some((url) => url.endsWith('/dist/cli/runs.js'))).toBe(true);
  });

  it('a run of an indexed, compiled bot loads none of the packages it does not use', async () => {
    const project = writeBotProject(join(scratch, 'project'), {
      'bots/plain.ts': `import { defineBot } from '${packageName}';\nexport const plain = defineBot({ key: 'plain', run: (input) => 'you said ' + input.prompt });\n`,
    });
    const args = ['invoke', 'plain', 'hi', '--mode', 'manual', '--format', 'text'];
    const first = await withModuleLog(args, project);
    expect(first.stdout).toBe('you said hi\n');
    // The first run made the index (globbing, compiling); the next one finds everything made.
    expect(packagesLoaded(first.modules)).toEqual(expect.arrayContaining(['esbuild', 'tinyglobby']));
    const next = await withModuleLog(args, project);
    expect(next.stdout).toBe('you said hi\n');
    expect(packagesLoaded(next.modules)).toContain('better-sqlite3');
    expect(packagesLoaded(next.modules).filter((name) => heavy.includes(name) && name !== 'better-sqlite3')).toEqual([]);
    expect(next.modules.filter((url) => /\/dist\/serve\/(server|invoke-request)\.js$/.test(url))).toEqual([]);
  });

  it.each(lazyCommands.map((entry) => [entry.command, entry.description]))('the table entry of "%s" matches its module', async (command, description) => {
    const name = command.split(' ')[0]!;
    const run = await rehearse([name, '--help']);
    expect(run.code).toBe(0);
    // yargs' help of a command starts with its command line, then its description.
    expect(run.stdout.startsWith(`rehearse ${command}\n\n${description}\n`)).toBe(true);
  });
});
