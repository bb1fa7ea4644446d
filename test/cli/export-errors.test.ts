/** `rehearse cache export` to a place it cannot write: said before any work, exit 2, no stack, nothing left behind. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rehearse, repoRoot } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

describe('rehearse cache export to a place it cannot write', () => {
  it.each([
    ['a folder that does not exist', () => join(tempDir(), 'missing', 'out.jsonl'), 'its folder does not exist'],
    ['a folder where no file can be created', () => '/proc/out.jsonl', 'no file can be created in its folder'],
    ['a path that is a folder', () => tempDir(), 'it is a folder'],
  ])('%s', async (_name, target, why) => {
    const file = target();
    const run = await rehearse(['cache', 'export', file], { cwd: repoRoot });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`Cannot write the export to ${file}: ${why}.`);
    expect(run.stderr).not.toContain('unexpected error');
    if (existsSync(join(file, '..'))) expect(readdirSync(join(file, '..')).filter((name) => name.endsWith('.partial'))).toEqual([]);
  });
});
