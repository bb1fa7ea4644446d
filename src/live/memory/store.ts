import { migrate, type StateDatabase, type StateStatement } from '../../state/database.js';

/** One document as stored: its id is unique within its org and namespace. */
export interface MemoryDocument {
  id: string;
  text: string;
  metadata: Record<string, unknown>;
}

export interface MemoryHit {
  id: string;
  text: string;
  /** BM25, as a positive number: higher is more relevant. */
  score: number;
  metadata: Record<string, unknown>;
  /** The best part of the text on one line, the matched words in [brackets], cut ends marked with `…`. */
  snippet: string;
  namespace: string;
}

/** What the store remembers of a dataset it indexed for an org. */
export interface DatasetIndexState {
  file: string;
  sha256: string;
  parserVersion: number;
  documents: number;
  indexedAt: string;
}

/**
 * Version 1 of the memory tables. Documents live in a plain table keyed by (org, namespace, id);
 * the FTS5 index reads their text from it (external content) and triggers keep the two in step.
 * The index is shared by every org and namespace: a search matches in FTS5 and keeps only rows of
 * its own org and namespaces, so one org never sees another's documents.
 */
const schemaV1 = `
CREATE TABLE IF NOT EXISTS memory_documents (
  doc INTEGER PRIMARY KEY,
  org TEXT NOT NULL,
  namespace TEXT NOT NULL,
  id TEXT NOT NULL,
  text TEXT NOT NULL,
  metadata TEXT NOT NULL DEFAULT '{}',
  updated_at TEXT NOT NULL,
  UNIQUE (org, namespace, id)
);
-- Checking that a match belongs to the org and namespaces reads this, not the wide rows.
CREATE INDEX IF NOT EXISTS memory_documents_scope ON memory_documents (doc, org, namespace);
CREATE VIRTUAL TABLE IF NOT EXISTS memory_fts USING fts5(
  text, content = 'memory_documents', content_rowid = 'doc', tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS memory_documents_after_insert AFTER INSERT ON memory_documents BEGIN
  INSERT INTO memory_fts (rowid, text) VALUES (new.doc, new.text);
END;
CREATE TRIGGER IF NOT EXISTS memory_documents_after_delete AFTER DELETE ON memory_documents BEGIN
  INSERT INTO memory_fts (memory_fts, rowid, text) VALUES ('delete', old.doc, old.text);
END;
CREATE TRIGGER IF NOT EXISTS memory_documents_after_update AFTER UPDATE OF text ON memory_documents BEGIN
  INSERT INTO memory_fts (memory_fts, rowid, text) VALUES ('delete', old.doc, old.text);
  INSERT INTO memory_fts (rowid, text) VALUES (new.doc, new.text);
END;
CREATE TABLE IF NOT EXISTS memory_datasets (
  org TEXT NOT NULL,
  slug TEXT NOT NULL,
  file TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  parser_version INTEGER NOT NULL,
  documents INTEGER NOT NULL,
  indexed_at TEXT NOT NULL,
  PRIMARY KEY (org, slug)
);
`;

/** `snippet()` arguments: the text column, the markers, the ellipsis, and at most this many words. */
const snippet = `snippet(memory_fts, 0, '[', ']', '…', 16)`;
const inNamespaces = (alias: string) => `${alias}.namespace IN (SELECT value FROM json_each(@namespaces))`;

interface HitRow {
  id: string | null;
  namespace: string;
  text: string;
  metadata: string;
  rank: number;
  snippet: string;
}

interface DatasetRow {
  file: string;
  sha256: string;
  parser_version: number;
  documents: number;
  indexed_at: string;
}

interface SearchArgs {
  query: string;
  org: string;
  /** A JSON list, read with json_each. */
  namespaces: string;
}

const stores = new WeakMap<StateDatabase, MemoryStore>();

/** The memory store on an open state database (one per connection: its statements are prepared once). */
export function memoryStore(db: StateDatabase): MemoryStore {
  let store = stores.get(db);
  if (!store) {
    store = new MemoryStore(db);
    stores.set(db, store);
  }
  return store;
}

export class MemoryStore {
  private readonly upsert: StateStatement;
  private readonly deleteNamespace: StateStatement<[string, string]>;
  private readonly countNamespace: StateStatement<[string, string], { count: number }>;
  private readonly window: StateStatement<[SearchArgs & { window: number }], HitRow>;
  private readonly exhaustive: StateStatement<[SearchArgs & { limit: number }], HitRow>;
  private readonly datasetRow: StateStatement<[string, string], DatasetRow>;
  private readonly saveDatasetRow: StateStatement;

