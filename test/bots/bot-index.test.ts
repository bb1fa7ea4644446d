/**
 * The bot index, end to end: the built CLI in a real project folder, bot files on disk, the index in
 * a real state file. Each bot file writes its name to a log when it is imported, so a test sees which
 * files a run loaded: once the index is made, `invoke <key>` loads the one file that defines it; a
 * file added, edited or deleted, or globs changed, has the index made again.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeBotProject, packageName } from '../support/bot-project.js';
import { rehearse } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

/** A bot file whose import is logged, answering with its key. */
function loggedBot(key: string, answer = `${key} here`): string {
  return `import { appendFileSync } from 'node:fs';
import { defineBot } from '${packageName}';

appendFileSync(process.env.BOT_LOAD_LOG!, ${JSON.stringify(`${key}\n`)});

export const bot = defineBot({ key: ${JSON.stringify(key)}, version: 'v1', run: () => ${JSON.stringify(answer)} });
`;
}

interface Project {
  dir: string;
  invoke(key: string): Promise<{ code: number | null; stdout: string; stderr: string; loaded: string[] }>;
}

function project(bots: Record<string, string>, config?: Record<string, unknown>): Project {
  const dir = writeBotProject(tempDir('rehearse-bot-index-'), bots, config);
  const log = join(dir, 'loads.log');
  return {
    dir,
    async invoke(key) {
      rmSync(log, { force: true });
      const run = await rehearse(['invoke', key, 'hello', '--mode', 'manual', '--format', 'text'], {
        cwd: dir,
        env: { BOT_LOAD_LOG: log, REHEARSE_STATE: join(dir, '.rehearse/state.sqlite') },
      });
      const loaded = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).sort() : [];
      return { ...run, loaded };
    },
  };
}

