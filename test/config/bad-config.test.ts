// Bad rehearse.config.json files, read by the built CLI: each exits 2 naming the file, the JSON path at fault and what is wrong.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rehearse } from '../support/cli.js';

/** One folder for the table; each case gets a project of its own in it, so the cases run side by side. */
const root = mkdtempSync(join(tmpdir(), 'rehearse-bad-config-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Case {
  /** The file's text: a string as it is, anything else as JSON. */
  config: unknown;
  /** The JSON path the message names ('' when the whole file is at fault and no path applies). */
  path: string;
  says: string;
  /** The command that reads the setting (most settings are read by any command; `bots` is the cheapest). */
  args?: string[];
}

const cases: Record<string, Case> = {
  'text that is not JSON': { config: 'not json', path: '', says: 'is not valid JSON' },
  'an empty file': { config: '', path: '', says: 'is not valid JSON: Unexpected end of JSON input' },
  'a byte-order mark before broken JSON': { config: '\uFEFF{"bots": [}', path: '', says: 'is not valid JSON' },
  'a list': { config: [], path: '$', says: 'expected object, received array' },
  'null': { config: null, path: '$', says: 'expected object, received null' },
  'an unknown setting': { config: { bot: ['bots/*.ts'] }, path: '$', says: 'Unrecognized key: "bot"' },
  'an unknown cache setting': { config: { cache: { pth: 'x.sqlite' } }, path: '$.cache', says: 'Unrecognized key: "pth"' },
  'bots as one string': { config: { bots: 'bots/*.ts' }, path: '$.bots', says: 'expected array, received string' },
  'an empty bots glob': { config: { bots: [''] }, path: '$.bots[0]', says: 'Too small' },
  'an unknown mode': { config: { mode: 'offline' }, path: '$.mode', says: 'expected one of "live"|"replay"|"manual"' },
  'an org that is a number': { config: { org: 5 }, path: '$.org', says: 'expected string, received number' },
  'an org with a path in it': { config: { org: '../other' }, path: '$.org', says: 'Org "../other" is not a valid name' },
  'a cache.redact pattern with a backreference': { config: { cache: { redact: ['(a)\\1'] } }, path: '$.cache.redact[0]', says: 'no backreferences' },
  'a cache.redact pattern with a lookbehind': { config: { cache: { redact: ['(?<!x)sk-'] } }, path: '$.cache.redact[0]', says: 'cannot be used' },
  'a cache.redact pattern that is not closed': { config: { cache: { redact: ['(sk-'] } }, path: '$.cache.redact[0]', says: 'missing closing )' },
  'cache.redact as one string': { config: { cache: { redact: 'sk-' } }, path: '$.cache.redact', says: 'expected array, received string' },
  'a cache.url of another database': { config: { cache: { url: 'mysql://db/recordings' } }, path: '$.cache.url', says: 'cache.url must be a postgres:// URL' },
  'a cache.maxAge that is not a duration': { config: { cache: { maxAge: 'soon' } }, path: '$.cache.maxAge', says: '"soon", which is not a duration' },
  'a negative cache.maxAge': { config: { cache: { maxAge: -5 } }, path: '$.cache.maxAge', says: 'Too small' },
  'an empty cache.path': { config: { cache: { path: '' } }, path: '$.cache.path', says: 'Too small' },
  'an empty state.path': { config: { state: { path: '' } }, path: '$.state.path', says: 'Too small' },
  'datasets as a string': { config: { datasets: 'fixtures/datasets' }, path: '$.datasets', says: 'expected object, received string' },
  'an agent without a command': { config: { agents: { helper: { cwd: '.' } } }, path: '$.agents.helper.command', says: 'expected array, received undefined' },
  'an agent command as one string': { config: { agents: { helper: { command: 'python3 agent.py' } } }, path: '$.agents.helper.command', says: 'expected array, received string' },
  'an agent with an empty command': { config: { agents: { helper: { command: [] } } }, path: '$.agents.helper.command', says: 'Too small' },
  'an agent key with a space': { config: { agents: { 'My Agent': { command: ['python3'] } } }, path: '$.agents["My Agent"]', says: 'an agent key is a slug' },
  'an agent env value that is a number': { config: { agents: { helper: { command: ['python3'], env: { RETRIES: 3 } } } }, path: '$.agents.helper.env.RETRIES', says: 'expected string' },
  'an agent asking for a shell': { config: { agents: { helper: { command: ['python3'], shell: true } } }, path: '$.agents.helper', says: 'Unrecognized key: "shell"' },
  'an agent cwd that is not a folder': { config: { agents: { helper: { command: ['python3'], cwd: 'no/such/dir' } } }, path: '$.agents.helper', says: 'which is not a folder' },
  'llm.retries above 10': { config: { llm: { retries: 11 } }, path: '$.llm.retries', says: 'Too big' },
  'an llm.timeoutMs of 0': { config: { llm: { timeoutMs: 0 } }, path: '$.llm.timeoutMs', says: 'Too small' },
  'an unknown provider': { config: { llm: { providers: { llama: 'ollama' } } }, path: '$.llm.providers.llama', says: 'expected one of "openai"|"anthropic"' },
  'a negative price': { config: { prices: { 'my-model': { input: -1, output: 1 } } }, path: '$.prices["my-model"].input', says: 'Too small' },
  'a price without output': { config: { prices: { 'my-model': { input: 1 } } }, path: '$.prices["my-model"].output', says: 'expected number' },
  'a serve.port above 65535': { config: { serve: { port: 70000 } }, path: '$.serve.port', says: 'Too big' },
  'a serve.rateLimit that is not one': { config: { serve: { rateLimit: 'fast' } }, path: '$.serve.rateLimit', says: '"fast" is not <requests>/<window>', args: ['serve', '--port', '0'] },
};

describe.concurrent('bad rehearse.config.json files', () => {
  it.each(Object.entries(cases).map(([name, one], index) => [name, one, index] as const))('%s', async (_name, { config, path, says, args }, index) => {
    const project = join(root, `case-${index}`);
    mkdirSync(project);
    const file = join(project, 'rehearse.config.json');
    writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config));
    const run = await rehearse(args ?? ['bots'], { cwd: project });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(path ? `${file} at ${path}` : file);
    expect(run.stderr).toContain(says);
    expect(run.stderr).not.toContain('\uFEFF');
    expect(run.stderr).not.toContain('unexpected error');
    expect(run.stderr).not.toMatch(/^\s{4}at /m);
  });

  it('a REHEARSE_CONFIG that names a folder says so', async () => {
    const run = await rehearse(['bots'], { cwd: root, env: { REHEARSE_CONFIG: root } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`The config file ${root} is a folder, not a file.`);
  });
});
