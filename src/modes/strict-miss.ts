import { showChange } from '../cache/params-diff.js';
import type { ReplayCache } from '../cache/replay-cache.js';
import { StrictMissError } from '../errors.js';
import type { ActionBot, RunState } from './types.js';

const shownDifferences = 6;

/** The call's place: bot, action, key, org and cache, one a line, as every miss message shows them. */
export function missPlaceLines(cache: ReplayCache, bot: ActionBot, actionType: string, key: string, run: RunState): string[] {
  return [`  bot:    ${bot.path} (version ${bot.version})`, `  action: ${actionType}`, `  key:    ${key}`, `  org:    ${cache.org}   cache: ${run.cacheLabel}`];
}

/** How a missed call differs from the nearest recording of the same bot and action, or that there is none. */
export async function nearestRecordingLines(cache: ReplayCache, bot: ActionBot, actionType: string, parameters: unknown): Promise<string[]> {
  const nearest = await cache.nearest(bot.id, actionType, parameters);
  if (!nearest) return [`There is no recording of ${actionType} for bot "${bot.id}" in org "${cache.org}" to compare with.`];
  const { row, differences } = nearest;
  const lines = [`Nearest recording: key ${row.key.slice(0, 12)}, recorded ${row.created_at}${row.occurrence ? `, occurrence ${row.occurrence}` : ''}.`];
  if (row.bot_version !== bot.version) {
    lines.push(`  bot version: ${row.bot_version} -> ${bot.version} (the bot changed since it was recorded, so its recordings no longer match)`);
  }
  if (differences.length === 0 && row.bot_version === bot.version) {
    lines.push('  params are the same: this call repeats one more time than when it was recorded.');
  }
  for (const difference of differences.slice(0, shownDifferences)) {
    const [before, after] = showChange(difference.before, difference.after);
    lines.push(`  ${difference.path}: ${before} -> ${after}`);
  }
  if (differences.length > shownDifferences) lines.push(`  ... and ${differences.length - shownDifferences} more differences`);
  return lines;
}

/** The error of a strict miss: what was asked, how it differs from the nearest recording, and how to record it. */
export async function strictMissError(
  cache: ReplayCache,
  bot: ActionBot,
  actionType: string,
  key: string,
  parameters: unknown,
  run: RunState,
  expiredAt?: string,
): Promise<StrictMissError> {
  const headline = expiredAt
    ? `Strict replay miss: the recording of this ${actionType} call by bot "${bot.id}" expired (recorded ${expiredAt}, older than cache.maxAge).`
    : `Strict replay miss: bot "${bot.id}" called ${actionType} with params that have no recording.`;
  const lines = [headline, ...missPlaceLines(cache, bot, actionType, key, run)];
  // An expired recording is the nearest one there is: the params match, only its age does not.
  if (expiredAt) lines.push('Record it again, or raise cache.maxAge (--max-age) if it is still good.');
  else lines.push(...(await nearestRecordingLines(cache, bot, actionType, parameters)));
  const hint = [
    'To record it, run once without --strict with the provider reachable (its key set: OPENAI_API_KEY or ANTHROPIC_API_KEY):',
    `  ${run.recordCommand()}`,
    'or, from a test suite, run it with REHEARSE_MODE=replay and REHEARSE_STRICT unset.',
  ].join('\n');
  return new StrictMissError({ botId: bot.id, actionType, key, message: lines.join('\n'), hint });
}