describe('the bot index', () => {
  it('is made on the first run (every file loaded), then a run loads only the file of its bot', async () => {
    const bots = project({ 'bots/alpha.ts': loggedBot('alpha'), 'bots/beta.ts': loggedBot('beta'), 'bots/gamma.ts': loggedBot('gamma') });
    const first = await bots.invoke('beta');
    expect(first.stderr).toBe('');
    expect(first.stdout).toBe('beta here\n');
    expect(first.loaded).toEqual(['alpha', 'beta', 'gamma']);

    const second = await bots.invoke('beta');
    expect(second.stdout).toBe('beta here\n');
    expect(second.loaded).toEqual(['beta']);
    const third = await bots.invoke('gamma');
    expect(third.stdout).toBe('gamma here\n');
    expect(third.loaded).toEqual(['gamma']);
  });

  it('finds a bot file added since, and then loads it alone', async () => {
    const bots = project({ 'bots/alpha.ts': loggedBot('alpha') });
    expect((await bots.invoke('alpha')).code).toBe(0);
    writeFileSync(join(bots.dir, 'bots/delta.ts'), loggedBot('delta'));
    const added = await bots.invoke('delta');
    expect(added.stdout).toBe('delta here\n');
    expect(added.loaded).toEqual(['alpha', 'delta']);
    expect((await bots.invoke('delta')).loaded).toEqual(['delta']);
  });

  it('follows an edit that changes a key: the new key is found, the old one is unknown', async () => {
    const bots = project({ 'bots/alpha.ts': loggedBot('alpha'), 'bots/beta.ts': loggedBot('beta') });
    expect((await bots.invoke('beta')).code).toBe(0);
    writeFileSync(join(bots.dir, 'bots/beta.ts'), loggedBot('beta-two', 'renamed'));
    const renamed = await bots.invoke('beta-two');
    expect(renamed.stdout).toBe('renamed\n');
    const old = await bots.invoke('beta');
    expect(old.code).toBe(2);
    expect(old.stderr).toContain('No bot with key "beta".');
    expect(old.stderr).toContain('Known bots: alpha, beta-two.');
  });

  it('follows an edit that keeps the size: a new answer is served', async () => {
    const bots = project({ 'bots/alpha.ts': loggedBot('alpha', 'first') });
    expect((await bots.invoke('alpha')).stdout).toBe('first\n');
    writeFileSync(join(bots.dir, 'bots/alpha.ts'), loggedBot('alpha', 'again'));
    expect((await bots.invoke('alpha')).stdout).toBe('again\n');
  });

  it('drops a deleted file: its key is unknown, the others still run', async () => {
    const bots = project({ 'bots/alpha.ts': loggedBot('alpha'), 'bots/beta.ts': loggedBot('beta') });
    expect((await bots.invoke('alpha')).code).toBe(0);
    rmSync(join(bots.dir, 'bots/beta.ts'));
    const gone = await bots.invoke('beta');
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain('No bot with key "beta".');
    const kept = await bots.invoke('alpha');
    expect(kept.stdout).toBe('alpha here\n');
    expect(kept.loaded).toEqual(['alpha']);
  });

  it('refuses a key defined in two files, also when the second file comes after the index was made', async () => {
    const bots = project({ 'bots/alpha.ts': loggedBot('alpha'), 'bots/beta.ts': loggedBot('beta') });
    expect((await bots.invoke('alpha')).code).toBe(0);
    writeFileSync(join(bots.dir, 'bots/alpha-copy.ts'), loggedBot('alpha'));
    for (const key of ['alpha', 'beta']) {
      const run = await bots.invoke(key);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`Two bots have the key "alpha": in ${join(bots.dir, 'bots/alpha-copy.ts')} and in ${join(bots.dir, 'bots/alpha.ts')}. Keys must be unique.`);
    }
    rmSync(join(bots.dir, 'bots/alpha-copy.ts'));
    expect((await bots.invoke('alpha')).stdout).toBe('alpha here\n');
  });

  it('finds a file added in a new subfolder of a ** glob', async () => {
    const bots = project({ 'bots/alpha.ts': loggedBot('alpha') }, { bots: ['bots/**/*.ts'] });
    expect((await bots.invoke('alpha')).code).toBe(0);
    writeFileSync(join(bots.dir, 'bots/alpha-again.ts'), '// not a bot\nexport const nothing = 1;\n');
    expect((await bots.invoke('alpha')).loaded).toEqual(['alpha']);
    rmSync(join(bots.dir, 'bots/alpha-again.ts'));
    mkdirSync(join(bots.dir, 'bots/team/support'), { recursive: true });
    writeFileSync(join(bots.dir, 'bots/team/support/alpha.ts'), loggedBot('alpha'));
    const run = await bots.invoke('alpha');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Two bots have the key "alpha"');
  });

  it('follows a config whose globs change', async () => {
    const bots = project({ 'bots/alpha.ts': loggedBot('alpha'), 'more/omega.ts': loggedBot('omega') });
    expect((await bots.invoke('alpha')).code).toBe(0);
    writeFileSync(join(bots.dir, 'rehearse.config.json'), JSON.stringify({ bots: ['more/*.ts'] }));
    const omega = await bots.invoke('omega');
    expect(omega.stdout).toBe('omega here\n');
    expect(omega.loaded).toEqual(['omega']);
    const alpha = await bots.invoke('alpha');
    expect(alpha.code).toBe(2);
    expect(alpha.stderr).toContain('Known bots: omega.');
    writeFileSync(join(bots.dir, 'rehearse.config.json'), JSON.stringify({ bots: ['bots/*.ts', 'more/*.ts'] }));
    expect((await bots.invoke('alpha')).loaded).toEqual(['alpha', 'omega']);
    expect((await bots.invoke('alpha')).loaded).toEqual(['alpha']);
  });

  it('checks a config agent against the bot files: an agent and a file with one key is an error', async () => {
    const bots = project({ 'bots/alpha.ts': loggedBot('alpha') }, { bots: ['bots/*.ts'], agents: { echo: { command: ['cat'] } } });
    const agent = await bots.invoke('echo');
    expect(agent.stdout).toBe('hello\n');
    expect((await bots.invoke('echo')).loaded).toEqual([]);
    writeFileSync(join(bots.dir, 'bots/echo.ts'), loggedBot('echo'));
    const clash = await bots.invoke('echo');
    expect(clash.code).toBe(1);
    expect(clash.stderr).toContain('Two bots have the key "echo": an agent in');
  });
});
