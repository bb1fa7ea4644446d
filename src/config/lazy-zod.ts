import { createRequire } from 'node:module';
import type { z as Zod } from 'zod';

/**
 * zod, required on first use rather than imported at start-up: loading it and compiling the
 * schemas costs about as much as the rest of a replayed run, and a run whose config was checked
 * before (config/file.ts) and whose input holds no messages needs none of it. Required (zod ships
 * CommonJS beside ES modules) so that the callers, synchronous functions, stay synchronous; every
 * schema of rehearse goes through here, so they all share this one copy.
 */
const require = createRequire(import.meta.url);
let loaded: typeof Zod | undefined;

export function zod(): typeof Zod {
  loaded ??= (require('zod') as { z: typeof Zod }).z;
  return loaded;
}

/** A value made on first use and kept: a schema, built when zod is first needed. */
export function lazily<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}
