import { UsageError } from '../errors.js';

const units: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * `--since`: a duration back from now (`30m`, `24h`, `7d`, `2w`) or an ISO 8601 date or time
 * (`2025-01-31`, which is midnight UTC, or `2025-01-31T12:00:00Z`). Returns ISO text, UTC.
 */
export function parseSince(text: string, now: number = Date.now()): string {
  const duration = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(text.trim());
  if (duration) return new Date(now - Number(duration[1]) * units[duration[2]!.toLowerCase()]!).toISOString();
  if (/^\d{4}-\d{2}-\d{2}/.test(text.trim())) {
    const time = Date.parse(text.trim());
    if (Number.isFinite(time)) return new Date(time).toISOString();
  }
  throw new UsageError(`--since "${text}" is neither a duration nor a date.`, {
    hint: 'Give a duration back from now (30m, 24h, 7d, 2w) or an ISO date or time (2025-01-31, 2025-01-31T12:00:00Z).',
  });
}
