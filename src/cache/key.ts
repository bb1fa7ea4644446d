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
 * The canonical JSON a key is the hash of: stableStringify({ bot_id, bot_updated_at, action_type,
 * parameters }), with `occurrence: n` added for the n-th repeat (n >= 1). Built only from canonical
 * JSON we own, so it stays stable across versions of rehearse and of the SDKs.
 */
export function keyText(material: KeyMaterial): string {
  const { occurrence, ...base } = material;
  return stableStringify(occurrence === 0 ? base : { ...base, occurrence });
}

export function hashKey(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** key = sha256_hex(keyText(material)) */
export function replayKey(material: KeyMaterial): string {
  return hashKey(keyText(material));
}

/** Params as stored in the `params` column: exactly the canonical JSON that was hashed. */
export function canonicalJson(value: unknown): string {
  return stableStringify(value);
}
