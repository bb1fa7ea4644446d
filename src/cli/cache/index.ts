import type { Argv } from 'yargs';
import { clearCommand } from './clear.js';
import { diffCommand } from './diff.js';
import { exportCommand } from './export.js';
import { gitSetupCommand } from './git-setup.js';
import { importCommand } from './import.js';
import { lsCommand } from './ls.js';
import { mergeCommand } from './merge.js';
import { pruneCommand } from './prune.js';
import { showCommand } from './show.js';
import { statsCommand } from './stats.js';
import { textCommand } from './text.js';
import { pullCommand, pushCommand } from './transfer.js';
import { verifyCommand } from './verify.js';

/** `rehearse cache <command>`: the replay cache as a reviewable artifact. One file per command. */
export function cacheCommand(cli: Argv) {
  return cli.command('cache', 'The replay cache: stats, ls, show, verify, clear, prune, export, import, merge, diff, pull, push, more', (cache) =>
    [statsCommand, lsCommand, showCommand, clearCommand, pruneCommand, exportCommand, importCommand, verifyCommand, mergeCommand, diffCommand, textCommand, gitSetupCommand, pullCommand, pushCommand]
      .reduce((command, add) => add(command), cache)
      .demandCommand(1, 'Name a cache command: stats, ls, show <key-prefix>, clear, prune, export [file], import <file>, verify, merge, diff, text <file>, git-setup, pull or push.'),
  );
}
