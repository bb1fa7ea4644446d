import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Bot } from './types.js';

const versions = new WeakMap<Bot, string>();

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/**
 * An agent run as a program changes when its program does: the hash covers the command line, its
 * extra environment, and every argument that names a file in its folder (the script, a config).
 */
function commandVersion(command: NonNullable<Bot['command']>): string {
  const parts = [JSON.stringify(command.argv), JSON.stringify(command.env)];
  // Relative paths only: an absolute one (an interpreter, a system file) differs between machines.
  for (const argument of command.argv) {
    if (isAbsolute(argument)) continue;
    const path = resolve(command.cwd, argument);
    if (existsSync(path) && statSync(path).isFile() && statSync(path).size < 16 * 1024 * 1024) parts.push(readFileSync(path, 'utf8').replace(/\r\n/g, '\n'));
  }
  return shortHash(parts.join('\0'));
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
  else if (bot.command) version = commandVersion(bot.command);
  else if (bot.sourceFile) version = shortHash(readFileSync(bot.sourceFile, 'utf8').replace(/\r\n/g, '\n'));
  else version = shortHash(bot.run.toString());
  versions.set(bot, version);
  return version;
}
