import type { Argv } from 'yargs';
import { mergeCacheFiles } from '../../cache/git/merge-file.js';
import type { MergeDecision } from '../../cache/git/merge.js';
import { entries } from './common.js';

/** One line of what the merge decided, for git's output. */
function decisionLine(decision: MergeDecision): string {
  const entry = `${decision.org}/${decision.botId}/${decision.actionType} ${decision.key.slice(0, 12)}`;
  const other = decision.kept === 'ours' ? 'theirs' : 'ours';
  if (decision.reason === 'changed-and-removed') return `${entry}: removed on ${other}, changed on ${decision.kept}; kept ${decision.kept} (recorded ${decision.createdAt})`;
  const why = decision.by === 'newer' ? `newer, recorded ${decision.createdAt}` : `both recorded ${decision.createdAt}; the greater text wins a tie`;
  return `${entry}: recorded differently on both sides; kept ${decision.kept} (${why})`;
}

export function mergeCommand(cli: Argv) {
  return cli.command(
    'merge <base> <ours> <theirs>',
    "Three-way merge of cache files by (org, key), written into <ours>: git's merge driver (%O %A %B)",
    (command) =>
      command
        .positional('base', { type: 'string', demandOption: true, describe: 'The common ancestor (an empty file, or none: no common ancestor)' })
        .positional('ours', { type: 'string', demandOption: true, describe: 'Our side; the merged cache replaces it' })
        .positional('theirs', { type: 'string', demandOption: true, describe: 'Their side' })
        .example('$0 cache git-setup', 'Makes git run this for the committed cache (in .gitattributes and .git/config)'),
    async (args) => {
      const merged = await mergeCacheFiles({ base: args.base, ours: args.ours, theirs: args.theirs });
      const { counts } = merged;
      const lines = merged.decisions.map((decision) => `rehearse cache merge: ${decisionLine(decision)}`);
      const parts = [
        [counts.added.ours, 'ours added'],
        [counts.added.theirs, 'theirs added'],
        [counts.changed.ours, 'ours changed'],
        [counts.changed.theirs, 'theirs changed'],
        [counts.removed, 'removed', true],
        [merged.decisions.length, 'resolved', true],
      ] as const;
      const said = parts.filter(([count]) => count > 0).map(([count, what, after]) => (after ? `${count.toLocaleString('en-US')} ${what}` : `${what} ${count.toLocaleString('en-US')}`));
      lines.push(`rehearse cache merge: merged ${entries(counts.entries)}${said.length > 0 ? ` (${said.join(', ')})` : ''}; verified.`);
      process.stderr.write(`${lines.join('\n')}\n`);
    },
  );
}
