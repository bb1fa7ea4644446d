import type { Argv } from 'yargs';
import { selectEntries } from '../../cache/filters.js';
import { limitValue } from '../../sessions/time.js';
import { writeJson, writeLines } from '../state-options.js';
import {
  botsNotFoundJson,
  botsNotFoundNote,
  cacheOptions,
  cacheTarget,
  cacheUsage,
  currentBotVersions,
  describeFilter,
  entries,
  entriesTable,
  entryFilter,
  entryJson,
  filterOptions,
  withStore,
} from './common.js';

export function lsCommand(cli: Argv) {
  return cli.command(
    'ls',
    'List the entries of an org, by bot, action type and time recorded',
    (command) =>
      filterOptions(cacheOptions(command))
        .option('limit', { type: 'number', describe: 'At most this many' })
        .example('$0 cache ls --bot support-bot --unused-since 30d', 'Recordings of one bot not replayed for a month')
        .example('$0 cache ls --stale', "Recordings of an older version of their bot (the bot's code changed since)"),
    async (args) => {
      const target = cacheTarget(args);
      const filter = entryFilter(args);
      await withStore(target, async (store) => {
        const exists = await store.exists();
        const selection = await selectEntries(store, target.org, filter, {
          usage: cacheUsage(target),
          ...(filter.stale && { currentVersions: await currentBotVersions(target.config) }),
        });
        const shown = args.limit === undefined ? selection.entries : selection.entries.slice(0, limitValue(args.limit));
        if (args.format === 'json') {
          return writeJson({
            org: target.org,
            cache: target.cachePath,
            count: selection.entries.length,
            entries: shown.map(entryJson),
            ...(filter.stale && { bots_not_found: botsNotFoundJson(selection) }),
          });
        }
        const scope = `org ${target.org}${describeFilter(filter) ? `, ${describeFilter(filter)}` : ''}`;
        const note = botsNotFoundNote(selection, target.config);
        if (!exists) return writeLines([`No cache file at ${target.cachePath}: nothing recorded yet.`]);
        if (selection.entries.length === 0) return writeLines([`No entries match (${scope}).`, ...note]);
        const more = selection.entries.length - shown.length;
        writeLines([
          ...entriesTable(shown, filter.stale === true),
          '',
          `${entries(selection.entries.length)} (${scope})${more > 0 ? `; ${more} not shown (--limit)` : ''}.`,
          ...note,
        ]);
      });
    },
  );
}
