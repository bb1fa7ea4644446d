import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';

/** A fresh folder for one test, removed when the test ends. */
export function tempDir(prefix = 'rehearse-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A cache path inside a fresh folder (the file itself does not exist yet). */
export function tempCachePath(): string {
  return join(tempDir(), 'cache.sqlite');
}
