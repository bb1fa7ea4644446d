import pc from 'picocolors';
import type { RehearseEvent } from '../invoke/events.js';
import { formatMs, formatUsd } from './content.js';

/** One event as one line for a person watching a run (printEvents, --stream with text). */
export function eventLine(event: RehearseEvent): string {
  switch (event.type) {
    case 'invocation.started':
      return pc.dim(`▶ ${event.bot_id} (${event.bot_version}) · ${event.mode} mode · ${event.invocation_id}`);
    case 'action.started':
      return pc.dim(`  → ${event.action_type} ${event.bot_path}`);
    case 'action.completed': {
      const mark = event.status === 'success' ? pc.green('✓') : pc.red('✗');
      const detail = event.error ? pc.red(` ${event.error.code}`) : ` ${formatUsd(event.cost_usd)}`;
      return `  ${mark} ${event.action_type} from ${event.source} in ${formatMs(event.duration_ms)}${detail}${event.recorded ? pc.yellow(' recorded') : ''}`;
    }
    case 'action.delta':
      return pc.dim(`    ${event.delta.type === 'text' ? event.delta.text : event.delta.arguments}`);
    case 'message':
      return pc.dim(`  · ${event.message.kind} ${event.message.role}: ${(event.message.content ?? '').slice(0, 80).replace(/\n/g, ' ')}`);
    case 'log':
      return `  ${event.level === 'warn' ? pc.yellow('!') : '·'} ${event.message}`;
    case 'invocation.completed':
      return event.status === 'completed'
        ? pc.green(`■ completed in ${formatMs(event.duration_ms)}`)
        : pc.red(`■ failed in ${formatMs(event.duration_ms)}: ${event.error?.message.split('\n')[0] ?? ''}`);
  }
}
