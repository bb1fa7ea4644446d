// Preloaded with `node --import <this file>`: records every module the process loads into the file
// named by REHEARSE_MODULE_LOG, one URL a line: ES modules (packages imported from ES modules
// included) through loader hooks as they resolve, and CommonJS modules (createRequire included)
// from require.cache when the process exits. Tests read it to check which packages a command pulled in.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

const log = process.env.REHEARSE_MODULE_LOG;
register(new URL('./hooks.mjs', import.meta.url), { data: { log } });

const required = createRequire(import.meta.url).cache;
process.on('exit', () => {
  const files = Object.keys(required).filter((file) => file.startsWith('/'));
  if (log && files.length > 0) appendFileSync(log, `${files.map((file) => pathToFileURL(file).href).join('\n')}\n`);
});
