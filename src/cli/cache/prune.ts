import type { Argv } from 'yargs';
import { deletionOptions, runDeletion } from './delete-flow.js';

export function pruneCommand(cli: Argv) {
  return cli.command(
    'prune',
    'Delete the entries the filters match (at least one filter; asks first; --yes, --dry-run)',
    (command) =>
      deletionOptions(command)
        .example('$0 cache prune --stale --dry-run', 'Recordings of older bot versions that would go')
        .example('$0 cache prune --unused-since 90d --yes', 'Recordings not replayed for 90 days')
        .example('$0 cache prune --stale --all-orgs', 'Stale recordings of every org (one org per test spreads them)'),
    (args) => runDeletion('prune', args),
  );
}
