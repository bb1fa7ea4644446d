import pc from 'picocolors';
import type { ActionCompletedEvent } from '../invoke/events.js';
import type { InvokeResult } from '../invoke/types.js';
import { responseContent } from '../invoke/response-content.js';
import { formatMs, formatUsd } from './content.js';

const sourceLabels = { live: 'live ', cache: 'cache', mock: 'mock ' } as const;

function stepLine(event: ActionCompletedEvent, index: number): string {
  const status = event.status === 'success' ? pc.green('ok ') : pc.red('err');
  const tokens = event.usage ? `${event.usage.input_tokens}→${event.usage.output_tokens} tok` : '';
  const cost = event.source === 'cache' ? `saved ${formatUsd(event.saved_cost_usd ?? 0)}` : formatUsd(event.cost_usd);
  const key = event.cache_key ? pc.dim(` key ${event.cache_key.slice(0, 12)}`) : '';
  const recorded = event.recorded ? pc.yellow(' recorded') : '';
  return `  ${String(index + 1).padStart(2)}. ${status} ${event.action_type.padEnd(14)} ${sourceLabels[event.source]} ${formatMs(event.duration_ms).padStart(9)}  ${tokens.padEnd(14)} ${cost}${key}${recorded}  ${pc.dim(event.bot_path)}`;
}

/** Human-readable: the response (or the error), and with `verbose` every step and the totals. */
export function toText(result: Omit<InvokeResult, 'formatted'>, verbose: boolean): string {
  const lines: string[] = [];
  if (result.success) lines.push(responseContent(result.result.output) ?? '');
  else lines.push(pc.red(`Failed: ${result.error?.message ?? 'unknown error'}`), ...(result.error?.hint ? ['', result.error.hint] : []));
  if (!verbose) return lines.join('\n');

  const steps = result.events.filter((event): event is ActionCompletedEvent => event.type === 'action.completed');
  lines.push('', pc.bold(`${result.bot.key} (version ${result.bot.version}) · ${result.mode} mode · org ${result.org}`));
  lines.push(...steps.map(stepLine));
  const { cache, usage } = result;
  lines.push(
    `  ${result.status} in ${formatMs(result.durationMs)} · ${steps.length} actions · tokens ${usage.inputTokens} in / ${usage.outputTokens} out · cost ${formatUsd(result.costUsd)}` +
      (result.mode === 'replay' ? ` · cache ${cache.hits} hits, ${cache.misses} misses, ${cache.recorded} recorded, saved ${formatUsd(cache.savedCostUsd)}` : ''),
    pc.dim(`  invocation ${result.invocationId} · session ${result.sessionId}`),
  );
  return lines.join('\n');
}
