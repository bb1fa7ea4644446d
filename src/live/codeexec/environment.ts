import { join } from 'node:path';
import type { Language } from './interpreters.js';

/** The PATH the code sees: system tools only, never the parent's (which may hold ~/.cargo/bin, shims, ...). */
export const CHILD_PATH = '/usr/local/bin:/usr/bin:/bin';

/** The sandbox's temporary folder (TMPDIR), left out of the files report. */
export const TMP_DIR_NAME = '.rehearse-tmp';

/**
 * The whole environment of the code: built from nothing, never inherited, so no API key, no
 * REHEARSE_* setting and nothing else of the parent's (or of `live.env`) reaches code an LLM wrote.
 */
export function childEnvironment(language: Language, sandbox: string): Record<string, string> {
  const tmp = join(sandbox, TMP_DIR_NAME);
  const env: Record<string, string> = {
    PATH: CHILD_PATH,
    HOME: sandbox,
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    TMPDIR: tmp,
  };
  if (language === 'python') {
    env.PYTHONDONTWRITEBYTECODE = '1';
    env.PYTHONUNBUFFERED = '1';
  }
  return env;
}
