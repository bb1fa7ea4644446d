import { renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { CacheMergeError, isRehearseError } from '../../errors.js';
import { openStore } from '../open.js';
import type { RecordingStore } from '../types.js';
import { verifyCache, type VerifyReport } from '../verify.js';
import { mergeCaches, type MergeReport } from './merge.js';

/** The files of a merge, as git hands them to a merge driver (%O %A %B). The result replaces `ours`. */
export interface MergeFiles {
  /** The common ancestor: missing or empty when there is none (git passes an empty file then). */
  base: string;
  ours: string;
  theirs: string;
}

export interface MergedFile extends MergeReport {
  path: string;
  verify: VerifyReport;
}

/** Opens one side, refusing a file that is missing (but for the base) or that is not a cache this rehearse reads. */
async function openSide(name: keyof MergeFiles, path: string): Promise<RecordingStore> {
  const found = statSync(path, { throwIfNoEntry: false });
  if (!found && name !== 'base') {
    throw new CacheMergeError(`${name} (${path}) does not exist.`, { hint: 'rehearse cache merge <base> <ours> <theirs> takes three files, as git passes them to a merge driver (%O %A %B).' });
  }
  const store = openStore(path);
  try {
    await store.check();
  } catch (error) {
    await store.close();
    if (!isRehearseError(error)) throw error;
    throw new CacheMergeError(`${name} is not a cache this rehearse can merge. ${error.message}`, { ...(error.hint !== undefined && { hint: error.hint }), cause: error });
  }
  return store;
}

/** Removes a file and anything SQLite may have left beside it. */
function removeCacheFile(path: string): void {
  for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
}

/**
 * Merges three cache files into `ours`, atomically: the result is built in a file beside it, verified
 * (the engine's integrity check and every key recomputed, every org), and renamed over it. When
 * anything fails, `ours` is left byte for byte as it was and the partial file removed.
 */
export async function mergeCacheFiles(files: MergeFiles): Promise<MergedFile> {
  const ours = resolve(files.ours);
  const partial = join(dirname(ours), `.${basename(ours)}.${process.pid}.merging`);
  const opened: RecordingStore[] = [];
  try {
    for (const name of ['base', 'ours', 'theirs'] as const) opened.push(await openSide(name, resolve(files[name])));
    const [base, oursStore, theirs] = opened as [RecordingStore, RecordingStore, RecordingStore];
    removeCacheFile(partial);
    const result = openStore(partial);
    let report: MergeReport;
    try {
      report = await mergeCaches({ base, ours: oursStore, theirs }, result);
    } finally {
      await result.close();
    }
    const verify = await verifyMerged(partial);
    await Promise.all(opened.splice(0).map((store) => store.close()));
    renameSync(partial, ours);
    return { ...report, path: ours, verify };
  } catch (error) {
    removeCacheFile(partial);
    throw error;
  } finally {
    await Promise.all(opened.map((store) => store.close()));
  }
}

/** Verifies the merged file; a fault refuses the merge, naming the first faults. */
async function verifyMerged(path: string): Promise<VerifyReport> {
  const store = openStore(path);
  let report: VerifyReport;
  try {
    report = await verifyCache(store, { reportLimit: 5 });
  } finally {
    await store.close();
  }
  if (report.faultCount > 0) {
    const faults = report.faults.map((fault) => `${fault.kind}${fault.key === undefined ? '' : ` ${fault.org}/${fault.key.slice(0, 12)} (${fault.botId ?? '?'}, ${fault.actionType ?? '?'})`}: ${fault.detail}`);
    throw new CacheMergeError(`the merged cache fails verification with ${report.faultCount} fault${report.faultCount === 1 ? '' : 's'}: ${faults.join('; ')}.`);
  }
  return report;
}
