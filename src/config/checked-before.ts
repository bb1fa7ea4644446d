import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Config files already checked, remembered by a marker file each, so that the next run of the same
 * config skips the schema (and loading zod for it: lazy-zod.ts). A marker is named by the hash of
 * the config's text and of the checker's own source, so an edited config, or another version of
 * rehearse, is checked again; only a config that passed gets one. Markers live beside the compiled
 * bot files (`.rehearse/compiled/` of the config's folder, git-ignored, safe to delete); a folder
 * that cannot be written only means the check runs every time.
 */
function markerPath(configFile: string, text: string, checker: string): string {
  const hash = createHash('sha256').update(checker).update('\0').update(text).digest('hex').slice(0, 32);
  return join(dirname(configFile), '.rehearse', 'compiled', `config-${hash}.checked`);
}

export function checkedBefore(configFile: string, text: string, checker: string): boolean {
  return existsSync(markerPath(configFile, text, checker));
}

export function rememberChecked(configFile: string, text: string, checker: string): void {
  const marker = markerPath(configFile, text, checker);
  try {
    mkdirSync(dirname(marker), { recursive: true });
    writeFileSync(marker, '');
  } catch {
    // A read-only folder: nothing is remembered, and the next run checks again.
  }
}
