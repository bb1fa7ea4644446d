import { createHash } from 'node:crypto';
import stableStringify from 'fast-json-stable-stringify';

/** What identifies one recording. The names are those of the key formula in DESIGN.md. */
export interface KeyMaterial {
  bot_id: string;
  bot_updated_at: string;
  action_type: string;
  /** The action's normalised params. */
  parameters: unknown;
  /** 0 for the first identical call in an invocation, n for the n-th repeat. */
  occurrence: number;
}

/**
 * key = sha256_hex(stableStringify({ bot_id, bot_updated_at, action_type, parameters }))
 * and, for the n-th repeat (n >= 1), the same object with `occurrence: n`.
 * Built only from canonical JSON we own, so it stays stable across versions of rehearse and SDKs.
 */
export function replayKey(material: KeyMaterial): string {
  const { occurrence, ...base } = material;
  const hashed = occurrence === 0 ? base : { ...base, occurrence };
  return createHash('sha256').update(stableStringify(hashed)).digest('hex');
}

/** Params as stored in the `params` column: exactly the canonical JSON that was hashed. */
export function canonicalJson(value: unknown): string {
  return stableStringify(value);
}
