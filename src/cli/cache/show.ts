import type { Argv } from 'yargs';
import { jsonColumns } from '../../cache/entry-check.js';
import { exportFieldOrder, exportLine } from '../../cache/export-jsonl.js';
import type { CacheRow } from '../../cache/types.js';
import { NotFoundError, UsageError } from '../../errors.js';
import { formatMs, formatUsd } from '../../format/content.js';
import type { CacheEntryUsage } from '../../state/cache-usage.js';
import { writeJson, writeLines } from '../state-options.js';
import { shortTime, table } from '../table.js';
import { cacheOptions, cacheTarget, cacheUsage, withStore } from './common.js';

/** How many matches an ambiguous prefix lists. */
const listedMatches = 20;

/** A JSON column pretty-printed; text that is not JSON as it is. */
function pretty(text: unknown): string {
  if (typeof text !== 'string') return String(text);
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** Columns the header already shows, or that get their own section. */
const shownColumns = new Set(['org', 'key', 'bot_id', 'bot_version', 'action_type', 'occurrence', 'status', 'cost_usd', 'duration_ms', 'created_at', 'usage']);

function showText(row: CacheRow, usage: CacheEntryUsage | undefined): string[] {
  const columns: readonly string[] = exportFieldOrder;
  const lines = [
    `Entry ${String(row.key)}`,
    `  org         ${String(row.org)}`,
    `  bot         ${String(row.bot_id)} (version ${String(row.bot_version)})`,
    `  action      ${String(row.action_type)}${row.occurrence ? ` (repeat ${String(row.occurrence)} of the same call)` : ''}`,
    `  status      ${String(row.status)}`,
    `  recorded    ${shortTime(String(row.created_at))} UTC, took ${formatMs(Number(row.duration_ms))}, cost ${formatUsd(Number(row.cost_usd))}`,
    `  tokens      ${tokens(row.usage)}`,
    `  hits        ${usage ? `${usage.hits}, last ${shortTime(usage.lastUsedAt)} UTC (saved ${formatUsd(usage.hits * Number(row.cost_usd))})` : 'never replayed'}`,
  ];
  const others = columns.filter((column) => !shownColumns.has(column) && !jsonColumns.has(column));
  const value = (column: string): unknown => row[column as keyof CacheRow];
  for (const column of others) lines.push(`  ${column.padEnd(11)} ${String(value(column))}`);
  for (const column of columns.filter((name) => jsonColumns.has(name) && name !== 'usage')) {
    if (value(column) === null || value(column) === undefined) continue;
    lines.push('', column, pretty(value(column)));
  }
  return lines;
}

function tokens(usage: unknown): string {
  if (typeof usage !== 'string') return 'not recorded';
  try {
    const parsed = JSON.parse(usage) as { input_tokens?: number; output_tokens?: number };
    return `${parsed.input_tokens ?? 0} in / ${parsed.output_tokens ?? 0} out`;
  } catch {
    return usage;
  }
}

export function showCommand(cli: Argv) {
  return cli.command(
    'show <key-prefix>',
    'Print one entry whole: its fields, params and output',
    (command) =>
      cacheOptions(command)
        .positional('key-prefix', { type: 'string', demandOption: true, describe: 'The key, or its first characters' })
        .example('$0 cache show d41d6858', 'The entry whose key starts so'),
    async (args) => {
      const target = cacheTarget(args);
      const prefix = args.keyPrefix.trim().toLowerCase();
      if (!/^[0-9a-f]{1,64}$/.test(prefix)) throw new UsageError(`"${args.keyPrefix}" is not a key prefix: keys are 64 hexadecimal characters.`);
      await withStore(target, async (store) => {
        if (!(await store.exists())) throw new NotFoundError(`No cache file at ${target.cachePath}.`, { hint: 'Point --cache (or REHEARSE_CACHE) at the cache file.' });
        const matches = await store.rowsWithKeyPrefix(target.org, prefix, listedMatches + 1);
        if (matches.length === 0) {
          throw new NotFoundError(`No entry of org ${target.org} has a key starting "${prefix}" (cache ${target.cachePath}).`, {
            hint: 'rehearse cache ls lists the entries of an org (--org to pick another).',
          });
        }
        if (matches.length > 1) {
          const listed = matches.slice(0, listedMatches);
          const rows = table(
            [
              { header: 'KEY', value: (row: CacheRow) => String(row.key) },
              { header: 'BOT', value: (row) => String(row.bot_id) },
              { header: 'ACTION', value: (row) => String(row.action_type) },
              { header: 'RECORDED (UTC)', value: (row) => shortTime(String(row.created_at)) },
            ],
            listed,
          );
          const more = matches.length > listedMatches ? [`  ... and more`] : [];
          throw new UsageError(
            [`The key prefix "${prefix}" is ambiguous: ${matches.length > listedMatches ? `more than ${listedMatches}` : matches.length} entries of org ${target.org} match.`, ...rows.map((line) => `  ${line}`), ...more].join('\n'),
            { hint: 'Give more characters of the key.' },
          );
        }
        const row = matches[0]!;
        const usage = cacheUsage(target).get(String(row.key));
        if (args.format === 'json') {
          return writeJson({ ...(JSON.parse(exportLine(row)) as object), hits: usage?.hits ?? 0, last_used_at: usage?.lastUsedAt ?? null });
        }
        writeLines(showText(row, usage));
      });
    },
  );
}
