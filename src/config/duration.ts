import { UsageError } from '../errors.js';

const units: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `30m`, `24h`, `7d`, `2w` as milliseconds; undefined when the text is not such a duration. */
export function durationMs(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(text.trim());
  return match ? Number(match[1]) * units[match[2]!.toLowerCase()]! : undefined;
}

/** `30m`, `24h`, `7d`, `2w` (or a number of milliseconds) as milliseconds. */
export function parseDuration(value: string | number, name: string): number {
  const text = String(value).trim();
  // A number of milliseconds may come as text too (--max-age 60000, REHEARSE_MAX_AGE=60000).
  const ms = typeof value === 'number' ? value : /^-?\d+(?:\.\d+)?$/.test(text) ? Number(text) : durationMs(text.replace(/^-/, ''));
  if (ms !== undefined && Number.isFinite(ms) && !text.startsWith('-') && ms > 0) return ms;
  if (ms !== undefined && (text.startsWith('-') || ms <= 0)) {
    throw new UsageError(`${name} is ${JSON.stringify(value)}: a duration must be more than 0.`, {
      hint: 'Give how old a recording may be before it is recorded again, such as 30m, 24h, 7d or 2w (or a number of milliseconds); leave it out to keep recordings for ever.',
    });
  }
  throw new UsageError(`${name} is ${JSON.stringify(value)}, which is not a duration.`, {
    hint: 'Give a duration such as 30m, 24h, 7d or 2w (or a number of milliseconds).',
  });
}
