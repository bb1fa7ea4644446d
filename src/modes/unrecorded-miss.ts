import type { ReplayCache } from '../cache/replay-cache.js';
import { isRehearseError, UnrecordedMissError } from '../errors.js';
import { missPlaceLines, nearestRecordingLines } from './strict-miss.js';
import type { ActionBot, RunState } from './types.js';

/** Live failures that mean "no provider can be used from here", not "the provider said no". */
const unusableProviderCodes = new Set(['API_KEY_MISSING', 'PROVIDER_UNREACHABLE']);

/** Whether a live failure of a replay miss is the provider being unusable here (no key, no endpoint). */
export function isUnusableProvider(error: unknown): boolean {
  return isRehearseError(error) && unusableProviderCodes.has(error.code);
}

/**
 * The error of a replay miss (not strict) whose live recording could not even start: it names the
 * miss as the cause, with how the call differs from the nearest recording (for a continued session,
 * its longer history), and what the live attempt ran into. Without it the user reads only "Could not
 * reach" or "no key", and looks for a network problem when the recording is what is missing.
 */
export async function unrecordedMissError(cache: ReplayCache, bot: ActionBot, actionType: string, key: string, parameters: unknown, run: RunState, liveFailure: unknown): Promise<UnrecordedMissError> {
  const why = liveFailure instanceof Error ? liveFailure.message : String(liveFailure);
  const conversation = run.conversation;
  const lines = [
    conversation
      ? `Replay miss: this turn of session "${conversation.sessionId}" has no recording, and it could not be recorded live: ${why}`
      : `Replay miss: bot "${bot.id}" called ${actionType} with params that have no recording, and it could not be recorded live: ${why}`,
    ...missPlaceLines(cache, bot, actionType, key, run),
  ];
  if (conversation) {
    lines.push(
      `  session: ${conversation.sessionId}, carrying ${conversation.earlierMessages} earlier message${conversation.earlierMessages === 1 ? '' : 's'}: a session's history is part of every call, so a conversation that goes further than the recorded one has no recording.`,
    );
  }
  lines.push(...(await nearestRecordingLines(cache, bot, actionType, parameters)));
  const hint = [
    'To record it, make the live call possible (its key set: OPENAI_API_KEY or ANTHROPIC_API_KEY; a local server: OPENAI_BASE_URL) and run:',
    `  ${run.recordCommand()}`,
    'To never try a live call, and fail on a miss at once: add --strict.',
    ...(conversation ? [`To replay the recorded conversation, start it again in a new session (-s with another id, or none).`] : []),
  ].join('\n');
  return new UnrecordedMissError({ botId: bot.id, actionType, key, message: lines.join('\n'), hint, cause: liveFailure });
}
