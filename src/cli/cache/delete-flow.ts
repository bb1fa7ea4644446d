import type { Argv } from 'yargs';
import { hasFilter, selectEntries, type ListedEntry } from '../../cache/filters.js';
import { UsageError } from '../../errors.js';
import { formatUsd } from '../../format/content.js';
import { forgetCacheUsage } from '../../state/cache-usage.js';
import { writeJson, writeLines } from '../state-options.js';
import { table } from '../table.js';
import {
  allOrgsOption,
  botsNotFoundJson,
  botsNotFoundNote,
  cacheOptions,
  cacheTarget,
  cacheUsageByOrg,
  currentBotVersions,
  describeFilter,
  entries,
  entriesTable,
  entryFilter,
  entryJson,
  filterOptions,
  formatBytes,
  type FilterArgs,
  orgScope,
  plural,
  scopeWords,
  withStore,
} from './common.js';
import { countOtherOrgs, otherOrgsJson, otherOrgsNote, type OtherOrgs } from './other-orgs.js';
import { canAsk, confirm } from './confirm.js';
import { progressBar } from './progress.js';

/** How many entries the plan lists one by one before it only counts the rest. */
const listedEntries = 50;

/** The options clear and prune share: the filters, and how to confirm. */
export function deletionOptions<T>(command: Argv<T>) {
  return allOrgsOption(filterOptions(cacheOptions(command)))
    .option('yes', { alias: 'y', type: 'boolean', default: false, describe: 'Delete without asking (needed when stdin is not a terminal)' })
    .option('dry-run', { type: 'boolean', default: false, describe: 'Print what would be deleted, and delete nothing' });
}

interface DeletionArgs extends FilterArgs {
  cache?: string | undefined;
  state?: string | undefined;
  org?: string | undefined;
  config?: string | undefined;
  allOrgs?: boolean | undefined;
  format: 'text' | 'json';
  yes: boolean;
  dryRun: boolean;
}

interface Group {
  bot: string;
  action: string;
  entries: number;
  bytes: number;
  hits: number;
  cost: number;
}

function groups(selected: readonly ListedEntry[]): Group[] {
  const byKey = new Map<string, Group>();
  for (const entry of selected) {
    const name = `${entry.bot_id}\u0000${entry.action_type}`;
    let group = byKey.get(name);
    if (!group) byKey.set(name, (group = { bot: entry.bot_id, action: entry.action_type, entries: 0, bytes: 0, hits: 0, cost: 0 }));
    group.entries++;
    group.bytes += entry.bytes;
    group.hits += entry.hits;
    group.cost += entry.cost_usd;
  }
  return [...byKey.values()];
}

/** The keys of the selected entries, by org: a deletion names one org at a time. */
function keysByOrg(selected: readonly ListedEntry[]): Map<string, string[]> {
  const byOrg = new Map<string, string[]>();
  for (const entry of selected) {
    const keys = byOrg.get(entry.org);
    if (keys) keys.push(entry.key);
    else byOrg.set(entry.org, [entry.key]);
  }
  return byOrg;
}

/**
 * `cache clear` and `cache prune`: select the org's (or, with --all-orgs, every org's) entries that match, print what would go, then
 * (unless --dry-run) ask on a terminal, or go ahead with --yes, or refuse. Deleting writes the cache
 * as a recording does and forgets the deleted entries' usage in the state file.
 */
