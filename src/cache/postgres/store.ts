import { createHash } from 'node:crypto';
import pg from 'pg';
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
  private readonly pool: pg.Pool;
  private readonly server: string;
  private ready: Promise<void> | undefined;
  private canWrite: Promise<boolean> | undefined;
  /** Outcomes of warmed bot versions, by `org \0 key`. Recordings are written once, so a loaded one stays true until a refresh, which updates it here. */
  private readonly warm = new Map<string, StoredOutcome>();
  private readonly warmed = new Set<string>();
  /** Connections holding a claim's advisory lock, by owner. */
  private readonly claimHolders = new Map<string, pg.PoolClient>();
  private closed = false;

  constructor(
    private readonly url: string,
    options: PostgresStoreOptions = {},
  ) {
    this.location = printableUrl(url);
    this.server = serverOf(url);
    this.pool = new pg.Pool({ connectionString: url, connectionTimeoutMillis: options.connectTimeoutMs ?? 5000, max: 8, idleTimeoutMillis: 10_000, allowExitOnIdle: true });
    // An idle connection that breaks (the server restarts) is dropped from the pool, not thrown in the process.
    this.pool.on('error', () => undefined);
  }

  check(): Promise<void> {
    this.ready ??= this.migrate().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  async exists(): Promise<boolean> {
    return (await this.query<{ present: boolean }>("SELECT to_regclass('entries') IS NOT NULL AS present")).rows[0]!.present;
  }

  /** Whether this role may record (a replay-only role may not). */
  writable(): Promise<boolean> {
    this.canWrite ??= this.ensure().then(async () => (await this.query<{ insert: boolean }>("SELECT has_table_privilege('entries', 'INSERT') AS insert")).rows[0]!.insert);
    return this.canWrite;
  }

  async find(org: string, key: string): Promise<StoredOutcome | undefined> {
    const warmed = this.warm.get(`${org}\u0000${key}`);
    if (warmed) return warmed;
    await this.ensure();
    return (await this.query<StoredOutcome>(sql.findOutcome, [org, key])).rows[0];
  }

  /** Loads every recording of one bot version of an org, so its lookups need no round trip (skipped past warmLimit). */
  async prepareFor(org: string, botId: string, botVersion: string): Promise<void> {
    const id = `${org}\u0000${botId}\u0000${botVersion}`;
    if (this.warmed.has(id)) return;
    this.warmed.add(id);
    await this.ensure();
    const { rows } = await this.query<StoredOutcome & { key: string }>(sql.outcomesOfVersion, [org, botId, botVersion, warmLimit + 1]);
    if (rows.length > warmLimit) return;
    for (const { key, ...outcome } of rows) this.warm.set(`${org}\u0000${key}`, outcome);
  }

  async rowsByKey(org: string, keys: readonly string[]): Promise<CacheRow[]> {
    if (keys.length === 0) return [];
    await this.ensure();
    return (await this.query<CacheRow>(sql.rowsByKey, [org, keys])).rows;
  }

  async record(row: CacheRow, claim?: Claim): Promise<{ stored: StoredOutcome; inserted: boolean }> {
    await this.ensure();
    const inserted = ((await this.query(sql.insertRows('DO NOTHING'), sql.columnArrays([row]))).rowCount ?? 0) === 1;
    const stored = inserted ? row : (await this.query<StoredOutcome>(sql.findOutcome, [row.org, row.key])).rows[0]!;
    if (claim) await this.release(claim);
    return { stored, inserted };
  }

  async replace(row: CacheRow): Promise<void> {
    await this.ensure();
    await this.query(sql.insertRows(sql.updateAll), sql.columnArrays([row]));
    if (this.warm.has(`${row.org}\u0000${row.key}`)) this.warm.set(`${row.org}\u0000${row.key}`, row);
  }

  async recent(org: string, botId: string, actionType: string, limit: number): Promise<CacheRow[]> {
    await this.ensure();
    return (await this.query<CacheRow>(sql.recentRows, [org, botId, actionType, limit])).rows;
  }

  async *summaries(query: EntryQuery): AsyncIterable<EntrySummary> {
    await this.ensure();
    let after: EntrySummary | undefined;
    for (;;) {
      const page = sql.summaryPage(query, after, pageSize);
      const { rows } = await this.query<EntrySummary>(page.text, page.values);
      yield* rows;
      if (rows.length < pageSize) return;
      after = rows.at(-1);
    }
  }

  async *rows(query: EntryQuery): AsyncIterable<CacheRow> {
    await this.ensure();
    let after: CacheRow | undefined;
    for (;;) {
      const page = sql.rowPage(query, after, pageSize);
      const { rows } = await this.query<CacheRow>(page.text, page.values);
      yield* rows;
      if (rows.length < pageSize) return;
      after = rows.at(-1);
    }
  }

  async rowsWithKeyPrefix(org: string, prefix: string, limit: number): Promise<CacheRow[]> {
    await this.ensure();
    return (await this.query<CacheRow>(sql.rowsWithKeyPrefix, [org, prefix, limit])).rows;
  }

  async count(query: EntryQuery): Promise<number> {
    await this.ensure();
    const counted = sql.countRows(query);
    return Number((await this.query<{ count: string }>(counted.text, counted.values)).rows[0]!.count);
  }

  async delete(org: string, keys: readonly string[], onProgress?: ProgressListener): Promise<number> {
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
  }

  async importRows(batches: AsyncIterable<readonly CacheRow[]>, write: ImportWrite): Promise<number> {
    await this.ensure();
    return this.transaction(async (client) => {
      let written = 0;
      for await (const batch of batches) {
        if (batch.length === 0) continue;
        written += (await client.query(sql.insertRows(write === 'replace' ? sql.updateAll : 'DO NOTHING'), sql.columnArrays(batch))).rowCount ?? 0;
      }
      return written;
    });
  }

  /** PostgreSQL checks its own pages; what rehearse can check is that the server answers and the table reads. */
  async integrity(): Promise<string[]> {
    await this.query('SELECT count(*) FROM entries');
    return ['ok'];
  }

  async size(): Promise<number> {
    return Number((await this.query<{ bytes: string | null }>("SELECT pg_total_relation_size(to_regclass('entries')) AS bytes")).rows[0]!.bytes ?? 0);
  }

  async claim(org: string, key: string): Promise<ClaimResult> {
    this.open();
    const client = await this.connect();
    try {
      const taken = (await client.query<{ taken: boolean }>('SELECT pg_try_advisory_lock($1) AS taken', [lockKey(org, key)])).rows[0]!.taken;
      if (!taken) {
        client.release();
        return { claimed: false, owner: 'another recorder (an advisory lock of another session)' };
      }
    } catch (error) {
      client.release();
      throw this.unreachable(error);
    }
    const claim = { org, key, owner: `pg:${lockKey(org, key)}:${Math.random().toString(36).slice(2)}` };
    this.claimHolders.set(claim.owner, client);
    return { claimed: true, claim };
  }

  /** A session lock holds while its connection lives: nothing to renew. */
  async renew(claim: Claim): Promise<boolean> {
    return this.claimHolders.has(claim.owner);
  }

  async release(claim: Claim): Promise<void> {
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
    for (const [owner, client] of this.claimHolders) (this.claimHolders.delete(owner), client.release(true));
    await this.pool.end();
  }

  /** The schema is there and of a version this rehearse reads (created or upgraded on first use). */
  private ensure(): Promise<void> {
    return this.check();
  }

  private open(): void {
    if (this.closed) throw new Error(`The cache ${this.location} was closed; nothing more is read from it or written to it.`);
  }

  private async connect(): Promise<pg.PoolClient> {
    this.open();
    try {
      return await this.pool.connect();
    } catch (error) {
      throw this.unreachable(error);
    }
  }

  private async query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    this.open();
    try {
      return await this.pool.query<R>(text, values);
    } catch (error) {
      throw this.unreachable(error);
    }
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
      const found = await client.query<{ value: string }>("SELECT value FROM rehearse_meta WHERE name = 'schema_version'").catch((error: unknown) => {
        if ((error as { code?: string }).code === '42P01') return undefined; // no table yet
        throw error;
      });
      const version = Number(found?.rows[0]?.value ?? 0);
      if (version > postgresSchemaVersion) {
        throw new CacheStoreError(this.location, `its schema is version ${version}, written by a newer rehearse (this one reads up to ${postgresSchemaVersion}).`, {
          hint: 'Upgrade rehearse (npm install -D agent-rehearse@latest) to use this cache.',
        });
      }
      if (version === postgresSchemaVersion) return;
      await client.query('BEGIN');
      try {
        await client.query('SELECT pg_advisory_xact_lock($1)', [migrationLock]);
        const current = await client.query<{ value: string }>("SELECT value FROM rehearse_meta WHERE name = 'schema_version'").catch(() => undefined);
        for (let step = Number(current?.rows[0]?.value ?? 0); step < postgresSchemaVersion; step++) await client.query(migrations[step]!);
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

/** The advisory-lock key of one (org, key): 63 bits of their hash. */
function lockKey(org: string, key: string): string {
  return BigInt.asIntN(64, BigInt(`0x${createHash('sha256').update(`${org}\u0000${key}`).digest('hex').slice(0, 16)}`)).toString();
}
