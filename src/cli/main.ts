import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { isRehearseError } from '../errors.js';
import { closeAgents } from '../live/http.js';
import { botsCommand } from './bots.js';
import { exitQuietlyOnBrokenPipe } from './broken-pipe.js';
import { cacheCommand } from './cache/index.js';
import { invokeCommand } from './invoke.js';
import { lastOptionWins } from './last-wins.js';
import { runsCommand } from './runs.js';
import { serveCommand } from './serve.js';
import { sessionsCommand } from './sessions.js';
import { usageCommand } from './usage.js';

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

export async function main(argv: string[]): Promise<void> {
  exitQuietlyOnBrokenPipe();
  let cli = yargs(joinNegativeValues(argv))
    .scriptName('rehearse')
    .usage('$0 <command> [options]\n\nRun LLM agents live, replayed from a SQLite cache, or against mocks.')
    .strict()
    .demandCommand(1, 'Name a command: invoke, bots, sessions, runs, usage or cache.')
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(110, process.stdout.columns || 110))
    .fail((message, error) => {
      if (error) throw error;
      throw Object.assign(new Error(message), { usage: true });
    });
  cli = lastOptionWins(cli);
  cli = serveCommand(cacheCommand(usageCommand(runsCommand(sessionsCommand(botsCommand(invokeCommand(cli)))))));
  try {
    await cli.parseAsync();
  } catch (error) {
    if (isRehearseError(error)) {
      process.stderr.write(`rehearse: ${error.describe()}\n`);
      process.exitCode = usageCodes.has(error.code) ? 2 : 1;
    } else if (error instanceof Error && 'usage' in error) {
      process.stderr.write(`rehearse: ${error.message}\nRun rehearse --help for the commands and their options.\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`rehearse: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    }
  } finally {
    await closeAgents();
  }
}

await main(hideBin(process.argv));
