import { existsSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
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
import { defaultBusyTimeoutMs, isBusy, retryWhileBusy } from './busy.js';
import { pages } from '../paging.js';
import { ClaimBoard } from './claims.js';
import { guarded, leaveWalMode, openConnection, type Connection } from './connection.js';
import { fileError, inspectFile, needsUpgrade, upgradeSchema, type FileShape } from './schema.js';
import * as sql from './statements.js';
import { writeError } from './write-error.js';
import { writeBlocker } from '../../files/write-access.js';

export interface SqliteStoreOptions {
  /** How long an operation waits for other processes before CACHE_BUSY. */
  busyTimeoutMs?: number;
}

/** Rows a listing or an export reads at a time: each page is one short read, so no reader holds the file while its consumer is slow. */
const pageSize = 500;

interface QueuedWrite {
  work: (db: Database.Database, connection: Connection) => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * The recordings in one SQLite file, safe for any number of processes at once.
 *
 * - Reads write nothing: replaying leaves the committed file byte for byte as it was.
 * - Writes are transactions (BEGIN IMMEDIATE, so two writers never deadlock upgrading a read lock)
 *   in a rollback journal: a crash at any instant leaves a journal that the next open rolls back,
 *   and a clean end leaves no file beside the cache.
 * - Writes of one process are queued and committed together (group commit): one transaction, one
 *   fsync, for the recordings of every invocation that finished meanwhile.
 * - Waiting for other processes never blocks the thread (see retryWhileBusy).
 */
export class SqliteStore implements RecordingStore {
  readonly location: string;
  private connection: Connection | undefined;
  private connecting: Promise<Connection | undefined> | undefined;
  private readonly statements = new Map<string, Database.Statement>();
  private preparedFind: { shape: FileShape; statement: Database.Statement<[string, string], StoredOutcome> } | undefined;
  private readonly busyTimeoutMs: number;
  /** The end of the last transaction queued: transactions of this process run one at a time. */
  private writeTail: Promise<unknown> = Promise.resolve();
  /** Set while a transaction is open: reads on the connection wait, so none sees a write that may yet roll back. */
  private transactionOpen: Promise<void> | undefined;
  private queue: QueuedWrite[] = [];
  private closed = false;
  private readonly claims: ClaimBoard;

  constructor(
    readonly path: string,
    options: SqliteStoreOptions = {},
  ) {
    this.location = path;
    this.busyTimeoutMs = options.busyTimeoutMs ?? defaultBusyTimeoutMs;
    this.claims = new ClaimBoard(path, this.busyTimeoutMs);
  }

  async check(): Promise<void> {
    if (this.closed) throw this.closedError();
    const open = this.connection;
    // A long-lived store (rehearse serve, a test worker) notices a file replaced or removed underneath.
    if (open && statSync(this.path, { throwIfNoEntry: false })?.ino !== open.inode) this.disconnect();
    const connection = await this.connect(false);
    if (!connection) return;
    while (this.transactionOpen) await this.transactionOpen;
    connection.shape = await retryWhileBusy(() => guarded(this.path, () => inspectFile(connection.db, this.path)), this.path, 'checking it', this.busyTimeoutMs);
    await leaveWalMode(connection.db, this.path, this.busyTimeoutMs);
  }

  async exists(): Promise<boolean> {
    return existsSync(this.path);
  }

  /** A read-only file, folder or file system, as the file system answers for this process (root included). */
  async whyReadOnly(): Promise<string | undefined> {
    return writeBlocker(this.path);
  }

  async find(org: string, key: string): Promise<StoredOutcome | undefined> {
    const connection = this.connection;
    // The hot path of a replay hit: one prepared point select, nothing awaited when nothing is busy.
    if (connection && !this.transactionOpen && !connection.shape.empty) {
      try {
        return this.findStatement(connection).get(org, key);
      } catch (error) {
        if (!isBusy(error)) throw fileError(this.path, error);
      }
    }
    return this.read('looking a recording up', (_db, open) => this.findStatement(open).get(org, key), undefined);
  }

  async rowsByKey(org: string, keys: readonly string[]): Promise<CacheRow[]> {
    const rows: CacheRow[] = [];
    for (let start = 0; start < keys.length; start += pageSize) {
      const page = keys.slice(start, start + pageSize);
      rows.push(...(await this.read('reading entries', (db, open) => db.prepare<string[], CacheRow>(sql.rowsByKey(open.shape, page.length)).all(org, ...page), [])));
    }
    return rows;
  }

  async record(row: CacheRow, claim?: Claim): Promise<{ stored: StoredOutcome; inserted: boolean }> {
    const result = await this.write((db, connection) => {
      const inserted = this.statement(db, sql.insertRow).run(row).changes === 1;
      return { stored: inserted ? row : this.findStatement(connection).get(row.org, row.key)!, inserted };
    });
    // After the entry is committed: a waiter that finds the claim gone finds the entry.
    if (claim) await this.claims.release(claim);
    return result;
  }

  replace(row: CacheRow): Promise<void> {
    return this.write((db) => void this.statement(db, sql.upsertRow).run(row));
  }

  recent(org: string, botId: string, actionType: string, limit: number): Promise<CacheRow[]> {
    return this.read('reading recordings to compare', (db, open) => db.prepare<[string, string, string, number], CacheRow>(sql.recentRows(open.shape)).all(org, botId, actionType, limit), []);
  }

  summaries(query: EntryQuery): AsyncIterable<EntrySummary> {
    return pages((after) => this.read('listing entries', (db, open) => sql.summaryPage(db, open.shape, query, after, pageSize), []), pageSize);
  }

  rows(query: EntryQuery): AsyncIterable<CacheRow> {
    return pages((after) => this.read('reading entries', (db, open) => sql.rowPage(db, open.shape, query, after, pageSize), []), pageSize);
  }

  rowsWithKeyPrefix(org: string, prefix: string, limit: number): Promise<CacheRow[]> {
    return this.read('reading entries', (db, open) => db.prepare<[string, string, string, number], CacheRow>(sql.rowsWithKeyPrefix(open.shape)).all(org, prefix, `${prefix}\uffff`, limit), []);
  }

  count(query: EntryQuery): Promise<number> {
    return this.read('counting entries', (db) => sql.countRows(db, query), 0);
  }

  async delete(org: string, keys: readonly string[], onProgress?: ProgressListener): Promise<number> {
    if (keys.length === 0 || !existsSync(this.path)) return 0;
    return this.write((db) => {
      const remove = this.statement(db, sql.deleteRow);
      let removed = 0;
      keys.forEach((key, index) => {
        removed += remove.run(org, key).changes;
        if (onProgress && index % 500 === 0) onProgress(index, keys.length);
      });
      onProgress?.(keys.length, keys.length);
      return removed;
    });
  }

  importRows(batches: AsyncIterable<readonly CacheRow[]>, write: ImportWrite): Promise<number> {
    if (this.closed) return Promise.reject(this.closedError());
    return this.transaction(async (db) => {
      const insert = this.statement(db, write === 'replace' ? sql.upsertRow : sql.insertRow);
      let written = 0;
      for await (const batch of batches) for (const row of batch) written += insert.run(row).changes;
      return written;
    });
  }

  /** On a connection of its own, without the format check: a damaged or foreign file is reported, not refused. */
  async integrity(limit: number): Promise<string[]> {
    if (!existsSync(this.path)) return ['the file does not exist'];
    let db: Database.Database;
    try {
      db = new Database(this.path, { fileMustExist: true, timeout: 0 }); // read-write: a journal a crash left is rolled back first
    } catch (error) {
      throw fileError(this.path, error);
    }
    try {
      const check = () => guarded(this.path, () => db.pragma(`integrity_check(${Math.max(1, limit)})`) as Array<{ integrity_check: string }>);
      return (await retryWhileBusy(check, this.path, 'checking its integrity', this.busyTimeoutMs)).map((row) => row.integrity_check);
    } finally {
      db.close();
    }
  }

  async size(): Promise<number> {
    return statSync(this.path, { throwIfNoEntry: false })?.size ?? 0;
  }

  claim(org: string, key: string, leaseMs: number): Promise<ClaimResult> {
    return this.closed ? Promise.reject(this.closedError()) : this.claims.claim(org, key, leaseMs);
  }

  renew(claim: Claim, leaseMs: number): Promise<boolean> {
    return this.closed ? Promise.reject(this.closedError()) : this.claims.renew(claim, leaseMs);
  }

  release(claim: Claim): Promise<void> {
    return this.claims.release(claim);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.writeTail.catch(() => undefined);
    this.disconnect();
    this.claims.close();
  }

  private closedError(): Error {
    return new Error(`The cache ${this.path} was closed; nothing more is read from it or written to it.`);
  }

  /** The replay hit's statement, kept at hand for the shape it was prepared for (looked up by its text, it costs a hit ~2 µs). */
  private findStatement(connection: Connection): Database.Statement<[string, string], StoredOutcome> {
    if (this.preparedFind?.shape !== connection.shape) {
      const statement = this.statement(connection.db, sql.findOutcome(connection.shape)) as Database.Statement<[string, string], StoredOutcome>;
      this.preparedFind = { shape: connection.shape, statement };
    }
    return this.preparedFind.statement;
  }

  private forgetStatements(): void {
    this.statements.clear();
    this.preparedFind = undefined;
  }

  private statement(db: Database.Database, text: string): Database.Statement {
    let prepared = this.statements.get(text);
    if (!prepared) this.statements.set(text, (prepared = db.prepare(text)));
    return prepared;
  }

  private async connect(create: boolean): Promise<Connection | undefined> {
    if (this.connection) return this.connection;
    if (!this.connecting) {
      this.connecting = openConnection(this.path, create, this.busyTimeoutMs).finally(() => (this.connecting = undefined));
    }
    const opened = await this.connecting;
    this.connection ??= opened;
    // A reader's open found no file; a writer that waited on it opens again, creating the file.
    return this.connection ?? (create ? this.connect(true) : undefined);
  }

  private disconnect(): void {
    this.forgetStatements();
    this.connection?.db.close();
    this.connection = undefined;
  }

  /** A read of the file: waits for this process's open transaction and for other processes' writes. */
  private async read<T>(operation: string, query: (db: Database.Database, connection: Connection) => T, whenEmpty: T): Promise<T> {
    if (this.closed) throw this.closedError();
    const connection = await this.connect(false);
    if (!connection) return whenEmpty;
    while (this.transactionOpen) await this.transactionOpen;
    const attempt = () =>
      guarded(this.path, () => {
        // A file that had no tables when this connection looked may have had its first recording since.
        if (connection.shape.empty) connection.shape = inspectFile(connection.db, this.path);
        return connection.shape.empty ? whenEmpty : query(connection.db, connection);
      });
    return retryWhileBusy(attempt, this.path, operation, this.busyTimeoutMs);
  }

  /**
   * Queues a write. Writes queued while a transaction runs are committed together in the next one
   * (each in a savepoint, so one that fails leaves the others), and each resolves once committed.
   */
  private write<T>(work: (db: Database.Database, connection: Connection) => T): Promise<T> {
    if (this.closed) return Promise.reject(this.closedError());
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (this.queue.length > 1) return; // a transaction is already queued and will take this one
      let batch: QueuedWrite[] = [];
      this.transaction((db, connection) => {
        batch = this.queue;
        this.queue = [];
        return batch.map(({ work }) => {
          db.exec('SAVEPOINT queued');
          try {
            const value = work(db, connection);
            db.exec('RELEASE queued');
            return { ok: true as const, value };
          } catch (error) {
            // A full disk or an I/O error rolls the whole transaction back: every write of the batch fails with it.
            if (!db.inTransaction) throw error;
            db.exec('ROLLBACK TO queued; RELEASE queued');
            return { ok: false as const, error: writeError(this.path, error) };
          }
        });
      }).then(
        (results) => batch.forEach((queued, index) => (results[index]!.ok ? queued.resolve(results[index]!.value) : queued.reject(results[index]!.error))),
        (error: unknown) => (batch.length > 0 ? batch : this.queue.splice(0)).forEach((queued) => queued.reject(error)),
      );
    });
  }

  /**
   * Runs `work` in one write transaction, after this process's earlier ones. Busy moments (another
   * process writing, or readers still on the file when it commits) are waited out; a write that
   * fails is rolled back whole and reported with what is left on disk.
   */
  private transaction<T>(work: (db: Database.Database, connection: Connection) => T | Promise<T>): Promise<T> {
    const run = this.writeTail.catch(() => undefined).then(async () => {
      const connection = (await this.connect(true))!;
      const { db } = connection;
      await retryWhileBusy(() => db.exec('BEGIN IMMEDIATE'), this.path, 'waiting to write', this.busyTimeoutMs);
      let opened!: () => void;
      this.transactionOpen = new Promise<void>((resolve) => (opened = resolve));
      try {
        // Another process may have created or upgraded the schema since this connection looked.
        connection.shape = guarded(this.path, () => inspectFile(db, this.path));
        if (needsUpgrade(connection.shape)) (upgradeSchema(db, connection.shape), this.forgetStatements());
        const result = await work(db, connection);
        await retryWhileBusy(() => db.exec('COMMIT'), this.path, 'committing a write', this.busyTimeoutMs);
        return result;
      } catch (error) {
        if (db.inTransaction) db.exec('ROLLBACK');
        this.forgetStatements();
        connection.shape = guarded(this.path, () => inspectFile(db, this.path));
        throw writeError(this.path, error);
      } finally {
        this.transactionOpen = undefined;
        opened();
      }
    });
    this.writeTail = run;
    return run;
  }
}
