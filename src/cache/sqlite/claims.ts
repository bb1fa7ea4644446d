import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { claimOwnerIsGone, newClaimOwner } from '../claim-owner.js';
import type { Claim, ClaimResult } from '../types.js';
import { retryWhileBusy } from './busy.js';

/** The folder of claim boards: one small SQLite file per cache file, shared by every process of this host. */
export function claimsFolder(): string {
  return join(tmpdir(), 'rehearse-claims');
}

/** One name per cache file however it is reached (a relative path, a symlinked folder). */
function boardPath(cachePath: string): string {
  const folder = dirname(resolve(cachePath));
  const real = existsSync(folder) ? realpathSync(folder) : folder;
  return join(claimsFolder(), `${createHash('sha256').update(join(real, basename(cachePath))).digest('hex').slice(0, 32)}.sqlite`);
}

const schema = `CREATE TABLE IF NOT EXISTS claims (
  org TEXT NOT NULL, key TEXT NOT NULL, owner TEXT NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (org, key)
)`;

interface OpenBoard {
  db: Database.Database;
  take(org: string, key: string, leaseMs: number): ClaimResult;
  renew: Database.Statement<[number, string, string, string]>;
  release: Database.Statement<[string, string, string]>;
}

/**
 * Claims on missing keys of one cache file, so that processes recording into it make one live call
 * per key (single flight). They are kept out of the cache file on purpose: a miss whose live call
 * fails must leave a committed cache byte for byte as it was, and claims come and go with every
 * recording. The board is a scratch file in the system's temporary folder, in WAL mode (it is
 * nobody's to commit), reached by every process of this host that uses the same cache file.
 */
export class ClaimBoard {
  private board: OpenBoard | undefined;
  private readonly path: string;

  constructor(
    cachePath: string,
    private readonly busyTimeoutMs: number,
  ) {
    this.path = boardPath(cachePath);
  }

  claim(org: string, key: string, leaseMs: number): Promise<ClaimResult> {
    return this.run('claiming a key to record', (board) => board.take(org, key, leaseMs));
  }

  renew(claim: Claim, leaseMs: number): Promise<boolean> {
    return this.run('renewing a claim', (board) => board.renew.run(Date.now() + leaseMs, claim.org, claim.key, claim.owner).changes === 1);
  }

  async release(claim: Claim): Promise<void> {
    await this.run('releasing a claim', (board) => board.release.run(claim.org, claim.key, claim.owner));
  }

  close(): void {
    this.board?.db.close();
    this.board = undefined;
  }

  private run<T>(operation: string, work: (board: OpenBoard) => T): Promise<T> {
    return retryWhileBusy(() => work(this.open()), this.path, operation, this.busyTimeoutMs);
  }

  private open(): OpenBoard {
    if (this.board) return this.board;
    mkdirSync(dirname(this.path), { recursive: true });
    const db = new Database(this.path, { timeout: 0 });
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = OFF'); // claims only matter while their processes run: no fsync for them
      db.exec(schema);
      const held = db.prepare<[string, string], { owner: string; expires_at: number }>('SELECT owner, expires_at FROM claims WHERE org = ? AND key = ?');
      const upsert = db.prepare(
        'INSERT INTO claims (org, key, owner, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (org, key) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at',
      );
      const take = db.transaction((org: string, key: string, leaseMs: number): ClaimResult => {
        const holder = held.get(org, key);
        if (holder && holder.expires_at > Date.now() && !claimOwnerIsGone(holder.owner)) return { claimed: false, owner: holder.owner };
        const claim = { org, key, owner: newClaimOwner() };
        upsert.run(org, key, claim.owner, Date.now() + leaseMs);
        return { claimed: true, claim };
      });
      return (this.board = {
        db,
        take: (org, key, leaseMs) => take.immediate(org, key, leaseMs),
        renew: db.prepare('UPDATE claims SET expires_at = ? WHERE org = ? AND key = ? AND owner = ?'),
        release: db.prepare('DELETE FROM claims WHERE org = ? AND key = ? AND owner = ?'),
      });
    } catch (error) {
      db.close();
      throw error;
    }
  }
}
