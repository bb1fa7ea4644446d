/**
 * The suite's own state file: vitest.config.ts points REHEARSE_STATE at a temp file for every test
 * worker. A test that hands invoke() an environment of its own (which replaces process.env) spreads
 * this into it, so its runs and sessions are recorded there, not in the repository's
 * .rehearse/state.sqlite that `rehearse usage` in the repository reads.
 */
export function suiteState(): { REHEARSE_STATE: string } {
  const path = process.env.REHEARSE_STATE;
  if (!path) throw new Error('REHEARSE_STATE is not set: run the tests through vitest, whose config (vitest.config.ts) sets it.');
  return { REHEARSE_STATE: path };
}
