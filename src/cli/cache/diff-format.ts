import type { CacheDiff, ChangedEntry, DiffGroup } from '../../cache/git/diff.js';
import { shortTime } from '../table.js';
import { shortKey } from './common.js';

/** What was compared, for the headings. */
export interface DiffSubject {
  /** The cache file, as given. */
  cache: string;
  ref: string;
  /** The org compared, or undefined for every org. */
  org: string | undefined;
  /** The working tree has no cache file (every entry at the ref counts as removed). */
  missing: boolean;
}

function totals(diff: CacheDiff): string {
  return `${diff.added} added, ${diff.changed} changed, ${diff.removed} removed`;
}

const marks = { added: '+', changed: '~', removed: '-' } as const;

function groupCounts(group: DiffGroup): string {
  return (['added', 'changed', 'removed'] as const)
    .filter((change) => group[change] > 0)
    .map((change) => `${group[change]} ${change}`)
    .join(', ');
}

function outputText(entry: ChangedEntry): string {
  if (entry.change === 'added') return JSON.stringify(entry.output);
  if (entry.change === 'removed') return JSON.stringify(entry.outputBefore);
  return entry.output === entry.outputBefore ? `output ${JSON.stringify(entry.output)}` : `${JSON.stringify(entry.outputBefore)} -> ${JSON.stringify(entry.output)}`;
}

/** The diff as text: totals, then each bot's action with one line an entry. */
export function diffText(diff: CacheDiff, subject: DiffSubject): string[] {
  const scope = subject.org === undefined ? 'every org' : `org ${subject.org}`;
  const lines = [`${subject.cache}: the working tree${subject.missing ? ' (no file: every entry removed)' : ''} against ${subject.ref}, ${scope}`];
  if (diff.added + diff.changed + diff.removed === 0) return [...lines, `No changes (${diff.unchanged} entries the same).`];
  lines.push(`${totals(diff)} (${diff.unchanged} unchanged)`);
  for (const group of diff.groups) {
    lines.push('', `${group.org} / ${group.botId} / ${group.actionType}: ${groupCounts(group)}`);
    for (const entry of group.entries) {
      const changed = entry.columns ? ` [${entry.columns.join(', ')}]` : '';
      lines.push(`  ${marks[entry.change]} ${shortKey(entry.key)}  ${entry.org}  version ${entry.botVersion}  #${entry.occurrence}  ${shortTime(entry.createdAt)}${changed}  ${outputText(entry)}`);
    }
  }
  return lines;
}

function entryJson(entry: ChangedEntry) {
  return {
    change: entry.change,
    org: entry.org,
    key: entry.key,
    bot_version: entry.botVersion,
    occurrence: entry.occurrence,
    created_at: entry.createdAt,
    ...(entry.columns && { changed_columns: entry.columns }),
    ...(entry.outputBefore !== undefined && { output_before: entry.outputBefore }),
    ...(entry.output !== undefined && { output: entry.output }),
  };
}

export function diffJson(diff: CacheDiff, subject: DiffSubject) {
  return {
    cache: subject.cache,
    ref: subject.ref,
    org: subject.org ?? null,
    working_tree_file: !subject.missing,
    added: diff.added,
    changed: diff.changed,
    removed: diff.removed,
    unchanged: diff.unchanged,
    groups: diff.groups.map((group) => ({
      org: group.org,
      bot_id: group.botId,
      action_type: group.actionType,
      added: group.added,
      changed: group.changed,
      removed: group.removed,
      entries: group.entries.map(entryJson),
    })),
  };
}

/** Text for a Markdown table cell or line: nothing in it can end the cell or start markup. */
function cell(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]|~#]/g, (char) => `\\${char}`);
}

function markdownOutput(entry: ChangedEntry): string {
  if (entry.change !== 'changed') return cell((entry.output ?? entry.outputBefore)!);
  return entry.output === entry.outputBefore ? cell(entry.output!) : `~~${cell(entry.outputBefore!)}~~ → ${cell(entry.output!)}`;
}

/** The diff as Markdown for a pull-request comment: totals, a table by bot and action, and each group's entries folded. */
export function diffMarkdown(diff: CacheDiff, subject: DiffSubject): string[] {
  const scope = subject.org === undefined ? 'every org' : `org \`${subject.org}\``;
  const lines = [`### Recordings: ${totals(diff)}`, '', `\`${subject.cache}\` in the working tree against \`${subject.ref}\`, ${scope}: ${diff.unchanged} unchanged.`];
  if (subject.missing) lines.push('', 'The working tree has no cache file: every entry counts as removed.');
  if (diff.groups.length === 0) return lines;
  lines.push('', '| Org | Bot | Action | Added | Changed | Removed |', '|---|---|---|---:|---:|---:|');
  for (const group of diff.groups) lines.push(`| ${cell(group.org)} | ${cell(group.botId)} | ${cell(group.actionType)} | ${group.added} | ${group.changed} | ${group.removed} |`);
  for (const group of diff.groups) {
    lines.push('', `<details><summary>${cell(group.org)} / ${cell(group.botId)} / ${cell(group.actionType)}: ${groupCounts(group)}</summary>`, '');
    lines.push('| | Key | Org | Version | Occurrence | Recorded (UTC) | Output |', '|---|---|---|---|---:|---|---|');
    for (const entry of group.entries) {
      const change = entry.columns ? `${entry.change} (${cell(entry.columns.join(', '))})` : entry.change;
      lines.push(`| ${change} | \`${shortKey(entry.key)}\` | ${cell(entry.org)} | ${cell(entry.botVersion)} | ${entry.occurrence} | ${shortTime(entry.createdAt)} | ${markdownOutput(entry)} |`);
    }
    lines.push('', '</details>');
  }
  return lines;
}
