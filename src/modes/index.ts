import { modeNames, parseMode, type ModeName } from '../config/resolve.js';
import { liveMode } from './live.js';
import { manualMode } from './manual.js';
import { replayMode } from './replay.js';
import type { ModeStrategy } from './types.js';

/** The three worlds a bot runs in; the bot's code is the same in each. */
const modes: Record<ModeName, ModeStrategy> = { live: liveMode, replay: replayMode, manual: manualMode };

export function modeNamed(name: string): ModeStrategy {
  return modes[parseMode(name, 'mode')];
}

export { modeNames };
