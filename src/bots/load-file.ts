import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BotDefinitionError } from '../errors.js';
import { compiledBotFile, compiledFolder, resolvesLikeRoot } from './compile.js';
import { isBot, type Bot } from './types.js';

/** Whether Node would load this file as CommonJS: a .cts/.cjs file, or a .ts/.js one outside a "type": "module" package. */
function loadsAsCommonJs(file: string): boolean {
  const extension = extname(file);
  if (extension === '.cts' || extension === '.cjs') return true;
  if (extension !== '.ts' && extension !== '.js' && extension !== '.tsx' && extension !== '.jsx') return false;
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        return (JSON.parse(readFileSync(manifest, 'utf8')) as { type?: string }).type !== 'module';
      } catch {
        return false;
      }
    }
    if (dirname(dir) === dir) return true;
  }
}

/** The compiled bundle of a TypeScript bot file, or undefined when it must go through tsx (see below). */
async function compiled(file: string, root: string): Promise<string | undefined> {
  if (!/\.m?tsx?$/.test(file) || !resolvesLikeRoot(file, root)) return undefined;
  try {
    return await compiledBotFile(file, compiledFolder(root));
  } catch {
    // A file that does not compile (or a folder that cannot be written) goes through tsx, which
    // reports its errors as it always has.
    return undefined;
  }
}

/**
 * The module of a bot file. An ES module TypeScript file is imported from its compiled bundle
 * (compile.ts: no loader hooks, compiled again only when a source changes); a JavaScript ES module
 * as it is; a CommonJS-scoped file, or one whose packages resolve elsewhere than the project root,
 * through tsx as before.
 */
async function importBotFile(file: string, root: string): Promise<Record<string, unknown>> {
  if (!loadsAsCommonJs(file)) {
    if (/\.m?js$/.test(file)) return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    const bundle = await compiled(file, root);
    if (bundle) {
      // Stack traces (and defineBot, which reads its caller's file off the stack) name the sources.
      process.setSourceMapsEnabled(true);
      return (await import(pathToFileURL(bundle).href)) as Record<string, unknown>;
    }
  }
  const { tsImport } = await import('tsx/esm/api');
  return (await tsImport(pathToFileURL(file).href, import.meta.url)) as Record<string, unknown>;
}

const loadedFiles = new Map<string, Promise<Bot[]>>();

/** Imports one bot file (TypeScript too: no build step) and returns the bots it exports. */
export function botsInFile(file: string, root: string): Promise<Bot[]> {
  let loading = loadedFiles.get(file);
  if (!loading) {
    loading = (async () => {
      let module: Record<string, unknown>;
      try {
        module = await importBotFile(file, root);
      } catch (error) {
        // In a CommonJS folder the real cause is the module format, whatever the message says
        // (a second CommonJS copy of undici dies with "Illegal constructor"); name the cause.
        if (loadsAsCommonJs(file)) {
          throw new BotDefinitionError(`The bot file ${file} would load as CommonJS, and rehearse loads bots as ES modules.`, {
            cause: error,
            hint: 'Add "type": "module" to the package.json of its folder, or name the file .mts.',
          });
        }
        throw new BotDefinitionError(`The bot file ${file} failed to load: ${(error as Error).message}`, { cause: error });
      }
      // The loader knows the file for sure; prefer it to what defineBot read off the stack.
      return Object.values(module)
        .filter(isBot)
        .map((bot) => (bot.sourceFile === file ? bot : Object.freeze({ ...bot, sourceFile: file })));
    })();
    loadedFiles.set(file, loading);
    loading.catch(() => loadedFiles.delete(file));
  }
  return loading;
}

