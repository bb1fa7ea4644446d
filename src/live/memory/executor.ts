import { randomUUID } from 'node:crypto';
import type { MemoryAddOutput, MemorySearchOutput } from '../../actions/builtin-types.js';
import type { LiveContext, LiveSettings } from '../../actions/types.js';
import { openStateDatabase } from '../../state/database.js';
import { datasetNamespace, datasetNamespacePrefix, indexDataset } from './dataset-index.js';
import { ftsQuery } from './query.js';
import { memoryStore, type MemoryStore } from './store.js';

export const defaultNamespace = 'default';
export const defaultSearchLimit = 5;
export const maxSearchLimit = 50;

/** The datasets already checked in each invocation (its settings object lives as long as it does). */
const checkedDatasets = new WeakMap<LiveSettings, Set<string>>();

/**
 * The memory store of the invocation's state file, with its datasets indexed: the first memory
 * action of an invocation checks each dataset it names (and any dataset namespace an action names)
 * and re-indexes the ones whose file changed. Slugs are checked again there (no dots or slashes),
 * whoever built the settings.
 */
export function memoryFor(live: LiveContext, extraDatasets: readonly string[] = []): MemoryStore {
  const store = memoryStore(openStateDatabase(live.settings.statePath));
  let checked = checkedDatasets.get(live.settings);
  if (!checked) checkedDatasets.set(live.settings, (checked = new Set()));
  for (const slug of [...live.settings.datasets, ...extraDatasets]) {
    if (checked.has(slug)) continue;
    indexDataset(store, live.org, slug, { dir: live.settings.datasetsDir, root: live.settings.root });
    checked.add(slug);
  }
  return store;
}

/** The dataset a namespace names (`dataset:<slug>`), if it names one. */
export function datasetOf(namespace: string): string | undefined {
  return namespace.startsWith(datasetNamespacePrefix) ? namespace.slice(datasetNamespacePrefix.length) : undefined;
}

/** Where a search looks: the namespaces it names, or `default` and every dataset of the invocation. */
export function searchNamespaces(namespace: string | readonly string[] | undefined, datasets: readonly string[]): string[] {
  if (namespace === undefined) return [defaultNamespace, ...datasets.map(datasetNamespace)];
  return [...new Set(typeof namespace === 'string' ? [namespace] : namespace)];
}

/** A free-text search of the org's memory: the best `limit` documents, most relevant first. */
export function searchMemory(store: MemoryStore, org: string, namespaces: readonly string[], query: string, limit = defaultSearchLimit): MemorySearchOutput {
  const match = ftsQuery(query);
  // Only punctuation: nothing can match, and FTS5 must not be asked.
  if (match === undefined) return { results: [] };
  return { results: store.search(org, namespaces, match, Math.min(limit, maxSearchLimit)) };
}

export function addMemory(
  store: MemoryStore,
  org: string,
  document: { text: string; id?: string; namespace?: string; metadata?: Record<string, unknown> },
): MemoryAddOutput {
  const id = document.id ?? `mem_${randomUUID()}`;
  store.add(org, document.namespace ?? defaultNamespace, { id, text: document.text, metadata: document.metadata ?? {} });
  return { id };
}
