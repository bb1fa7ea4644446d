import { canonicalJson, replayKey } from './key.js';

/** Columns that hold JSON text. An export writes them as JSON values, so a diff reads as JSON. */
export const jsonColumns: ReadonlySet<string> = new Set(['params', 'output', 'usage', 'deltas']);

/** The fields the replay key is made of, as a row holds them. */
export interface KeyFields {
  bot_id: unknown;
  bot_version: unknown;
  action_type: unknown;
  /** The params column: canonical JSON text. */
  params: unknown;
  occurrence: unknown;
}

export type KeyCheck =
  | { ok: true; computed: string; parameters: unknown; canonical: boolean }
  | { ok: false; problem: string };

/**
 * The key a row's own fields hash to, by the formula of DESIGN.md:
 * sha256_hex(stableStringify({ bot_id, bot_updated_at: bot_version, action_type, parameters[, occurrence] })).
 * `canonical` says whether the params text is exactly the canonical JSON of its value (what was hashed).
 */
export function recomputeKey(row: KeyFields): KeyCheck {
  if (typeof row.params !== 'string') return { ok: false, problem: `params is ${describe(row.params)}, not JSON text` };
  let parameters: unknown;
  try {
    parameters = JSON.parse(row.params);
  } catch (error) {
    return { ok: false, problem: `params is not JSON (${(error as Error).message})` };
  }
  const check = keyOfValue(row, parameters);
  return check.ok ? { ...check, canonical: canonicalJson(parameters) === row.params } : check;
}

/**
 * The key of a row whose params the caller already holds as a value (an import line), whose text is
 * canonicalJson(parameters) by construction: it is hashed without parsing the text again.
 */
export function keyOfValue(row: Omit<KeyFields, 'params'>, parameters: unknown): KeyCheck {
  for (const name of ['bot_id', 'bot_version', 'action_type'] as const) {
    if (typeof row[name] !== 'string') return { ok: false, problem: `${name} is ${describe(row[name])}, not text` };
  }
  if (typeof row.occurrence !== 'number' || !Number.isInteger(row.occurrence) || row.occurrence < 0) {
    return { ok: false, problem: `occurrence is ${describe(row.occurrence)}, not a whole number >= 0` };
  }
  const computed = replayKey({
    bot_id: row.bot_id as string,
    bot_updated_at: row.bot_version as string,
    action_type: row.action_type as string,
    parameters,
    occurrence: row.occurrence,
  });
  return { ok: true, computed, parameters, canonical: true };
}

/** A value as an error message names it. */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Buffer.isBuffer(value)) return `a blob of ${value.length} bytes`;
  if (typeof value === 'string') return value.length > 40 ? `"${value.slice(0, 37)}..."` : JSON.stringify(value);
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return `${typeof value} ${String(value)}`;
}
