/**
 * What a run reports when a bot throws something that is not an Error, and a config file saved with
 * a byte-order mark.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineBot, invoke } from '../../src/index.js';
import { rehearse } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

const throwing = (value: unknown) =>
  defineBot({
    key: 'thrower',
    version: 'v1',
    run: () => {
      throw value;
    },
  });

describe('a bot that throws what is not an Error', () => {
  it.each([
    [null, 'The bot threw null, not an Error.'],
    [undefined, 'The bot threw undefined, not an Error.'],
    [{ reason: 'no stock' }, 'The bot threw {"reason":"no stock"}, not an Error.'],
    [42, 'The bot threw 42, not an Error.'],
  ])('%s is reported as what it is, with a hint', async (value, message) => {
    const result = await invoke(throwing(value), { mode: 'manual' });
    expect(result.error).toMatchObject({ code: 'BOT_ERROR', message, hint: expect.stringContaining('new Error') });
  });

  it('a string stays its own message', async () => {
    expect((await invoke(throwing('out of stock'), { mode: 'manual' })).error).toEqual({ code: 'BOT_ERROR', message: 'out of stock' });
  });
});

describe('a config file saved with a byte-order mark', () => {
  it('is read as the JSON it holds', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'rehearse.config.json'), `\uFEFF${JSON.stringify({ org: 'bom-org' })}`);
    const run = await rehearse(['cache', 'stats', '--format', 'json'], { cwd: dir });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toMatchObject({ org: 'bom-org' });
  });
});
