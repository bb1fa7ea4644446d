// Preloaded with `node --import <this file>`: records the URL of every module the process loads
// through the ES module loader (packages imported from ES modules included) into the file named by
// REHEARSE_MODULE_LOG, one a line. Tests read it to check which packages a command pulled in.
import { register } from 'node:module';

register(new URL('./hooks.mjs', import.meta.url), { data: { log: process.env.REHEARSE_MODULE_LOG } });
