import type { Argv } from 'yargs';
import { formatUsd } from '../format/content.js';
import type { UsageRow, UsageTotals } from '../sessions/types.js';
import { usageTotals } from '../sessions/usage.js';
import { parseSince } from './since.js';
import { stateOptions, stateTarget, writeJson, writeLines } from './state-options.js';
import { shortTime, table } from './table.js';

function rowJson(row: UsageRow) {
  return {
    invocations: row.invocations,
    input_tokens: row.inputTokens,
    output_tokens: row.outputTokens,
    cost_usd: row.costUsd,
    saved_cost_usd: row.savedCostUsd,
  };
}

function totalsText(title: string, totals: UsageTotals): string[] {
  return [
    title,
    ...table(
      [
        { header: totals.groupBy === 'bot' ? 'BOT' : 'DAY (UTC)', value: (row: UsageRow) => row.key },
        { header: 'INVOCATIONS', value: (row) => String(row.invocations), align: 'right' },
        { header: 'INPUT TOKENS', value: (row) => String(row.inputTokens), align: 'right' },
        { header: 'OUTPUT TOKENS', value: (row) => String(row.outputTokens), align: 'right' },
        { header: 'COST', value: (row) => formatUsd(row.costUsd), align: 'right' },
        { header: 'SAVED', value: (row) => formatUsd(row.savedCostUsd), align: 'right' },
      ],
      totals.rows,
      [totals.total],
    ),
  ];
}

export function usageCommand(cli: Argv) {
  return cli.command(
    'usage',
    'Total invocations, tokens, cost and cost saved by cache hits, by bot and by day',
    (command) =>
      stateOptions(command)
        .option('bot', { type: 'string', describe: 'Only this bot' })
        .option('since', { type: 'string', describe: 'Only runs since: a duration (24h, 7d) or an ISO date or time' })
        .example('$0 usage --since 7d', 'The last week, by bot and by day')
        .example('$0 usage --bot support-bot --format json', 'One bot, as JSON'),
    (args) => {
      const { statePath, org } = stateTarget(args);
      const since = args.since === undefined ? undefined : parseSince(args.since);
      const filter = { org, ...(args.bot !== undefined && { botId: args.bot }), ...(since !== undefined && { since }) };
      const byBot = usageTotals(statePath, filter, 'bot');
      const byDay = usageTotals(statePath, filter, 'day');
      if (args.format === 'json') {
        return writeJson({
          org,
          bot: args.bot ?? null,
          since: since ?? null,
          by_bot: byBot.rows.map((row) => ({ bot_id: row.key, ...rowJson(row) })),
          by_day: byDay.rows.map((row) => ({ day: row.key, ...rowJson(row) })),
          total: rowJson(byBot.total),
        });
      }
      const scope = `org ${org}${args.bot === undefined ? '' : `, bot ${args.bot}`}, ${since === undefined ? 'all time' : `since ${shortTime(since)} UTC`}`;
      if (byBot.total.invocations === 0) return writeLines([`No runs recorded (${scope}).`]);
      writeLines([`Usage (${scope})`, '', ...totalsText('By bot', byBot), '', ...totalsText('By day', byDay)]);
    },
  );
}
