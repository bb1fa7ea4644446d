import type { Argv } from 'yargs';
import { clearCommand } from './clear.js';
import { exportCommand } from './export.js';
import { importCommand } from './import.js';
import { lsCommand } from './ls.js';
import { pruneCommand } from './prune.js';
import { showCommand } from './show.js';
import { statsCommand } from './stats.js';
import { pullCommand, pushCommand } from './transfer.js';
import { verifyCommand } from './verify.js';

/** `rehearse cache <command>`: the replay cache as a reviewable artifact. One file per command. */
export function cacheCommand(cli: Argv) {
  return cli.command('cache', 'Inspect and maintain the replay cache: stats, ls, show, clear, prune, export, import, verify, pull, push', (cache) =>
    [statsCommand, lsCommand, showCommand, clearCommand, pruneCommand, exportCommand, importCommand, verifyCommand, pullCommand, pushCommand]
      .reduce((command, add) => add(command), cache)
      .demandCommand(1, 'Name a cache command: stats, ls, show <key-prefix>, clear, prune, export [file], import <file>, verify, pull or push.'),
  );
}
