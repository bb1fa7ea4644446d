import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './cli.js';

/** The package name bot files import rehearse by (read from package.json, so a rename follows). */
export const packageName = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { name: string }).name;

/**
 * A bot file of a user's project: one ctx.llm.message call, an explicit version so its recordings
 * stay valid when the file is rewritten with the same key.
 */
export function llmBotSource(key: string, options: { version?: string; description?: string } = {}): string {
  return `import { defineBot } from '${packageName}';

export const bot = defineBot({
  key: ${JSON.stringify(key)},
  version: ${JSON.stringify(options.version ?? 'v1')},
  description: ${JSON.stringify(options.description ?? `The ${key} bot: one model call.`)},
  async run(input, ctx) {
    const reply = await ctx.llm.message({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: input.prompt }] });
    return reply.content;
  },
});
`;
}

/**
 * A project folder as a user would have it: package.json ("type": "module"), rehearse installed in
 * node_modules (a symlink to this repository), rehearse.config.json with the given bot globs, and
 * bot files. Returns the folder.
 */
export function writeBotProject(dir: string, bots: Record<string, string>, config: Record<string, unknown> = { bots: ['bots/*.ts'] }): string {
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'my-bots', private: true, type: 'module' }, null, 2)}\n`);
  symlinkSync(repoRoot, join(dir, 'node_modules', packageName), 'dir');
  writeFileSync(join(dir, 'rehearse.config.json'), `${JSON.stringify({ cache: { path: 'cache/rehearse.sqlite' }, ...config }, null, 2)}\n`);
  for (const [file, source] of Object.entries(bots)) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), source);
  }
  return dir;
}
