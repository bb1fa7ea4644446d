import { durationMs } from '../config/duration.js';
import { UsageError } from '../errors.js';

/**
 * `--since`: a duration back from now (`30m`, `24h`, `7d`, `2w`) or an ISO 8601 date or time
 * (`2025-01-31`, which is midnight UTC, or `2025-01-31T12:00:00Z`). Returns ISO text, UTC.
 */
export function parseSince(text: string, now: number = Date.now()): string {
  const back = durationMs(text);
  if (back !== undefined) return new Date(now - back).toISOString();
  if (/^\d{4}-\d{2}-\d{2}/.test(text.trim())) {
    const time = Date.parse(text.trim());
    if (Number.isFinite(time)) return new Date(time).toISOString();
  }
  throw new UsageError(`--since "${text}" is neither a duration nor a date.`, {
    hint: 'Give a duration back from now (30m, 24h, 7d, 2w) or an ISO date or time (2025-01-31, 2025-01-31T12:00:00Z).',
  });
}
