import { readFileSync } from 'node:fs';
import { isRehearseError } from '../errors.js';
import { closeAgents } from '../live/http.js';
import { exitQuietlyOnBrokenPipe } from './broken-pipe.js';
import { skipHelpCache } from './help-cache.js';
import { lastOptionWins } from './last-wins.js';
import { registerCommands } from './lazy-commands.js';

/** Errors that mean the command was asked for wrongly: exit code 2, as for a yargs usage error. */
const usageCodes = new Set(['USAGE', 'CONFIG_INVALID', 'BOT_NOT_FOUND', 'MOCKS_INVALID']);

/**
 * `--max-age -5d` as yargs would read it: the value looks like short flags (-5 -d). An option
 * followed by a negative number is joined to it (`--max-age=-5d`), so the option's own check says
 * what is wrong with the value.
 */
function joinNegativeValues(argv: readonly string[]): string[] {
  const joined: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    const next = argv[index + 1];
    if (/^--[a-z][\w-]*$/i.test(arg) && next !== undefined && /^-\d/.test(next)) (joined.push(`${arg}=${next}`), index++);
    else joined.push(arg);
  }
  return joined;
}

/** `rehearse --version` alone, answered before yargs is loaded (it costs more than the rest of start-up). */
function printVersion(): void {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  process.stdout.write(`${manifest.version}\n`);
}

export async function main(argv: string[]): Promise<void> {
  exitQuietlyOnBrokenPipe();
  if (argv.length === 1 && argv[0] === '--version') return printVersion();
  const { default: yargs } = await import('yargs');
  const cli = yargs(joinNegativeValues(argv))
    .scriptName('rehearse')
    .usage('$0 <command> [options]\n\nRun LLM agents live, replayed from a SQLite cache, or against mocks.')
    .strict()
    .demandCommand(1, 'Name a command: init, invoke, bots, sessions, runs, usage, cache or serve.')
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(110, process.stdout.columns || 110))
    .fail((message, error) => {
      if (error) throw error;
      throw Object.assign(new Error(message), { usage: true });
    });
  try {
    await skipHelpCache(lastOptionWins(await registerCommands(cli, argv))).parseAsync();
  } catch (error) {
    // An error may quote what it was given (a URL with its password, a key in a value): redacted like every other exit.
    const { Redactor } = await import('../secrets/redactor.js');
    const secrets = new Redactor();
    const say = (text: string) => process.stderr.write(secrets.scrub(text));
    if (isRehearseError(error)) {
      say(`rehearse: ${error.describe()}\n`);
      process.exitCode = usageCodes.has(error.code) ? 2 : 1;
    } else if (error instanceof Error && 'usage' in error) {
      say(`rehearse: ${error.message}\nRun rehearse --help for the commands and their options.\n`);
      process.exitCode = 2;
    } else {
      say(`rehearse: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    }
  } finally {
    await closeAgents();
  }
}

await main(process.argv.slice(2));