  constructor(readonly db: StateDatabase) {
    migrate(db, 'memory', [schemaV1]);
    this.upsert = db.prepare(
      `INSERT INTO memory_documents (org, namespace, id, text, metadata, updated_at) VALUES (@org, @namespace, @id, @text, @metadata, @updated_at)
       ON CONFLICT (org, namespace, id) DO UPDATE SET text = excluded.text, metadata = excluded.metadata, updated_at = excluded.updated_at`,
    );
    this.deleteNamespace = db.prepare('DELETE FROM memory_documents WHERE org = ? AND namespace = ?');
    this.countNamespace = db.prepare('SELECT count(*) AS count FROM memory_documents WHERE org = ? AND namespace = ?');
    // The fast path: the best matches of the whole index (FTS5 alone, no join while ranking), then
    // rows of other orgs or namespaces are blanked by the LEFT JOIN; their snippet is computed
    // inside SQLite but never returned. Sorting bm25() in SQLite measured about twice as fast as
    // FTS5's own `ORDER BY rank` at 100,000 documents (which is why the column is not named rank).
    this.window = db.prepare(
      `SELECT d.id, d.namespace, d.text, d.metadata, f.bm25 AS rank, CASE WHEN d.id IS NULL THEN NULL ELSE f.snippet END AS snippet
       FROM (SELECT rowid AS doc, bm25(memory_fts) AS bm25, ${snippet} AS snippet FROM memory_fts WHERE memory_fts MATCH @query ORDER BY bm25 LIMIT @window) AS f
       LEFT JOIN memory_documents AS d ON d.doc = f.doc AND d.org = @org AND ${inNamespaces('d')}
       ORDER BY f.bm25`,
    );
    // The exact path, when the window held too few of this org's rows: every match is checked
    // against the small (doc, org, namespace) index, not the wide rows, and only ours are ranked.
    this.exhaustive = db.prepare(
      `SELECT d.id, d.namespace, d.text, d.metadata, f.bm25 AS rank, f.snippet
       FROM (SELECT s.doc, bm25(memory_fts) AS bm25, ${snippet} AS snippet
             FROM memory_fts CROSS JOIN memory_documents AS s INDEXED BY memory_documents_scope ON s.doc = memory_fts.rowid
             WHERE memory_fts MATCH @query AND s.org = @org AND ${inNamespaces('s')}
             ORDER BY bm25 LIMIT @limit) AS f
       CROSS JOIN memory_documents AS d ON d.doc = f.doc
       ORDER BY f.bm25`,
    );
    this.datasetRow = db.prepare('SELECT file, sha256, parser_version, documents, indexed_at FROM memory_datasets WHERE org = ? AND slug = ?');
    this.saveDatasetRow = db.prepare(
      `INSERT INTO memory_datasets (org, slug, file, sha256, parser_version, documents, indexed_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (org, slug) DO UPDATE SET file = excluded.file, sha256 = excluded.sha256, parser_version = excluded.parser_version,
         documents = excluded.documents, indexed_at = excluded.indexed_at`,
    );
  }

  /** Adds a document, or replaces the one with the same id in the same org and namespace. */
  add(org: string, namespace: string, document: MemoryDocument): void {
    this.upsert.run({ org, namespace, id: document.id, text: document.text, metadata: JSON.stringify(document.metadata), updated_at: new Date().toISOString() });
  }

  /** Adds many documents in one transaction (one fsync, not one per document). */
  addMany(org: string, namespace: string, documents: Iterable<MemoryDocument>): number {
    let count = 0;
    this.db.transaction(() => {
      for (const document of documents) {
        this.add(org, namespace, document);
        count++;
      }
    })();
    return count;
  }

  count(org: string, namespace: string): number {
    return this.countNamespace.get(org, namespace)?.count ?? 0;
  }

  /**
   * The `limit` best matches of an FTS5 query (see ftsQuery) among the org's documents in the given
   * namespaces, best first.
   */
  search(org: string, namespaces: readonly string[], query: string, limit: number): MemoryHit[] {
    const args: SearchArgs = { query, org, namespaces: JSON.stringify(namespaces) };
    const window = Math.max(10, limit * 2);
    const rows = this.window.all({ ...args, window });
    let hits = rows.filter((row) => row.id !== null);
    // Too few of ours among the index's best, and more matches beyond the window: rank ours exactly.
    if (hits.length < limit && rows.length === window) hits = this.exhaustive.all({ ...args, limit });
    return hits.slice(0, limit).map((row) => ({
      id: row.id as string,
      text: row.text,
      score: Number((-row.rank).toPrecision(6)),
      metadata: JSON.parse(row.metadata) as Record<string, unknown>,
      snippet: row.snippet.replace(/\s+/g, ' '),
      namespace: row.namespace,
    }));
  }

  datasetState(org: string, slug: string): DatasetIndexState | undefined {
    const row = this.datasetRow.get(org, slug);
    return row && { file: row.file, sha256: row.sha256, parserVersion: row.parser_version, documents: row.documents, indexedAt: row.indexed_at };
  }

  /**
   * Replaces the documents of a dataset's namespace, unless `isCurrent` says the indexed state is
   * already this one. One immediate transaction with the check inside it: of two processes indexing
   * the same change at once, the second waits for the first, then sees it done and skips.
   */
  replaceDataset(
    org: string,
    slug: string,
    namespace: string,
    state: Omit<DatasetIndexState, 'documents' | 'indexedAt'>,
    documents: readonly MemoryDocument[],
    isCurrent: (indexed: DatasetIndexState | undefined) => boolean,
  ): { indexed: boolean; state: DatasetIndexState } {
    return this.db
      .transaction(() => {
        const indexed = this.datasetState(org, slug);
        if (indexed && isCurrent(indexed)) return { indexed: false, state: indexed };
        this.deleteNamespace.run(org, namespace);
        for (const document of documents) this.add(org, namespace, document);
        const fresh: DatasetIndexState = { ...state, documents: documents.length, indexedAt: new Date().toISOString() };
        this.saveDatasetRow.run(org, slug, fresh.file, fresh.sha256, fresh.parserVersion, fresh.documents, fresh.indexedAt);
        return { indexed: true, state: fresh };
      })
      .immediate();
  }
}
