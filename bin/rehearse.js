#!/usr/bin/env node
// The CLI runs from the compiled dist/ (npm ci builds it through the "prepare" script).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('rehearse: dist/ is missing; run `npm run build` (npm ci does it for you).\n');
  process.exit(1);
}
await import(entry.href);
