import type { StateDatabase, StateStatement } from '../state/database.js';
import { checkOrg } from '../config/resolve.js';
import { UsageError } from '../errors.js';
import { openRunsDatabase } from './records.js';
import { sinceBound } from './time.js';
import type { UsageFilter, UsageGroup, UsageRow, UsageTotals } from './types.js';

interface TotalsRow {
  key: string;
  invocations: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  saved_cost_usd: number;
}

interface TotalsArgs {
  org: string | null;
  bot: string | null;
  since: string;
}

/** What a group's key is: the bot id, or the UTC day of `started_at` (ISO text, so its first 10 characters). */
const keys: Record<UsageGroup, string> = { bot: 'bot_id', day: 'substr(started_at, 1, 10)' };

const prepared = new WeakMap<StateDatabase, Map<UsageGroup, StateStatement<[TotalsArgs], TotalsRow>>>();

function totalsStatement(db: StateDatabase, groupBy: UsageGroup): StateStatement<[TotalsArgs], TotalsRow> {
  let byGroup = prepared.get(db);
  if (!byGroup) prepared.set(db, (byGroup = new Map()));
  let statement = byGroup.get(groupBy);
  if (!statement) {
    statement = db.prepare(
      `SELECT ${keys[groupBy]} AS key, count(*) AS invocations, total(input_tokens) AS input_tokens, total(output_tokens) AS output_tokens,
         total(cost_usd) AS cost_usd, total(saved_cost_usd) AS saved_cost_usd
       FROM runs WHERE (@org IS NULL OR org = @org) AND started_at >= @since AND (@bot IS NULL OR bot_id = @bot)
       GROUP BY key ORDER BY key`,
    );
    byGroup.set(groupBy, statement);
  }
  return statement;
}

/** Sums of money, to a billionth of a dollar: no 0.30000000000000004 in a report. */
function usd(amount: number): number {
  return Math.round(amount * 1e9) / 1e9;
}

/**
 * Invocations, tokens, cost and cost saved, by bot or by day (UTC), with a total row. Narrowed to one
 * org (every org's runs when left out), one bot, and runs started at or after `since`.
 */
export function usageTotals(statePath: string, filter: UsageFilter, groupBy: UsageGroup): UsageTotals {
  if (groupBy !== 'bot' && groupBy !== 'day') throw new UsageError(`Usage is grouped by "bot" or "day", not "${String(groupBy)}".`);
  const args: TotalsArgs = {
    org: filter.org === undefined ? null : checkOrg(filter.org),
    bot: filter.botId ?? null,
    since: sinceBound(filter.since),
  };
  const db = openRunsDatabase(statePath);
  const total: UsageRow = { key: 'total', invocations: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, savedCostUsd: 0 };
  const rows = totalsStatement(db, groupBy)
    .all(args)
    .map((row): UsageRow => {
      total.invocations += row.invocations;
      total.inputTokens += row.input_tokens;
      total.outputTokens += row.output_tokens;
      total.costUsd += row.cost_usd;
      total.savedCostUsd += row.saved_cost_usd;
      return {
        key: row.key,
        invocations: row.invocations,
        inputTokens: row.input_tokens,
        outputTokens: row.output_tokens,
        costUsd: usd(row.cost_usd),
        savedCostUsd: usd(row.saved_cost_usd),
      };
    });
  return { groupBy, rows, total: { ...total, costUsd: usd(total.costUsd), savedCostUsd: usd(total.savedCostUsd) } };
}
