import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { closest } from 'fastest-levenshtein';
import { glob } from 'tinyglobby';
import { BotDefinitionError, BotNotFoundError, ConfigError } from '../errors.js';
import { jsonPath } from '../mocks/load.js';
import type { ResolvedConfig } from '../config/resolve.js';
import { commandBot } from './command.js';
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

const loadedFiles = new Map<string, Promise<Bot[]>>();

/** Imports one bot file (TypeScript too, through tsx: no build step) and returns the bots it exports. */
function botsInFile(file: string): Promise<Bot[]> {
  let loading = loadedFiles.get(file);
  if (!loading) {
    loading = (async () => {
      const { tsImport } = await import('tsx/esm/api');
      let module: Record<string, unknown>;
      try {
        module = (await tsImport(pathToFileURL(file).href, import.meta.url)) as Record<string, unknown>;
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

/** An `agents` entry of the config file as a bot; what is wrong with it (a cwd that is not a folder) names the file and the entry. */
function configAgent(key: string, agent: ResolvedConfig['agents'][string], config: Pick<ResolvedConfig, 'root' | 'configFile'>): Bot {
  try {
    return commandBot({ key, ...agent }, config.root, config.configFile);
  } catch (error) {
    if (!(error instanceof BotDefinitionError)) throw error;
    throw new ConfigError(`${config.configFile ?? 'rehearse.config.json'} at ${jsonPath(['agents', key])}: ${error.message}`, { ...(error.hint !== undefined && { hint: error.hint }), cause: error });
  }
}

/** Every bot the config's `bots` globs lead to, by key. Two bots with one key is an error. */
export async function findBots(config: Pick<ResolvedConfig, 'root' | 'botGlobs' | 'agents' | 'configFile'>): Promise<Map<string, Bot>> {
  const bots = new Map<string, Bot>();
  for (const [key, agent] of Object.entries(config.agents)) bots.set(key, configAgent(key, agent, config));
  if (config.botGlobs.length === 0) return bots;
  const files = (await glob([...config.botGlobs], { cwd: config.root, absolute: true, ignore: ['**/node_modules/**', '**/*.d.ts'] })).sort();
  for (const file of files) {
    for (const bot of await botsInFile(resolve(file))) {
      const other = bots.get(bot.key);
      if (other && other.sourceFile !== bot.sourceFile) {
        if (other.sourceFile === config.configFile) throw new BotDefinitionError(`Two bots have the key "${bot.key}": an agent in ${config.configFile} and a bot in ${bot.sourceFile}. Keys must be unique.`);
        throw new BotDefinitionError(`Two bots have the key "${bot.key}": in ${other.sourceFile} and in ${bot.sourceFile}. Keys must be unique.`);
      }
      bots.set(bot.key, bot);
    }
  }
  return bots;
}

export async function findBot(key: string, config: Pick<ResolvedConfig, 'root' | 'botGlobs' | 'agents' | 'configFile'>): Promise<Bot> {
  const bots = await findBots(config);
  const bot = bots.get(key);
  if (bot) return bot;
  const known = [...bots.keys()].sort();
  const hint =
    config.botGlobs.length === 0
      ? `No bot files are configured: add "bots": ["bots/**/*.ts"] to ${config.configFile ?? 'rehearse.config.json'} (in ${config.root}).`
      : undefined;
  throw new BotNotFoundError(key, known, known.length ? closest(key, known) : undefined, hint === undefined ? {} : { hint });
}
