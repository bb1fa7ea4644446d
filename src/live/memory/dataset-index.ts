import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { DatasetFileError } from '../../errors.js';
import { displayPath, findDatasetFile } from './dataset-files.js';
import { datasetParserVersion, parseDataset } from './dataset-parse.js';
import type { DatasetIndexState, MemoryStore } from './store.js';

export const datasetNamespacePrefix = 'dataset:';

export function datasetNamespace(slug: string): string {
  return `${datasetNamespacePrefix}${slug}`;
}

export interface DatasetIndexResult {
  slug: string;
  namespace: string;
  /** True when this call (re)built the index; false when the file had not changed since it was indexed. */
  indexed: boolean;
  state: DatasetIndexState;
}

export interface DatasetLocation {
  /** The folder of dataset files. */
  dir: string;
  /** The project folder, to name files relative to it in messages. */
  root: string;
}

/**
 * Makes `dataset:<slug>` of the org hold exactly the documents of the dataset's file. The file is
 * parsed and indexed only when its content (sha256), its name or the parser changed since the last
 * time; otherwise this costs one read and one hash of the file.
 */
export function indexDataset(store: MemoryStore, org: string, slug: string, location: DatasetLocation): DatasetIndexResult {
  const { path, format } = findDatasetFile(location.dir, slug, location.root);
  const file = basename(path);
  const content = readFileSync(path);
  const sha256 = createHash('sha256').update(content).digest('hex');
  const namespace = datasetNamespace(slug);
  const isCurrent = (indexed: DatasetIndexState | undefined) =>
    indexed !== undefined && indexed.sha256 === sha256 && indexed.file === file && indexed.parserVersion === datasetParserVersion;

  const known = store.datasetState(org, slug);
  if (known && isCurrent(known)) return { slug, namespace, indexed: false, state: known };

  const shown = displayPath(path, location.root);
  // Parsed before the write lock is taken, so that the lock is held only to write.
  const documents = parseDataset(format, content.toString('utf8'), (line, problem) => {
    throw new DatasetFileError(shown, line, problem);
  });
  const { indexed, state } = store.replaceDataset(org, slug, namespace, { file, sha256, parserVersion: datasetParserVersion }, documents, isCurrent);
  return { slug, namespace, indexed, state };
}
