import { findBot, findBots } from '../bots/find.js';
import type { Bot } from '../bots/types.js';
import type { ResolvedConfig } from '../config/resolve.js';

/**
 * The bots of the config's bot files, looked up again at most once a `ttlMs`. Globbing the bot files
 * costs a few milliseconds, more than a whole mocked invocation, so every request doing it would
 * halve the server's throughput; a bot file added while the server runs is still found within the ttl,
 * and an unknown key always looks again before it is a 404.
 */
export class BotDirectory {
  private cached: { bots: Promise<Map<string, Bot>>; at: number } | undefined;

  constructor(
    private readonly config: Pick<ResolvedConfig, 'root' | 'botGlobs' | 'agents' | 'configFile'>,
    private readonly ttlMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  all(): Promise<Map<string, Bot>> {
    const now = this.now();
    if (!this.cached || now - this.cached.at >= this.ttlMs) {
      const bots = findBots(this.config);
      this.cached = { bots, at: now };
      // A failed look-up (a broken bot file) is not kept: the next request tries again.
      bots.catch(() => (this.cached = undefined));
    }
    return this.cached.bots;
  }

  /** The bot with this key; throws BotNotFoundError (with the known keys) when a fresh look finds none. */
  async find(key: string): Promise<Bot> {
    return (await this.all()).get(key) ?? findBot(key, this.config);
  }
}
