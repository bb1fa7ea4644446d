import type { Argv } from 'yargs';
import { NotFoundError } from '../errors.js';
import { formatMs, formatUsd } from '../format/content.js';
import { getRun, listRuns } from '../sessions/records.js';
import type { InvocationRecord, RunStep } from '../sessions/types.js';
import { parseSince } from './since.js';
import { stateOptions, stateTarget, writeJson, writeLines } from './state-options.js';
import { clip, shortTime, table } from './table.js';

/** The snake_case record, as `--format json` prints it. */
export function runJson(run: InvocationRecord) {
  return {
    id: run.id,
    session_id: run.sessionId,
    org: run.org,
    bot_id: run.botId,
    bot_version: run.botVersion,
    mode: run.mode,
    status: run.status,
    input_tokens: run.inputTokens,
    output_tokens: run.outputTokens,
    cost_usd: run.costUsd,
    saved_cost_usd: run.savedCostUsd,
    duration_ms: run.durationMs,
    error: run.error,
    started_at: run.startedAt,
    steps: run.steps,
  };
}

/** Ids are long (inv_<uuid>); a listing shows enough of one to give back to `runs show`. */
function shortId(id: string): string {
  return id.length > 16 ? id.slice(0, 16) : id;
}

function listText(runs: readonly InvocationRecord[]): string[] {
  return table(
    [
      { header: 'RUN', value: (run: InvocationRecord) => shortId(run.id) },
      { header: 'STARTED (UTC)', value: (run) => shortTime(run.startedAt) },
      { header: 'BOT', value: (run) => run.botId },
      { header: 'MODE', value: (run) => run.mode },
      { header: 'STATUS', value: (run) => run.status },
      { header: 'IN', value: (run) => String(run.inputTokens), align: 'right' },
      { header: 'OUT', value: (run) => String(run.outputTokens), align: 'right' },
      { header: 'COST', value: (run) => formatUsd(run.costUsd), align: 'right' },
      { header: 'SAVED', value: (run) => formatUsd(run.savedCostUsd), align: 'right' },
      { header: 'DURATION', value: (run) => formatMs(run.durationMs), align: 'right' },
      { header: 'SESSION', value: (run) => run.sessionId },
      { header: 'ERROR', value: (run) => clip(run.error, 40) },
    ],
    runs,
  );
}

function showText(run: InvocationRecord): string[] {
  const lines = [
    `Run ${run.id}`,
    `  status    ${run.status}`,
    `  bot       ${run.botId} (version ${run.botVersion})`,
    `  mode      ${run.mode}`,
    `  org       ${run.org}`,
    `  session   ${run.sessionId}`,
    `  started   ${shortTime(run.startedAt)} UTC`,
    `  duration  ${formatMs(run.durationMs)}`,
    `  tokens    ${run.inputTokens} in / ${run.outputTokens} out`,
    `  cost      ${formatUsd(run.costUsd)} (saved ${formatUsd(run.savedCostUsd)} by cache hits)`,
  ];
  if (run.error !== null) lines.push(`  error     ${run.error}`);
  lines.push('');
  if (run.steps.length === 0) return [...lines, 'No steps.'];
  const numbered = run.steps.map((step, index) => ({ ...step, index: index + 1 }));
  return [
    ...lines,
    `Steps (${run.steps.length})`,
    ...table(
      [
        { header: '#', value: (step: RunStep & { index: number }) => String(step.index), align: 'right' },
        { header: 'ACTION', value: (step) => step.action_type },
        { header: 'SOURCE', value: (step) => step.source },
        { header: 'STATUS', value: (step) => step.status },
        { header: 'DURATION', value: (step) => formatMs(step.duration_ms), align: 'right' },
        { header: 'COST', value: (step) => formatUsd(step.cost_usd), align: 'right' },
        { header: 'SAVED', value: (step) => (step.saved_cost_usd ? formatUsd(step.saved_cost_usd) : ''), align: 'right' },
        { header: 'BOT', value: (step) => step.bot_path ?? '' },
      ],
      numbered,
    ),
  ];
}

export function runsCommand(cli: Argv) {
  return cli.command(
    'runs',
    'List recorded invocations, newest first (runs show <id> prints one)',
    (runs) =>
      stateOptions(runs)
        // The listing's filters; `runs show` takes only the state options above (which are global).
        .option('bot', { type: 'string', global: false, describe: 'Only this bot' })
        .option('status', { type: 'string', global: false, choices: ['completed', 'failed'] as const, describe: 'Only completed, or only failed runs' })
        .option('since', { type: 'string', global: false, describe: 'Only runs since: a duration (24h, 7d) or an ISO date or time' })
        .option('limit', { type: 'number', global: false, default: 50, describe: 'At most this many' })
        .command(
          'show <id>',
          'Print one run with its steps',
          (command) => command.positional('id', { type: 'string', demandOption: true, describe: 'The run id, or its first characters' }),
          (args) => {
            const { statePath, org } = stateTarget(args);
            const run = getRun(statePath, org, args.id);
            if (!run) throw new NotFoundError(`No run "${args.id}" in org ${org}.`, { hint: 'rehearse runs lists the runs of an org (--org to pick another).' });
            if (args.format === 'json') return writeJson(runJson(run));
            writeLines(showText(run));
          },
        )
        .example('$0 runs --bot support-bot --since 24h', "Today's runs of one bot")
        .example('$0 runs show inv_3f2a', 'One run and its steps'),
    (args) => {
      const { statePath, org } = stateTarget(args);
      const runs = listRuns(statePath, org, {
        ...(args.bot !== undefined && { botId: args.bot }),
        ...(args.status !== undefined && { status: args.status }),
        ...(args.since !== undefined && { since: parseSince(args.since) }),
        limit: args.limit,
      });
      if (args.format === 'json') return writeJson(runs.map(runJson));
      if (runs.length === 0) return writeLines([`No runs in org ${org} match.`]);
      writeLines(listText(runs));
    },
  );
}
