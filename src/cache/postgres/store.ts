import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type pg from 'pg';
import { CacheStoreError, CacheUnreachableError } from '../../errors.js';
import type {
  CacheRow,
  Claim,
  ClaimResult,
  EntryQuery,
  EntrySummary,
  ImportWrite,
  ProgressListener,
  RecordingStore,
  StoredOutcome,
} from '../types.js';
import { pages } from '../paging.js';
import { printableUrl, serverOf } from './location.js';
import { migrationLock, migrations, postgresSchemaVersion } from './schema.js';
import * as sql from './statements.js';

export interface PostgresStoreOptions {
  /** How long connecting may take before CACHE_UNREACHABLE. */
  connectTimeoutMs?: number;
}

/** Rows read at a time when iterating. */
const pageSize = 1000;
/** A bot version with more recordings than this is looked up key by key instead of loaded whole. */
const warmLimit = 5000;

/**
 * The recordings of a team in PostgreSQL. Recordings are written once (INSERT ... ON CONFLICT DO
 * NOTHING: a second recorder of a key gets the first one's answer); a claim on a missing key is a
 * session advisory lock, which PostgreSQL releases by itself when its holder's connection dies;
 * org isolation is row-level security (schema.ts). An invocation loads the recordings of its bot's
 * version in one query (warm), so replaying costs no round trip per call.
 */
