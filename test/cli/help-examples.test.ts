/**
 * The examples `--help` shows that claim to replay (`--mode replay`, not re-recording with
 * `--refresh`) really replay from the committed demo cache: each is read back from the help text
 * as a user would copy it, and run with no key and no network.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { rehearse, repoRoot } from '../support/cli.js';

beforeAll(() => {
  if (!existsSync(join(repoRoot, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run `npm run build` first.');
});

/**
 * The commands of a help text's Examples section. yargs lays each example out in two columns (the
 * command wrapped on the left, its description on the right); the right column starts after the
 * first run of two spaces in the first example line (commands hold no double spaces). A row starts
 * at a line whose left part starts with `rehearse` or an environment assignment.
 */
function exampleCommands(help: string): string[] {
  const section = help.split('\nExamples:\n')[1];
  if (!section) return [];
  const lines = section.split('\n').filter((line) => line.startsWith('  '));
  const gap = /\S( {2,})\S/.exec(lines[0]!.slice(2));
  if (!gap) throw new Error(`cannot find the description column in: ${lines[0]}`);
  const width = 2 + gap.index + 1 + gap[1]!.length;
  const commands: string[] = [];
  for (const line of lines) {
    const left = line.slice(0, width).trim();
    if (/^(?:[A-Z_]+=\S+ )*rehearse /.test(left)) commands.push(left);
    else if (left && commands.length > 0) commands[commands.length - 1] += ` ${left}`;
  }
  return commands;
}

/** Shell words: spaces split, double quotes group (all the examples need). */
function words(command: string): string[] {
  return [...command.matchAll(/"([^"]*)"|(\S+)/g)].map((match) => match[1] ?? match[2]!);
}

describe('help examples', () => {
  it('every invoke example that claims to replay replays from the committed cache', async () => {
    const help = await rehearse(['invoke', '--help']);
    expect(help.code).toBe(0);
    const commands = exampleCommands(help.stdout);
    expect(commands.length).toBeGreaterThanOrEqual(4);
    const replays = commands.filter((command) => command.includes('--mode replay') && !command.includes('--refresh'));
    expect(replays.length).toBeGreaterThanOrEqual(2);
    for (const command of replays) {
      const [program, ...args] = words(command);
      expect(program).toBe('rehearse');
      // No key and no endpoint: a miss could not go live, so success means every call was a hit.
      const run = await rehearse([...args, ...(args.includes('--format') ? [] : ['--format', 'json'])], { cwd: repoRoot });
      expect({ command, code: run.code, stderr: run.stderr }).toEqual({ command, code: 0, stderr: '' });
      expect(run.stdout.trim().length).toBeGreaterThan(0);
    }
  });
});
