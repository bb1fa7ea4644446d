/**
 * A step that fails before the bot runs (here: a dataset that is not a name) ends the invocation at
 * once. The invocation's clock used to start before that step and was never stopped, so the CLI
 * printed the error and then waited out the whole timeout (120 s by default).
 */
import { describe, expect, it } from 'vitest';
import { rehearse, repoRoot } from '../support/cli.js';

describe('an invocation that fails before its bot runs', () => {
  it('exits at once with its error, not after the invocation timeout', async () => {
    const started = performance.now();
    const result = await rehearse(['invoke', 'support-bot', 'hello', '--mode', 'manual', '--dataset', '../a'], { cwd: repoRoot });
    const seconds = (performance.now() - started) / 1000;
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/dataset/i);
    expect(seconds).toBeLessThan(20);
  }, 40_000);
});
