import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Bot } from './types.js';

const versions = new WeakMap<Bot, string>();

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/**
 * The `bot_updated_at` of the replay key: the explicit version, else the first 16 hex of the
 * SHA256 of the bot's source file (line endings made LF, so a Windows checkout gets the same
 * version), else, for a bot built where no file can be told, a hash of its run function.
 */
export function botVersion(bot: Bot): string {
  const known = versions.get(bot);
  if (known) return known;
  let version: string;
  if (bot.version !== undefined) version = bot.version;
  else if (bot.updatedAt !== undefined) version = bot.updatedAt instanceof Date ? bot.updatedAt.toISOString() : bot.updatedAt;
  else if (bot.sourceFile) version = shortHash(readFileSync(bot.sourceFile, 'utf8').replace(/\r\n/g, '\n'));
  else version = shortHash(bot.run.toString());
  versions.set(bot, version);
  return version;
}
