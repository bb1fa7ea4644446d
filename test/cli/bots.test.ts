/**
 * `rehearse bots`, end to end as a child process: the demo bot of this repository, and bots that a
 * rehearse.config.json in another folder leads to (TypeScript, loaded without a build step).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { rehearse } from '../support/cli.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');


/** The default bot version: the first 16 hex of the SHA256 of its source file (LF line endings). */
function fileVersion(file: string): string {
  return createHash('sha256').update(readFileSync(file, 'utf8').replace(/\r\n/g, '\n')).digest('hex').slice(0, 16);
}

interface ListedBot {
  key: string;
  version: string;
  description: string;
  file: string;
}

const supportBotFile = join(root, 'fixtures/bots/support-bot.ts');

let scratch: string;
/** A folder with its own rehearse.config.json and bot files, outside the repository. */
let project: string;
let echoBotFile: string;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'rehearse-cli-bots-'));
  project = join(scratch, 'project');
  mkdirSync(join(project, 'agents/support'), { recursive: true });
  mkdirSync(join(project, 'drafts'), { recursive: true });
  writeFileSync(join(project, 'rehearse.config.json'), JSON.stringify({ bots: ['agents/**/*.ts'] }, null, 2));
  // An ES module project, as a TypeScript project with `import`/`export` bot files is (this repository too).
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'my-agents', private: true, type: 'module' }, null, 2));

  const library = join(root, 'dist/index.js');
  echoBotFile = join(project, 'agents/support/echo-bot.ts');
  writeFileSync(
    echoBotFile,
    `import { defineBot } from '${library}';

interface Echo {
  said: string | null;
}

export const echoBot = defineBot({
  key: 'echo-bot',
  description: 'Says what the model says.',
  async run(input, ctx): Promise<Echo> {
    const answer = await ctx.llm.message({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: input.prompt }] });
    return { said: answer.content };
  },
});

export const pinnedBot = defineBot({
  key: 'pinned-bot',
  version: 'v7',
  run: () => 'pinned',
});
`,
  );
  // Not matched by the glob: must not be listed.
  writeFileSync(
    join(project, 'drafts/draft-bot.ts'),
    `import { defineBot } from '${library}';\nexport const draft = defineBot({ key: 'draft-bot', run: () => 'draft' });\n`,
  );
  writeFileSync(join(project, 'mocks.json'), JSON.stringify({ 'llm.message': { status: 'success', output: 'Hello from the mock.' } }));
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe.concurrent('rehearse bots', { timeout: 60_000 }, () => {
  it('lists support-bot with its 16-hex version and description', async () => {
    const run = await rehearse(['bots']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const line = run.stdout.split('\n').find((text) => text.startsWith('support-bot '));
    expect(line).toBeDefined();
    const [key, version, ...description] = (line ?? '').trim().split(/\s+/);
    expect(key).toBe('support-bot');
    expect(version).toMatch(/^[0-9a-f]{16}$/);
    expect(version).toBe(fileVersion(supportBotFile));
    expect(description.join(' ')).toBe('Classifies a support question, searches the help centre, checks the order, then answers.');
  });

  it('--format json gives key, version, description and file', async () => {
    const run = await rehearse(['bots', '--format', 'json']);
    expect(run.code).toBe(0);
    const bots = JSON.parse(run.stdout) as ListedBot[];
    expect(bots).toContainEqual({
      key: 'support-bot',
      version: fileVersion(supportBotFile),
      description: 'Classifies a support question, searches the help centre, checks the order, then answers.',
      file: supportBotFile,
    });
  });

  it('--format with an unknown value exits 2', async () => {
    const run = await rehearse(['bots', '--format', 'yaml']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('yaml');
  });

  it("lists the TypeScript bots that another folder's rehearse.config.json leads to", async () => {
    const [text, json] = await Promise.all([rehearse(['bots'], { cwd: project }), rehearse(['bots', '--format', 'json'], { cwd: project })]);
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^echo-bot\\s+${fileVersion(echoBotFile)}\\s+Says what the model says\\.$`, 'm'));
    expect(text.stdout).toMatch(/^pinned-bot\s+v7\s*$/m);
    expect(text.stdout).not.toContain('draft-bot');
    expect(text.stdout).not.toContain('support-bot');

    expect(json.code).toBe(0);
    const bots = JSON.parse(json.stdout) as ListedBot[];
    expect(bots.map((bot) => bot.key).sort()).toEqual(['echo-bot', 'pinned-bot']);
    expect(bots.find((bot) => bot.key === 'echo-bot')).toEqual({
      key: 'echo-bot',
      version: fileVersion(echoBotFile),
      description: 'Says what the model says.',
      file: echoBotFile,
    });
  });

  it('invokes that bot from its folder in manual mode with a mocks file', async () => {
    const [text, json] = await Promise.all([
      rehearse(['invoke', 'echo-bot', 'Hi there', '--mode', 'manual', '--mocks', 'mocks.json', '--format', 'text'], { cwd: project }),
      rehearse(['invoke', 'echo-bot', 'Hi there', '--mode', 'manual', '--mocks', 'mocks.json', '--format', 'json'], { cwd: project }),
    ]);
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Hello from the mock.');

    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      bot_id: 'echo-bot',
      bot_version: fileVersion(echoBotFile),
      mode: 'manual',
      status: 'completed',
      total_cost_usd: 0,
    });
  });

  it('an unknown key in that folder suggests the nearest bot there', async () => {
    const run = await rehearse(['invoke', 'echo-bto', 'Hi', '--mode', 'manual'], { cwd: project });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Did you mean "echo-bot"');
    expect(run.stderr).toContain('echo-bot, pinned-bot');
  });

  it('a bot file in a CommonJS-scoped folder (package.json without "type": "module") loads, or fails saying how to fix it', async () => {
    // The same kind of bot file as above, in a project whose package.json leaves "type" at the Node
    // default. tsx then compiles the .ts file as CommonJS, and loading rehearse a second time that way
    // used to die with undici's "TypeError: Illegal constructor", which tells the user nothing.
    const cjs = join(scratch, 'cjs-project');
    mkdirSync(join(cjs, 'bots'), { recursive: true });
    writeFileSync(join(cjs, 'package.json'), JSON.stringify({ name: 'cjs-agents', private: true }));
    writeFileSync(join(cjs, 'rehearse.config.json'), JSON.stringify({ bots: ['bots/*.ts'] }));
    writeFileSync(
      join(cjs, 'bots/hello-bot.ts'),
      `import { defineBot } from '${join(root, 'dist/index.js')}';\nexport const hello = defineBot({ key: 'hello-bot', run: () => 'hello' });\n`,
    );
    const run = await rehearse(['bots'], { cwd: cjs });
    expect(run.stderr).not.toContain('Illegal constructor');
    if (run.code === 0) {
      expect(run.stdout).toMatch(/^hello-bot\s+[0-9a-f]{16}/m);
    } else {
      expect(run.stderr).toContain('hello-bot.ts');
      expect(run.stderr).toMatch(/"type": "module"|\.mts/);
    }
  });

  it('a folder with no config in it or above says so, and how to make one (exit 1)', async () => {
    const empty = join(scratch, 'empty');
    mkdirSync(empty, { recursive: true });
    const run = await rehearse(['bots'], { cwd: empty });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`No rehearse.config.json in ${empty} or any folder above it.`);
    expect(run.stderr).toContain('{ "bots": ["bots/**/*.ts"] }');
  });

  it('a config without bot files says how to name them', async () => {
    const bare = join(scratch, 'bare');
    mkdirSync(bare, { recursive: true });
    writeFileSync(join(bare, 'rehearse.config.json'), '{}');
    const run = await rehearse(['bots'], { cwd: bare });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('No bots found. Name your bot files in rehearse.config.json');
  });

  it("run from a subfolder, finds the project's config by walking up, and its paths stay relative to it", async () => {
    const listed = await rehearse(['bots', '--format', 'json'], { cwd: join(project, 'agents/support') });
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as ListedBot[]).map((bot) => bot.key).sort()).toEqual(['echo-bot', 'pinned-bot']);
    // From a subfolder of this repository: its bots, and its committed cache (cache.path is relative to the config).
    const replayed = await rehearse(['invoke', 'support-bot', 'How do I reset my password?', '--mode', 'replay', '--strict', '--format', 'json'], { cwd: join(root, 'fixtures/bots') });
    expect(replayed.stderr).toBe('');
    expect(replayed.code).toBe(0);
    expect(JSON.parse(replayed.stdout)).toMatchObject({ status: 'completed', cache: { misses: 0 } });
  });
});
