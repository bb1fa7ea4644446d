/**
 * The suite records its invocations in a state file of its own (vitest.config.ts), never in the
 * repository's .rehearse/state.sqlite that `rehearse usage` and `rehearse runs` in the repository read.
 */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/resolve.js';
import { defineBot, invoke } from '../../src/index.js';
import { getRun } from '../../src/sessions/records.js';
import { closeStateDatabase } from '../../src/state/database.js';
import { repoRoot } from './cli.js';
import { suiteState } from './suite-state.js';

describe("the suite's state file", () => {
  it('is a temp file outside the repository, for process.env and for environments tests pass', async () => {
    const { REHEARSE_STATE: path } = suiteState();
    expect(relative(tmpdir(), path).startsWith('..')).toBe(false);
    expect(relative(repoRoot, path).startsWith('..')).toBe(true);
    // From the repository (its config found), the state file is the suite's, not the repository's own.
    expect(resolveConfig({ cwd: repoRoot }, process.env).statePath).toBe(path);

    const bot = defineBot({ key: 'suite-state-probe', version: 'v1', run: () => 'recorded where?' });
    for (const env of [undefined, suiteState()]) {
      const result = await invoke(bot, { input: 'hi', mode: 'manual', ...(env && { env }) });
      expect(result.status).toBe('completed');
      expect(getRun(path, 'default', result.invocationId)?.botId).toBe('suite-state-probe');
      const own = join(repoRoot, '.rehearse/state.sqlite');
      if (existsSync(own)) expect(getRun(own, 'default', result.invocationId)).toBeUndefined();
    }
    closeStateDatabase();
  });
});
