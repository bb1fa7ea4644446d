/** Option values that are wrong say what is wrong with them (exit 2), instead of yargs's or an empty listing. */
import { describe, expect, it } from 'vitest';
import { rehearse, repoRoot } from '../support/cli.js';

describe('bad option values', () => {
  it.each([
    [['invoke', 'support-bot', 'hi', '--mode', 'replay', '--strict', '--max-age', '-5d'], 'maxAge is "-5d": a duration must be more than 0'],
    [['invoke', 'support-bot', 'hi', '--mode', 'replay', '--strict', '--max-age', '0'], 'maxAge is "0": a duration must be more than 0'],
    [['invoke', 'support-bot', 'hi', '--mode', 'replay', '--strict', '--max-age', 'soon'], 'maxAge is "soon", which is not a duration'],
    [['cache', 'ls', '--limit', '-1'], 'limit is -1; give a whole number above 0'],
    [['cache', 'ls', '--limit', 'abc'], 'limit is not a number; give a whole number above 0'],
  ])('rehearse %j', async (args, message) => {
    const run = await rehearse(args, { cwd: repoRoot });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr).not.toContain('Unknown arguments');
  });

  it('a number of milliseconds is a max age too', async () => {
    const run = await rehearse(['invoke', 'support-bot', 'I was charged twice for my order', '--mode', 'replay', '--strict', '--max-age', '99999999999', '--format', 'json'], { cwd: repoRoot });
    expect(run.code).toBe(0);
  });
});
