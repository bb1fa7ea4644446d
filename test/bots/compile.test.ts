/**
 * TypeScript bot files compiled once (src/bots/compile.ts) and imported as JavaScript, end to end
 * with the built CLI: local TypeScript imports are bundled and followed when they change, the
 * bundle is reused while nothing changed, a bot still sees its own import.meta.url and folder, and
 * a file that does not compile is reported as before.
 */
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageName, writeBotProject } from '../support/bot-project.js';
import { rehearse } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

function invoke(dir: string, key: string) {
  return rehearse(['invoke', key, 'hello', '--mode', 'manual', '--format', 'text'], { cwd: dir, env: { REHEARSE_STATE: join(dir, '.rehearse/state.sqlite') } });
}

function bundles(dir: string): Array<{ name: string; mtimeMs: number }> {
  const folder = join(dir, '.rehearse/compiled');
  return readdirSync(folder)
    .filter((name) => name.endsWith('.mjs'))
    .map((name) => ({ name, mtimeMs: statSync(join(folder, name)).mtimeMs }));
}

const helperBot = `import { defineBot } from '${packageName}';
import { greeting } from './lib/greeting.js';

export const bot = defineBot({ key: 'greeter', version: 'v1', run: (input) => greeting(input.prompt) });
`;

describe('compiled bot files', () => {
  it('bundles a local TypeScript import, reuses the bundle, and compiles again when the import changes', async () => {
    const dir = writeBotProject(tempDir('rehearse-compile-'), {
      'bots/greeter.ts': helperBot,
      'bots/lib/greeting.ts': 'export function greeting(name: string): string {\n  return `Hi, ${name}!`;\n}\n',
    });
    const first = await invoke(dir, 'greeter');
    expect(first.stderr).toBe('');
    expect(first.stdout).toBe('Hi, hello!\n');
    const made = bundles(dir);
    expect(made).toHaveLength(1);

    expect((await invoke(dir, 'greeter')).stdout).toBe('Hi, hello!\n');
    expect(bundles(dir)).toEqual(made);

    writeFileSync(join(dir, 'bots/lib/greeting.ts'), 'export function greeting(name: string): string {\n  return `Welcome back, ${name}.`;\n}\n');
    expect((await invoke(dir, 'greeter')).stdout).toBe('Welcome back, hello.\n');
    const remade = bundles(dir);
    expect(remade).toHaveLength(1);
    expect(remade[0]!.name).not.toBe(made[0]!.name);
  });

  it("keeps a bot's own import.meta.url, and runs a command bot defined in a file from that file's folder", async () => {
    const dir = writeBotProject(tempDir('rehearse-compile-'), {
      'bots/reader.ts': `import { readFileSync } from 'node:fs';
import { defineBot } from '${packageName}';

const reply = readFileSync(new URL('./reply.txt', import.meta.url), 'utf8').trim();
export const reader = defineBot({ key: 'reader', version: 'v1', run: () => \`\${reply} from \${import.meta.filename}\` });
export const catter = defineBot({ key: 'catter', version: 'v1', command: ['cat', 'reply.txt'] });
`,
      'bots/reply.txt': 'read next to the bot\n',
    });
    const reader = await invoke(dir, 'reader');
    expect(reader.stderr).toBe('');
    expect(reader.stdout).toBe(`read next to the bot from ${join(dir, 'bots/reader.ts')}\n`);
    const catter = await invoke(dir, 'catter');
    expect(catter.stderr).toBe('');
    expect(catter.stdout).toBe('read next to the bot\n');
  });

  it('reports a bot file that does not compile, naming it', async () => {
    const dir = writeBotProject(tempDir('rehearse-compile-'), { 'bots/broken.ts': `import { defineBot } from '${packageName}';\nexport const bot = defineBot({ key: 'broken', run: () => { return 1 + ; } });\n` });
    const run = await invoke(dir, 'broken');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`The bot file ${join(dir, 'bots/broken.ts')} failed to load`);
  });
});
