import type { Argv } from 'yargs';
import { selectEntries } from '../../cache/filters.js';
import { limitValue } from '../../sessions/time.js';
import { writeJson, writeLines } from '../state-options.js';
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
  orgScope,
  plural,
  scopeWords,
  withStore,
} from './common.js';
import { countOtherOrgs, otherOrgsJson, otherOrgsNote, type OtherOrgs } from './other-orgs.js';

export function lsCommand(cli: Argv) {
  return cli.command(
    'ls',
    'List the entries of an org (or of every org), by bot, action type and time recorded',
    (command) =>
      allOrgsOption(filterOptions(cacheOptions(command)))
        .option('limit', { type: 'number', describe: 'At most this many' })
        .example('$0 cache ls --bot support-bot --unused-since 30d', 'Recordings of one bot not replayed for a month')
        .example('$0 cache ls --stale', "Recordings of an older version of their bot (the bot's code changed since)")
        .example('$0 cache ls --all-orgs', 'Every org\'s recordings (as isolate({ org: true }) spreads them), each with its org'),
    async (args) => {
      const target = cacheTarget(args);
      const org = orgScope(args, target);
      const filter = entryFilter(args);
      await withStore(target, async (store) => {
        const exists = await store.exists();
        const context = { usage: cacheUsageByOrg(target, org), ...(filter.stale && { currentVersions: await currentBotVersions(target.config) }) };
        const selection = await selectEntries(store, org, filter, context);
        let other: OtherOrgs | undefined;
        if (org !== undefined && selection.entries.length === 0) other = await countOtherOrgs(store, org, filter, { ...context, usage: cacheUsageByOrg(target, undefined) });
        const shown = args.limit === undefined ? selection.entries : selection.entries.slice(0, limitValue(args.limit));
        const orgs = new Set(selection.entries.map((entry) => entry.org)).size;
        if (args.format === 'json') {
          return writeJson({
            org: org ?? null,
            ...(org === undefined && { orgs }),
            cache: target.cachePath,
            count: selection.entries.length,
            entries: shown.map(entryJson),
            ...(filter.stale && { bots_not_found: botsNotFoundJson(selection) }),
            ...(other && otherOrgsJson(other)),
          });
        }
        const scope = `${scopeWords(org)}${describeFilter(filter) ? `, ${describeFilter(filter)}` : ''}`;
        const note = botsNotFoundNote(selection, target.config);
        if (!exists) return writeLines([`No cache file at ${target.cachePath}: nothing recorded yet.`]);
        if (selection.entries.length === 0) return writeLines([`No entries match (${scope}).`, ...(org !== undefined && other ? otherOrgsNote(org, filter, other, args.org !== undefined) : []), ...note]);
        const more = selection.entries.length - shown.length;
        writeLines([
          ...entriesTable(shown, filter.stale === true, org === undefined),
          '',
          `${entries(selection.entries.length)}${org === undefined ? ` in ${plural(orgs, 'org')}` : ''} (${scope})${more > 0 ? `; ${more} not shown (--limit)` : ''}.`,
          ...note,
        ]);
      });
    },
  );
}
