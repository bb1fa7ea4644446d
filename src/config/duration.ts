import { UsageError } from '../errors.js';

const units: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `30m`, `24h`, `7d`, `2w` as milliseconds; undefined when the text is not such a duration. */
export function durationMs(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(text.trim());
  return match ? Number(match[1]) * units[match[2]!.toLowerCase()]! : undefined;
}

/** `30m`, `24h`, `7d`, `2w` (or a number of milliseconds) as milliseconds. */
export function parseDuration(value: string | number, name: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value;
  const ms = typeof value === 'string' ? durationMs(value) : undefined;
  if (ms !== undefined) return ms;
  throw new UsageError(`${name} is ${JSON.stringify(value)}, which is not a duration.`, {
    hint: 'Give a duration such as 30m, 24h, 7d or 2w (or a number of milliseconds).',
  });
}
