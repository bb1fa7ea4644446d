import type { Argv } from 'yargs';
import { deletionOptions, runDeletion } from './delete-flow.js';

export function clearCommand(cli: Argv) {
  return cli.command(
    'clear',
    'Delete entries of an org (or of every org): all of them, or those the filters match (asks first; --yes, --dry-run)',
    (command) =>
      deletionOptions(command)
        .example('$0 cache clear --org scratch --yes', 'Every entry of one org, without asking')
        .example('$0 cache clear --bot old-bot --dry-run', 'What deleting one bot\'s entries would remove')
        .example('$0 cache clear --all-orgs --bot old-bot', "One bot's entries in every org"),
    (args) => runDeletion('clear', args),
  );
}
