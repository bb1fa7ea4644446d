import type { KeyMaterial } from '../cache/key.js';
import { hitOf, type CacheHit } from '../cache/replay-cache.js';
import { defaultLeaseMs } from '../cache/single-flight.js';
import type { Claim } from '../cache/types.js';
import { CacheReadOnlyError, StrictMissError } from '../errors.js';
import type { StreamDelta } from '../actions/types.js';
import { performLive } from './live.js';
import { replayStream } from './stream-replay.js';
import { strictMissError } from './strict-miss.js';
import { isUnusableProvider, unrecordedMissError } from './unrecorded-miss.js';
import type { ActionCall, ModeOutcome, ModeStrategy, RunState } from './types.js';

/**
 * Removes the configured volatile fields so they never change a key. A path may name the field
 * inside the params (`metadata.request_id`) or, as in the key formula, under `parameters.`.
 */
function withoutIgnoredPaths(value: unknown, paths: readonly string[]): unknown {
  let result = value;
  for (const path of paths) result = withoutPath(result, path.replace(/^parameters\./, '').split('.'));
  return result;
}

function withoutPath(value: unknown, parts: readonly string[]): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || parts.length === 0) return value;
  const [head, ...rest] = parts as [string, ...string[]];
  if (!(head in value)) return value;
  const copy = { ...(value as Record<string, unknown>) };
  if (rest.length === 0) delete copy[head];
  else copy[head] = withoutPath(copy[head], rest);
  return copy;
}

function isCached(call: ActionCall, run: RunState): boolean {
  return run.cachedActions ? run.cachedActions.has(call.definition.type) : call.definition.cachedByDefault === true;
}

/**
 * Serves recordings; a miss runs live once and records it (or, strict, is an error). The n-th
 * repeat of an identical call in one invocation carries `occurrence: n`, so repeats replay in order.
 */
export const replayMode: ModeStrategy = {
  name: 'replay',
  needs: { cache: true, mocks: false },
  // A strict miss is the cache's answer; any other failure came from the live call a miss made.
  failedSource: (error) => (error instanceof StrictMissError ? 'cache' : 'live'),
  async perform(call, run): Promise<ModeOutcome> {
    const { cache } = run;
    if (!cache || !isCached(call, run)) return performLive(call, run);

    const { definition, params, bot } = call;
    const normalized = definition.normalize ? definition.normalize(params) : params;
    const material: KeyMaterial = {
      bot_id: bot.id,
      bot_updated_at: bot.version,
      action_type: definition.type,
      parameters: run.cacheIgnore.length ? withoutIgnoredPaths(normalized, run.cacheIgnore) : normalized,
      occurrence: 0,
    };
    const first = cache.key(material);
    const occurrence = run.occurrences.get(first.key) ?? 0;
    run.occurrences.set(first.key, occurrence + 1);
    material.occurrence = occurrence;
    const { key, redacted } = occurrence === 0 ? first : cache.key(material);

    // A recording older than maxAge is a miss: re-recorded, or in strict mode an error that says why.
    let expiredAt: string | undefined;
    if (!run.refresh) {
      const hit = await cache.find(key, bot.id, bot.version);
      if (hit && run.maxAgeMs !== undefined && Date.now() - Date.parse(hit.recordedAt) > run.maxAgeMs) expiredAt = hit.recordedAt;
      else if (hit) return served(call, run, key, hit);
      if (run.strict) throw await strictMissError(cache, bot, definition.type, key, material.parameters, run, expiredAt);
    }

    const recordLive = async (claim?: Claim) => {
      const started = performance.now();
      const deltas: StreamDelta[] = [];
      const emitDelta = (delta: StreamDelta) => {
        deltas.push(delta);
        call.emitDelta(delta);
      };
      let live: ModeOutcome;
      try {
        live = await performLive({ ...call, emitDelta }, run); // a live error propagates: nothing is recorded
      } catch (error) {
        // A call that failed (or that an SDK gave up on and retries) was never an answer: its retry
        // takes its place in the order, so a replay finds the retry where it was recorded.
        if (run.occurrences.get(first.key) === occurrence + 1) run.occurrences.set(first.key, occurrence);
        // A plain miss that cannot go live here: the missing recording is the cause to report.
        if (!run.refresh && !expiredAt && isUnusableProvider(error)) throw await unrecordedMissError(cache, bot, definition.type, key, material.parameters, run, error);
        throw error;
      }
      // An action that ignored the signal may finish after its invocation timed out: record nothing of it.
      if (run.live.signal.aborted) throw run.live.signal.reason;
      const recording = { output: live.output, usage: live.usage, costUsd: live.costUsd, durationMs: Math.round(performance.now() - started), deltas };
      const written = await cache.record(material, key, recording, redacted, { replace: run.refresh || expiredAt !== undefined, ...(claim && { claim }) });
      return { stored: written.stored, value: { ...live, cacheKey: key, recorded: true, ...(written.redacted && { redacted: true }), ...(expiredAt && { expired: true }) } };
    };
    // A role that may only read (CI's) fails here, before spending anything on a live call.
    const readOnly = await cache.store.whyReadOnly();
    if (readOnly) throw new CacheReadOnlyError(cache.store.location, readOnly, bot.id, definition.type, key);
    // A refresh, or an expired recording, is written over on purpose: each caller makes its own call.
    if (run.refresh || expiredAt) return (await recordLive()).value;
    // One live call per missing key: a caller that finds another recording it waits and replays that.
    const flight = await cache.recordOnce(key, recordLive, { leaseMs: defaultLeaseMs, signal: run.live.signal });
    return flight.recorded ? flight.value : served(call, run, key, hitOf(flight.stored));
  },
};

/** A recording served as this call's answer (a hit, or what another recorder of the same key stored). */
function served(call: ActionCall, run: RunState, key: string, hit: CacheHit): ModeOutcome {
  run.cacheHits.set(key, (run.cacheHits.get(key) ?? 0) + 1);
  replayStream(call, hit.output, hit.deltas);
  return { source: 'cache', output: hit.output, usage: hit.usage, costUsd: 0, cacheKey: key, savedCostUsd: hit.costUsd };
}