export async function runDeletion(command: 'clear' | 'prune', args: DeletionArgs): Promise<void> {
  const target = cacheTarget(args);
  const org = orgScope(args, target);
  const filter = entryFilter(args);
  if (command === 'prune' && !hasFilter(filter)) {
    throw new UsageError('cache prune needs at least one filter: --bot, --action, --older-than, --unused-since or --stale.', {
      hint: 'To delete every entry of the org, use rehearse cache clear.',
    });
  }
  const currentVersions = filter.stale ? await currentBotVersions(target.config) : undefined;
  const context = { usage: cacheUsageByOrg(target, org), ...(currentVersions && { currentVersions }) };
  let other: OtherOrgs | undefined;
  const selection = await withStore(target, async (store) => {
    const found = await selectEntries(store, org, filter, context);
    if (org !== undefined && found.entries.length === 0) other = await countOtherOrgs(store, org, filter, { ...context, usage: cacheUsageByOrg(target, undefined) });
    return found;
  });
  const selected = selection.entries;
  const byOrg = keysByOrg(selected);
  // "every org" says what was asked; how many orgs the entries are in says what it touches.
  const orgsWords = org === undefined ? ` in ${plural(byOrg.size, 'org')}` : '';
  const scope = `${scopeWords(org)}${describeFilter(filter) ? `, ${describeFilter(filter)}` : ''}`;
  const json = args.format === 'json';
  const result = (deleted: number) => ({
    org: org ?? null,
    ...(org === undefined && { orgs: byOrg.size }),
    cache: target.cachePath,
    dry_run: args.dryRun,
    matched: selected.length,
    deleted,
    entries: selected.map(entryJson),
    ...(filter.stale && { bots_not_found: botsNotFoundJson(selection) }),
    ...(other && otherOrgsJson(other)),
  });
  const note = botsNotFoundNote(selection, target.config);

  if (selected.length === 0) {
    if (json) return writeJson(result(0));
    return writeLines([`Nothing to delete: no entries match (${scope}).`, ...(org !== undefined && other ? otherOrgsNote(org, filter, other, args.org !== undefined) : []), ...note]);
  }
  if (!json) {
    const listed = selected.slice(0, listedEntries);
    writeLines([
      `${args.dryRun ? 'Would delete' : 'To delete'}: ${entries(selected.length)}${orgsWords} (${scope}) from ${target.cachePath}`,
      '',
      ...table(
        [
          { header: 'BOT', value: (group: Group) => group.bot },
          { header: 'ACTION', value: (group) => group.action },
          { header: 'ENTRIES', value: (group) => String(group.entries), align: 'right' },
          { header: 'SIZE', value: (group) => formatBytes(group.bytes), align: 'right' },
          { header: 'HITS', value: (group) => String(group.hits), align: 'right' },
          { header: 'RECORDED COST', value: (group) => formatUsd(group.cost), align: 'right' },
        ],
        groups(selected),
      ),
      '',
      ...entriesTable(listed, filter.stale === true, org === undefined),
      ...(selected.length > listed.length ? [`... and ${selected.length - listed.length} more (rehearse cache ls with the same filters lists them all)`] : []),
      ...note,
    ]);
  }
  if (args.dryRun) {
    if (json) return writeJson(result(0));
    return writeLines(['', 'Dry run: nothing deleted.']);
  }
  if (!args.yes) {
    if (!canAsk()) {
      throw new UsageError(`Not deleting ${entries(selected.length)}${orgsWords} without confirmation: stdin is not a terminal, so rehearse cannot ask.`, {
        hint: `Pass --yes to delete them, or --dry-run to only list them.`,
      });
    }
    if (!(await confirm(`Delete ${entries(selected.length)}${orgsWords} from ${target.cachePath}? [y/N] `))) {
      process.stderr.write('Nothing deleted.\n');
      process.exitCode = 1;
      return;
    }
  }
  const bar = progressBar('Deleting');
  let deleted = 0;
  try {
    await withStore(target, async (store) => {
      for (const [entryOrg, keys] of byOrg) {
        const before = deleted;
        deleted += await store.delete(entryOrg, keys, (done) => bar.update(before + done, selected.length));
      }
    });
  } finally {
    bar.finish();
  }
  for (const [entryOrg, keys] of byOrg) forgetCacheUsage(target.statePath, target.cachePath, entryOrg, keys);
  if (json) return writeJson(result(deleted));
  writeLines(['', `Deleted ${entries(deleted)} (${org === undefined ? plural(byOrg.size, 'org') : `org ${org}`}) from ${target.cachePath}.`]);
}
