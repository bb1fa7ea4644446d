import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * The suite's invocations are recorded in a state file of its own, never in the repository's
 * .rehearse/state.sqlite, which `rehearse usage` and `rehearse runs` in the repository read. Tests
 * that pass invoke() an environment of their own name it too (test/support/suite-state.ts).
 */
const suiteStatePath = join(mkdtempSync(join(tmpdir(), 'rehearse-suite-state-')), 'state.sqlite');

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    env: { REHEARSE_STATE: suiteStatePath },
  },
});
