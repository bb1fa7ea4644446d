import type { Argv } from 'yargs';
import { findBots } from '../bots/find.js';
import { botVersion } from '../bots/version.js';
import { resolveConfig } from '../config/resolve.js';

export function botsCommand(cli: Argv) {
  return cli.command(
    'bots',
    'List the bots that rehearse.config.json leads to',
    (command) =>
      command
        .option('config', { type: 'string', describe: 'Config file [default ./rehearse.config.json]' })
        .option('format', { type: 'string', choices: ['text', 'json'] as const, default: 'text' as const }),
    async (args) => {
      const config = resolveConfig(args.config === undefined ? {} : { configPath: args.config }, process.env);
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
