import type { Argv } from 'yargs';

/**
 * The CLI's commands, loaded lazily: `rehearse --help` lists every command from this table alone,
 * and a run imports only the module of the command it names (which imports the engine it needs).
 * Importing every command costs a second or so of start-up, more than many commands take to run.
 *
 * Each entry repeats its module's command line and description for the help listing
 * (test/cli/lazy-commands.test.ts checks that they agree); its module registers it for real.
 */
export interface LazyCommand {
  /** As the module gives it to yargs: the name, then its positionals. */
  command: string;
  description: string;
  load(): Promise<(cli: Argv) => Argv>;
}

export const lazyCommands: readonly LazyCommand[] = [
  {
    command: 'invoke <bot> [prompt]',
    description: 'Run a bot once and print its result',
    load: async () => (await import('./invoke.js')).invokeCommand,
  },
  {
    command: 'init',
    description: 'Set rehearse up here: config, example bot and test, vitest, .gitignore, git drivers, CI workflow',
    load: async () => (await import('./init.js')).initCommand,
  },
  {
    command: 'bots',
    description: 'List the bots that rehearse.config.json (here or in a folder above) leads to',
    load: async () => (await import('./bots.js')).botsCommand,
  },
  {
    command: 'sessions',
    description: 'List, show and delete sessions (conversations that go on)',
    load: async () => (await import('./sessions.js')).sessionsCommand,
  },
  {
    command: 'runs',
    description: 'List recorded invocations, newest first (runs show <id> prints one)',
    load: async () => (await import('./runs.js')).runsCommand,
  },
  {
    command: 'usage',
    description: 'Total invocations, tokens, cost and cost saved by cache hits, by bot and by day',
    load: async () => (await import('./usage.js')).usageCommand,
  },
  {
    command: 'cache',
    description: 'The replay cache: stats, ls, show, verify, clear, prune, export, import, merge, diff, pull, push, more',
    load: async () => (await import('./cache/index.js')).cacheCommand,
  },
  {
    command: 'serve',
    description: 'Serve the invoke HTTP API (docs/API.md)',
    load: async () => (await import('./serve.js')).serveCommand,
  },
];

function nameOf(entry: LazyCommand): string {
  return entry.command.split(' ')[0]!;
}

/**
 * The command a command line runs: the first argument that names one (options come after it in
 * every command rehearse has, and a bot key or prompt comes after the command too).
 */
export function commandNamed(argv: readonly string[]): LazyCommand | undefined {
  for (const arg of argv) {
    const found = lazyCommands.find((entry) => nameOf(entry) === arg);
    if (found) return found;
  }
  return undefined;
}

/**
 * Registers every command in its table order: the one `argv` runs from its module, the others by
 * name and description only (all that help and "did you mean" need of them).
 */
export async function registerCommands(cli: Argv, argv: readonly string[]): Promise<Argv> {
  const running = commandNamed(argv);
  const register = running ? await running.load() : undefined;
  return lazyCommands.reduce(
    (registered, entry) =>
      entry === running && register
        ? register(registered)
        : registered.command(entry.command, entry.description, {}, () => {
            // Only the command argv names is run, and that one is registered from its module.
            throw new Error(`rehearse ${nameOf(entry)} ran without its module loaded`);
          }),
    cli,
  );
}
