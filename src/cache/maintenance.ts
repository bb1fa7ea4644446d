import { writeCacheFile, type ProgressListener } from './cache-file.js';

/**
 * Deletes these entries of one org in one transaction, writing the file as a recording does (WAL
 * while writing, then a checkpoint and back to a rollback journal: no -wal or -shm left). Returns
 * how many rows went. The caller forgets their usage in the state file.
 */
export async function deleteEntries(path: string, org: string, keys: readonly string[], onProgress?: ProgressListener): Promise<number> {
  if (keys.length === 0) return 0;
  return writeCacheFile(path, (db) => {
    const remove = db.prepare<[string, string]>('DELETE FROM entries WHERE org = ? AND key = ?');
    let removed = 0;
    db.transaction(() => {
      keys.forEach((key, index) => {
        removed += remove.run(org, key).changes;
        if (onProgress && index % 500 === 0) onProgress(index, keys.length);
      });
    }).immediate();
    onProgress?.(keys.length, keys.length);
    return removed;
  });
}
