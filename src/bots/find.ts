import { resolve } from 'node:path';
import { BotDefinitionError, BotNotFoundError, ConfigError } from '../errors.js';
import { jsonPath } from '../config/json-path.js';
import type { ResolvedConfig } from '../config/resolve.js';
import { BotIndex, takeStamps, type IndexedBot, type PathStamp } from './bot-index.js';
import { commandBot } from './command.js';
import { botsInFile } from './load-file.js';
import type { Bot } from './types.js';

type BotConfig = Pick<ResolvedConfig, 'root' | 'botGlobs' | 'agents' | 'configFile'>;

/** The bot files the config's `bots` globs match, sorted, with absolute paths. */
async function botFiles(config: BotConfig): Promise<string[]> {
  if (config.botGlobs.length === 0) return [];
  const { glob } = await import('tinyglobby');
  const files = await glob([...config.botGlobs], { cwd: config.root, absolute: true, ignore: ['**/node_modules/**', '**/*.d.ts'] });
  return files.map((file) => resolve(file)).sort();
}

function duplicateKey(key: string, first: string | undefined, second: string | undefined, configFile: string | undefined): BotDefinitionError {
  if (first === configFile) return new BotDefinitionError(`Two bots have the key "${key}": an agent in ${configFile} and a bot in ${second}. Keys must be unique.`);
  return new BotDefinitionError(`Two bots have the key "${key}": in ${first} and in ${second}. Keys must be unique.`);
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

async function loadBots(config: BotConfig, files: readonly string[]): Promise<Map<string, Bot>> {
  const bots = new Map<string, Bot>();
  for (const [key, agent] of Object.entries(config.agents)) bots.set(key, configAgent(key, agent, config));
  for (const file of files) {
    for (const bot of await botsInFile(file, config.root)) {
      const other = bots.get(bot.key);
      if (other && other.sourceFile !== bot.sourceFile) throw duplicateKey(bot.key, other.sourceFile, bot.sourceFile, config.configFile);
      bots.set(bot.key, bot);
    }
  }
  return bots;
}

/** Every bot the config's `bots` globs lead to, by key. Two bots with one key is an error. */
export async function findBots(config: BotConfig): Promise<Map<string, Bot>> {
  return loadBots(config, await botFiles(config));
}

/** Every bot, loaded from every file, and the index made from them (when there is a state file to keep it in). */
async function rebuild(config: BotConfig, index: BotIndex | undefined): Promise<Map<string, Bot>> {
  const files = await botFiles(config);
  // Stamped before reading: a file edited while it loads is stale at the next look.
  const stamps: PathStamp[] = index ? takeStamps(config, files) : [];
  const bots = await loadBots(config, files);
  if (index) {
    const entries: IndexedBot[] = [...bots.values()]
      .filter((bot) => bot.sourceFile !== undefined && bot.sourceFile !== config.configFile)
      .map((bot) => ({ key: bot.key, file: bot.sourceFile!, kind: bot.command ? 'command' : 'code' }));
    index.record(stamps, entries);
  }
  return bots;
}

/** The bot the index names for `key`, from its one file; undefined when the index cannot tell. */
async function indexedBot(key: string, config: BotConfig, index: BotIndex): Promise<Bot | undefined> {
  const entry = index.lookup(key);
  if (entry === undefined) return undefined;
  const agent = config.agents[key];
  if (agent) {
    if (entry !== null) throw duplicateKey(key, config.configFile, entry.file, config.configFile);
    return configAgent(key, agent, config);
  }
  if (entry === null) return undefined;
  return (await botsInFile(entry.file, config.root)).find((bot) => bot.key === key);
}

/** The index in the state file, when the config has one; a state file that cannot be opened only means no index. */
function botIndex(config: BotConfig & { statePath?: string }): BotIndex | undefined {
  if (config.statePath === undefined || config.botGlobs.length === 0) return undefined;
  try {
    return new BotIndex(config.statePath, config);
  } catch {
    return undefined;
  }
}

/**
 * The bot with this key. With a state file, only the file the bot index names is loaded; a stale
 * index, or a key it does not know, has every file loaded and the index made again.
 */
export async function findBot(key: string, config: BotConfig & { statePath?: string }): Promise<Bot> {
  const index = botIndex(config);
  const known = index ? await indexedBot(key, config, index) : undefined;
  if (known) return known;
  const bots = await rebuild(config, index);
  const bot = bots.get(key);
  if (bot) return bot;
  const keys = [...bots.keys()].sort();
  const hint =
    config.botGlobs.length === 0
      ? `No bot files are configured: add "bots": ["bots/**/*.ts"] to ${config.configFile ?? 'rehearse.config.json'} (in ${config.root}).`
      : undefined;
  const { closest } = await import('fastest-levenshtein');
  throw new BotNotFoundError(key, keys, keys.length ? closest(key, keys) : undefined, hint === undefined ? {} : { hint });
}