export class PostgresStore implements RecordingStore {
  readonly location: string;
  /** The connection pool, made on first use: pg is imported then, so a SQLite-only run never loads it. */
  private pool: Promise<pg.Pool> | undefined;
  private readonly connectTimeoutMs: number;
  private readonly server: string;
  private ready: Promise<void> | undefined;
  private canWrite: Promise<boolean> | undefined;
  /** Outcomes of warmed bot versions, by `org \0 key`. Recordings are written once, so a loaded one stays true until a refresh, which updates it here. */
  private readonly warm = new Map<string, StoredOutcome>();
  private readonly warmed = new Set<string>();
  /** Connections holding a claim's advisory lock, by owner. */
  private readonly claimHolders = new Map<string, pg.PoolClient>();
  private closed = false;
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    private readonly url: string,
    options: PostgresStoreOptions = {},
  ) {
    this.location = printableUrl(url);
    this.server = serverOf(url);
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  }

  private connections(): Promise<pg.Pool> {
    this.pool ??= import('pg').then(({ default: { Pool } }) => {
      const pool = new Pool({ connectionString: this.url, connectionTimeoutMillis: this.connectTimeoutMs, max: 8, idleTimeoutMillis: 10_000, allowExitOnIdle: true });
      // A connection that breaks (the server restarts, an administrator ends it) must not be thrown in
      // the process: an idle one is dropped by the pool, one in use fails its next query, and one that
      // held a claim has lost its advisory lock with it (its row's lease still holds until it lapses).
      pool.on('error', () => undefined);
      pool.on('connect', (client) => client.on('error', () => undefined));
      return pool;
    });
    return this.pool;
  }

  check(): Promise<void> {
    this.ready ??= this.migrate().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  exists(): Promise<boolean> {
    return this.guard(async () => {
      return (await this.query<{ present: boolean }>("SELECT to_regclass('entries') IS NOT NULL AS present")).rows[0]!.present;
    });
  }

  /** A replay-only role may not record. */
  async whyReadOnly(): Promise<string | undefined> {
    this.canWrite ??= this.ensure().then(async () => (await this.query<{ insert: boolean }>("SELECT has_table_privilege('entries', 'INSERT') AS insert")).rows[0]!.insert);
    return (await this.canWrite) ? undefined : 'its role may only read (it has no INSERT on entries)';
  }

  find(org: string, key: string): Promise<StoredOutcome | undefined> {
    return this.guard(async () => {
      const warmed = this.warm.get(`${org}\u0000${key}`);
      if (warmed) return warmed;
      await this.ensure();
      return (await this.query<StoredOutcome>(sql.findOutcome, [org, key])).rows[0];
    });
  }

  /** Loads every recording of one bot version of an org, so its lookups need no round trip (skipped past warmLimit). */
  prepareFor(org: string, botId: string, botVersion: string): Promise<void> {
    return this.guard(async () => {
      const id = `${org}\u0000${botId}\u0000${botVersion}`;
      if (this.warmed.has(id)) return;
      this.warmed.add(id);
      await this.ensure();
      const { rows } = await this.query<StoredOutcome & { key: string }>(sql.outcomesOfVersion, [org, botId, botVersion, warmLimit + 1]);
      if (rows.length > warmLimit) return;
      for (const { key, ...outcome } of rows) this.warm.set(`${org}\u0000${key}`, outcome);
    });
  }

  rowsByKey(org: string, keys: readonly string[]): Promise<CacheRow[]> {
    return this.guard(async () => {
      if (keys.length === 0) return [];
      await this.ensure();
      return (await this.query<CacheRow>(sql.rowsByKey, [org, keys])).rows;
    });
  }

  record(row: CacheRow, claim?: Claim): Promise<{ stored: StoredOutcome; inserted: boolean }> {
    return this.guard(async () => {
      await this.ensure();
      const inserted = ((await this.query(sql.insertRows('DO NOTHING'), sql.columnArrays([row]))).rowCount ?? 0) === 1;
      const stored = inserted ? row : (await this.query<StoredOutcome>(sql.findOutcome, [row.org, row.key])).rows[0]!;
      if (claim) await this.dropClaim(claim);
      return { stored, inserted };
    });
  }

  replace(row: CacheRow): Promise<void> {
    return this.guard(async () => {
      await this.ensure();
      await this.query(sql.insertRows(sql.updateAll), sql.columnArrays([row]));
      if (this.warm.has(`${row.org}\u0000${row.key}`)) this.warm.set(`${row.org}\u0000${row.key}`, row);
    });
  }

  recent(org: string, botId: string, actionType: string, limit: number): Promise<CacheRow[]> {
    return this.guard(async () => {
      await this.ensure();
      return (await this.query<CacheRow>(sql.recentRows, [org, botId, actionType, limit])).rows;
    });
  }

  async *summaries(query: EntryQuery): AsyncIterable<EntrySummary> {
    await this.guard(() => this.ensure());
    yield* pages((after) => this.page<EntrySummary>(sql.summaryPage(query, after, pageSize)), pageSize);
  }

  async *rows(query: EntryQuery): AsyncIterable<CacheRow> {
    await this.guard(() => this.ensure());
    yield* pages((after) => this.page<CacheRow>(sql.rowPage(query, after, pageSize)), pageSize);
  }

  rowsWithKeyPrefix(org: string, prefix: string, limit: number): Promise<CacheRow[]> {
    return this.guard(async () => {
      await this.ensure();
      return (await this.query<CacheRow>(sql.rowsWithKeyPrefix, [org, prefix, limit])).rows;
    });
  }

  count(query: EntryQuery): Promise<number> {
    return this.guard(async () => {
      await this.ensure();
      const counted = sql.countRows(query);
      return Number((await this.query<{ count: string }>(counted.text, counted.values)).rows[0]!.count);
    });
  }

  delete(org: string, keys: readonly string[], onProgress?: ProgressListener): Promise<number> {
    return this.guard(async () => {
      if (keys.length === 0) return 0;
      await this.ensure();
      return this.transaction(async (client) => {
        let removed = 0;
        for (let start = 0; start < keys.length; start += pageSize) {
          removed += (await client.query(sql.deleteRows, [org, keys.slice(start, start + pageSize)])).rowCount ?? 0;
          onProgress?.(Math.min(start + pageSize, keys.length), keys.length);
        }
        for (const key of keys) this.warm.delete(`${org}\u0000${key}`);
        return removed;
      });
    });
  }

  importRows(batches: AsyncIterable<readonly CacheRow[]>, write: ImportWrite): Promise<number> {
    return this.guard(async () => {
      await this.ensure();
      return this.transaction(async (client) => {
        let written = 0;
        for await (const batch of batches) {
          if (batch.length === 0) continue;
          written += (await client.query(sql.insertRows(write === 'replace' ? sql.updateAll : 'DO NOTHING'), sql.columnArrays(batch))).rowCount ?? 0;
        }
        return written;
      });
    });
  }

  /** PostgreSQL checks its own pages; what rehearse can check is that the server answers and the table reads. */
  integrity(): Promise<string[]> {
    return this.guard(async () => {
      await this.query('SELECT count(*) FROM entries');
      return ['ok'];
    });
  }

  size(): Promise<number> {
    return this.guard(async () => {
      return Number((await this.query<{ bytes: string | null }>("SELECT pg_total_relation_size(to_regclass('entries')) AS bytes")).rows[0]!.bytes ?? 0);
    });
  }

  /**
   * Takes the key's advisory lock on a connection of its own, then its claim row. Free lock and a
   * row: the row's holder died (its lock went with its connection), so the claim is taken over.
   * Held lock and a live lease: refused. Held lock and a lapsed lease: taken over without the lock
   * (the holder stopped renewing), and kept by the lease alone.
   */
  claim(org: string, key: string, leaseMs: number): Promise<ClaimResult> {
    return this.guard(async () => {
      await this.ensure();
      const client = await this.connect();
      const lock = lockKey(org, key);
      let locked = false;
      try {
        locked = (await client.query<{ taken: boolean }>('SELECT pg_try_advisory_lock($1) AS taken', [lock])).rows[0]!.taken;
        await client.query('BEGIN');
        const held = (await client.query<{ owner: string; live: boolean }>(sql.findClaim, [org, key])).rows[0];
        if (!locked && (!held || held.live)) {
          await client.query('ROLLBACK');
          client.release();
          return { claimed: false, owner: held?.owner ?? 'another recorder (it is taking its claim)' };
        }
        const claim = { org, key, owner: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}` };
        await client.query(sql.takeClaim, [org, key, claim.owner, leaseMs]);
        await client.query('COMMIT');
        if (locked) this.claimHolders.set(claim.owner, client);
        else client.release();
        return { claimed: true, claim };
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        client.release(true); // drops the connection, and its lock with it
        throw this.unreachable(error);
      }
    });
  }

  renew(claim: Claim, leaseMs: number): Promise<boolean> {
    return this.guard(async () => {
      return ((await this.query(sql.renewClaim, [claim.org, claim.key, claim.owner, leaseMs])).rowCount ?? 0) === 1;
    });
  }

  release(claim: Claim): Promise<void> {
    return this.guard(() => this.dropClaim(claim));
  }

  /** Deletes a claim's row and lets its advisory lock and connection go. */
  private async dropClaim(claim: Claim): Promise<void> {
    await this.query(sql.releaseClaim, [claim.org, claim.key, claim.owner]);
    const client = this.claimHolders.get(claim.owner);
    if (!client) return;
    this.claimHolders.delete(claim.owner);
    try {
      await client.query('SELECT pg_advisory_unlock($1)', [lockKey(claim.org, claim.key)]);
      client.release();
    } catch (error) {
      client.release(error instanceof Error ? error : true); // a broken connection is dropped; its lock went with it
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Calls made before close finish first (a recording under way is kept).
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
    for (const [owner, client] of this.claimHolders) (this.claimHolders.delete(owner), client.release(true));
    if (this.pool) await (await this.pool).end();
  }

  /** The schema is there and of a version this rehearse reads (created or upgraded on first use). */
  private ensure(): Promise<void> {
    return this.check();
  }

  /** Runs one call of the store: refused after close, and waited for by close. */
  private guard<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error(`The cache ${this.location} was closed; nothing more is read from it or written to it.`));
    const running = work();
    this.running.add(running);
    const done = () => void this.running.delete(running);
    running.then(done, done);
    return running;
  }

  private async connect(): Promise<pg.PoolClient> {
    try {
      return await (await this.connections()).connect();
    } catch (error) {
      throw this.unreachable(error);
    }
  }

  private async query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await (await this.connections()).query<R>(text, values);
    } catch (error) {
      throw this.unreachable(error);
    }
  }

  private async page<R extends pg.QueryResultRow>(page: { text: string; values: unknown[] }): Promise<R[]> {
    return (await this.query<R>(page.text, page.values)).rows;
  }

  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release();
      throw this.unreachable(error);
    }
  }

  /** Creates the schema, or brings it up to this rehearse's version; refuses a newer one. */
  private async migrate(): Promise<void> {
    const client = await this.connect();
    try {
      const version = await schemaVersion(client);
      if (version > postgresSchemaVersion) {
        throw new CacheStoreError(this.location, `its schema is version ${version}, written by a newer rehearse (this one reads up to ${postgresSchemaVersion}).`, {
          hint: 'Upgrade rehearse (npm install -D agent-rehearse@latest) to use this cache.',
        });
      }
      if (version === postgresSchemaVersion) return;
      await client.query('BEGIN');
      try {
        await client.query('SELECT pg_advisory_xact_lock($1)', [migrationLock]);
        for (let step = await schemaVersion(client); step < postgresSchemaVersion; step++) await client.query(migrations[step]!);
        await client.query(
          "INSERT INTO rehearse_meta (name, value) VALUES ('schema_version', $1) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
          [String(postgresSchemaVersion)],
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        if ((error as { code?: string }).code === '42501') {
          throw new CacheStoreError(this.location, `it has no rehearse tables (or older ones), and this role may not create them (${(error as Error).message}).`, {
            hint: "Run any rehearse cache command once with the database owner's URL (rehearse cache stats --cache postgres://owner@host/db): it creates the tables. README: For teams at scale.",
            cause: error,
          });
        }
        throw error;
      }
    } catch (error) {
      throw this.unreachable(error);
    } finally {
      client.release();
    }
  }

  /** A connection failure as CACHE_UNREACHABLE naming host and port (never the password); other errors as they are. */
  private unreachable(error: unknown): unknown {
    if (!(error instanceof Error) || 'hint' in error) return error;
    const code = (error as { code?: string }).code ?? '';
    const connection = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', '28P01', '28000', '3D000', '57P01', '57P03'].includes(code);
    const timedOut = /timeout/i.test(error.message) && /connect/i.test(error.message);
    if (!connection && !timedOut) return error;
    const problem =
      code === '28P01' || code === '28000'
        ? 'the server refused the login (wrong user or password)'
        : code === '3D000'
          ? 'the database does not exist'
          : timedOut
            ? 'no answer within the connect timeout'
            : `${code || 'the connection failed'}: ${error.message.replaceAll(this.url, this.location)}`;
    return new CacheUnreachableError(this.server, this.location, problem, { cause: error });
  }
}

/** The schema version the database holds; 0 before the first migration. */
async function schemaVersion(client: pg.PoolClient): Promise<number> {
  // pg_tables, read with the statement's snapshot: a catalog cache lookup (to_regclass) may not yet see
  // a table another session created while this one waited on the migration lock.
  const present = (await client.query<{ present: boolean }>("SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'rehearse_meta') AS present")).rows[0]!.present;
  if (!present) return 0;
  return Number((await client.query<{ value: string }>("SELECT value FROM rehearse_meta WHERE name = 'schema_version'")).rows[0]?.value ?? 0);
}

/** The advisory-lock key of one (org, key): 63 bits of their hash. */
function lockKey(org: string, key: string): string {
  return BigInt.asIntN(64, BigInt(`0x${createHash('sha256').update(`${org}\u0000${key}`).digest('hex').slice(0, 16)}`)).toString();
}
