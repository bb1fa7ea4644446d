/**
 * Mistakes of the code around a run, each reported without failing more than it must: a bot that
 * throws something that is not an Error, a config file saved with a byte-order mark, a printEvents
 * listener that throws.
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

describe('a printEvents listener that throws', () => {
  it('does not fail the run; it goes on getting events, and the error is said once on stderr', async () => {
    const seen: string[] = [];
    const written: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => (written.push(String(chunk)), true)) as typeof process.stderr.write;
    try {
      const result = await invoke(defineBot({ key: 'quiet', version: 'v1', run: () => 'done' }), {
        mode: 'manual',
        printEvents: (event) => {
          seen.push(event.type);
          throw new Error('listener broke');
        },
      });
      expect(result.status).toBe('completed');
      expect(seen).toEqual(['invocation.started', 'message', 'invocation.completed']);
      expect(written.filter((line) => line.includes('printEvents listener threw'))).toHaveLength(1);
      expect(written.join('')).toContain('listener broke');
    } finally {
      process.stderr.write = write;
    }
  });
});
