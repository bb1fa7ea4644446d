import type { Argv } from 'yargs';
import { cacheStats, type StatsGroup } from '../../cache/stats.js';
import { formatUsd } from '../../format/content.js';
import { writeJson, writeLines } from '../state-options.js';
import { table } from '../table.js';
import { allOrgsOption, cacheOptions, cacheTarget, cacheUsageByOrg, formatBytes, orgScope, plural, scopeWords, withStore } from './common.js';
import { countOtherOrgs, otherOrgsJson, otherOrgsNote, type OtherOrgs } from './other-orgs.js';

function groupJson(group: StatsGroup) {
  return {
    entries: group.entries,
    used: group.used,
    bytes: group.bytes,
    hits: group.hits,
    cost_usd: group.costUsd,
    saved_cost_usd: group.savedCostUsd,
  };
}

function groupTable(header: string, groups: readonly StatsGroup[], total: StatsGroup): string[] {
  return table(
    [
      { header, value: (group: StatsGroup) => group.name },
      { header: 'ENTRIES', value: (group) => String(group.entries), align: 'right' },
      { header: 'REPLAYED', value: (group) => String(group.used), align: 'right' },
      { header: 'SIZE', value: (group) => formatBytes(group.bytes), align: 'right' },
      { header: 'HITS', value: (group) => String(group.hits), align: 'right' },
      { header: 'RECORDED COST', value: (group) => formatUsd(group.costUsd), align: 'right' },
      { header: 'SAVED', value: (group) => formatUsd(group.savedCostUsd), align: 'right' },
    ],
    groups,
    [total],
  );
}

export function statsCommand(cli: Argv) {
  return cli.command(
    'stats',
    'Entries, size on disk, hits, recorded cost and cost saved, by bot and by action type',
    (command) =>
      allOrgsOption(cacheOptions(command))
        .example('$0 cache stats --org acme', "One org's recordings")
        .example('$0 cache stats --all-orgs', 'Every org, with a line per org'),
    async (args) => {
      const target = cacheTarget(args);
      const org = orgScope(args, target);
      let other: OtherOrgs | undefined;
      const stats = await withStore(target, async (store) => {
        const found = await cacheStats(store, org, cacheUsageByOrg(target, org));
        if (org !== undefined && found.total.entries === 0) other = await countOtherOrgs(store, org, {}, { usage: new Map() });
        return found;
      });
      if (args.format === 'json') {
        return writeJson({
          org: org ?? null,
          ...(org === undefined && { orgs: stats.byOrg.length }),
          cache: target.cachePath,
          exists: stats.exists,
          file_bytes: stats.fileBytes,
          ...groupJson(stats.total),
          by_bot: stats.byBot.map((group) => ({ bot_id: group.name, ...groupJson(group) })),
          by_action: stats.byAction.map((group) => ({ action_type: group.name, ...groupJson(group) })),
          ...(org === undefined && { by_org: stats.byOrg.map((group) => ({ org: group.name, ...groupJson(group) })) }),
          ...(other && otherOrgsJson(other)),
        });
      }
      if (!stats.exists) return writeLines([`No cache file at ${target.cachePath}: nothing recorded yet.`]);
      const { total } = stats;
      const lines = [
        `Cache ${target.cachePath} (${scopeWords(org)}${org === undefined ? `: ${plural(stats.byOrg.length, 'org')}` : ''})`,
        `  file      ${formatBytes(stats.fileBytes)} on disk (every org)`,
        `  entries   ${total.entries} (${formatBytes(total.bytes)} of params and outputs), ${total.used} replayed at least once`,
        `  hits      ${total.hits}`,
        `  recorded  ${formatUsd(total.costUsd)} (what recording them cost)`,
        `  saved     ${formatUsd(total.savedCostUsd)} (hits x recorded cost)`,
      ];
      if (org !== undefined && other) lines.push(...otherOrgsNote(org, {}, other, args.org !== undefined));
      if (total.entries > 0 && org === undefined) lines.push('', 'By org', ...groupTable('ORG', stats.byOrg, total));
      if (total.entries > 0) lines.push('', 'By bot', ...groupTable('BOT', stats.byBot, total), '', 'By action type', ...groupTable('ACTION', stats.byAction, total));
      writeLines(lines);
    },
  );
}
