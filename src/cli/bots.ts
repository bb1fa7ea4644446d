import type { Argv } from 'yargs';
import { findBots } from '../bots/find.js';
import { botVersion } from '../bots/version.js';
import { resolveConfig } from '../config/resolve.js';
import { ConfigNotFoundError } from '../errors.js';

export function botsCommand(cli: Argv) {
  return cli.command(
    'bots',
    'List the bots that rehearse.config.json (here or in a folder above) leads to',
    (command) =>
      command
        .option('config', { type: 'string', describe: 'Config file [default: rehearse.config.json here or in the nearest folder above]' })
        .option('format', { type: 'string', choices: ['text', 'json'] as const, default: 'text' as const }),
    async (args) => {
      const config = resolveConfig(args.config === undefined ? {} : { configPath: args.config }, process.env);
      // Listing nothing and exiting 0 would read as "this project has no bots" when it is the wrong folder.
      if (config.configFile === undefined) throw new ConfigNotFoundError(config.cwd);
      const bots = [...(await findBots(config)).values()].map((bot) => ({
        key: bot.key,
        version: botVersion(bot),
        description: bot.description ?? '',
        file: bot.sourceFile ?? '',
      }));
      if (args.format === 'json') process.stdout.write(`${JSON.stringify(bots, null, 2)}\n`);
      else if (bots.length === 0) process.stdout.write('No bots found. Name your bot files in rehearse.config.json: { "bots": ["bots/**/*.ts"] }\n');
      else for (const bot of bots) process.stdout.write(`${bot.key.padEnd(24)} ${bot.version.padEnd(18)} ${bot.description}\n`);
    },
  );
}
