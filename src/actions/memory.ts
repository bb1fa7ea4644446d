import { ActionParamsError } from '../errors.js';
import { datasetNamespacePrefix } from '../live/memory/dataset-index.js';
import { addMemory, datasetOf, defaultSearchLimit, maxSearchLimit, memoryFor, searchMemory, searchNamespaces } from '../live/memory/executor.js';
import type { MemoryAddOutput, MemoryAddParams, MemorySearchOutput, MemorySearchParams } from './builtin-types.js';
import type { ActionDefinition } from './types.js';

const maxQueryLength = 10_000;
const maxTextLength = 1_000_000;
const maxIdLength = 256;
const maxMetadataBytes = 64 * 1024;
const maxNamespaces = 20;
/** Letters, digits and `._:/@-`, starting with a letter or digit: `default`, `user:42`, `dataset:acme-help`. */
const namespacePattern = /^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}$/;
const slugPattern = /^[a-z0-9][a-z0-9_-]{0,63}$/i;

type Fail = (problem: string) => never;

function failer(type: string): Fail {
  return (problem) => {
    throw new ActionParamsError(type, problem);
  };
}

function checkObject(raw: unknown, allowed: readonly string[], example: string, fail: Fail): Record<string, unknown> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail(`params must be an object like ${example}.`);
  const params = raw as Record<string, unknown>;
  for (const name of Object.keys(params)) {
    if (!allowed.includes(name)) fail(`unknown field "${name}"; the fields are ${allowed.join(', ')}.`);
  }
  return params;
}

function checkNamespace(value: unknown, where: string, fail: Fail): string {
  if (typeof value !== 'string' || !namespacePattern.test(value)) {
    fail(`${where} must be a name of letters, digits and . _ : / @ - (at most 128, e.g. "default" or "user:42"), not ${JSON.stringify(value)}.`);
  }
  const slug = datasetOf(value);
  if (slug !== undefined && !slugPattern.test(slug)) fail(`${where} names the dataset "${slug}", which is not a valid slug (letters, digits, "_" or "-").`);
  return value;
}

const searchFields = ['query', 'namespace', 'limit'] as const;

function validateSearch(raw: unknown): MemorySearchParams {
  const fail: Fail = failer('memory.search');
  const params = checkObject(raw, searchFields, '{ query: "refund policy", limit: 5 }', fail);
  const { query, namespace, limit } = params;
  if (typeof query !== 'string') fail('"query" must be a string, e.g. "refund policy".');
  if (query.trim() === '') fail('"query" is empty; give the words to search for.');
  if (query.length > maxQueryLength) fail(`"query" is ${query.length} characters long; at most ${maxQueryLength}.`);
  if (Array.isArray(namespace)) {
    if (namespace.length === 0 || namespace.length > maxNamespaces) fail(`"namespace" as a list must name 1 to ${maxNamespaces} namespaces.`);
    namespace.forEach((name, index) => checkNamespace(name, `namespace[${index}]`, fail));
  } else if (namespace !== undefined) {
    checkNamespace(namespace, '"namespace"', fail);
  }
  if (limit !== undefined && (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > maxSearchLimit)) {
    fail(`"limit" must be a whole number from 1 to ${maxSearchLimit} (${defaultSearchLimit} by default), not ${JSON.stringify(limit)}.`);
  }
  return params as unknown as MemorySearchParams;
}

const addFields = ['text', 'id', 'namespace', 'metadata'] as const;

function validateAdd(raw: unknown): MemoryAddParams {
  const fail: Fail = failer('memory.add');
  const params = checkObject(raw, addFields, '{ text: "Refunds take 5 business days.", id?, namespace?, metadata? }', fail);
  const { text, id, namespace, metadata } = params;
  if (typeof text !== 'string') fail('"text" must be a string: the document to remember.');
  if (text.trim() === '') fail('"text" is empty; give the document to remember.');
  if (text.length > maxTextLength) fail(`"text" is ${text.length} characters long; at most ${maxTextLength}.`);
  if (id !== undefined && (typeof id !== 'string' || id.trim() === '' || id.length > maxIdLength)) {
    fail(`"id" must be a non-empty string of at most ${maxIdLength} characters (or left out to get a new one), not ${JSON.stringify(id)}.`);
  }
  if (namespace !== undefined) {
    checkNamespace(namespace, '"namespace"', fail);
    if ((namespace as string).startsWith(datasetNamespacePrefix)) {
      fail(`"namespace" is ${JSON.stringify(namespace)}: dataset namespaces hold their file's documents only; edit the dataset file, or add to another namespace.`);
    }
  }
  if (metadata !== undefined) {
    if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) fail('"metadata" must be a JSON object, e.g. { "source": "faq" }.');
    let json: string;
    try {
      json = JSON.stringify(metadata);
    } catch (error) {
      return fail(`"metadata" cannot be stored as JSON (${(error as Error).message}).`);
    }
    if (Buffer.byteLength(json) > maxMetadataBytes) fail(`"metadata" is larger than ${maxMetadataBytes / 1024} KB as JSON.`);
  }
  return params as unknown as MemoryAddParams;
}

export const memorySearchAction: ActionDefinition<MemorySearchParams, MemorySearchOutput> = {
  type: 'memory.search',
  description: 'Searches the memory store (SQLite FTS5, BM25 ranking) of the org: its own documents and the invocation’s datasets.',
  cachedByDefault: false,
  validate: validateSearch,
  async run(params, live) {
    const namespaces = searchNamespaces(params.namespace, live.settings.datasets);
    const named = namespaces.map(datasetOf).filter((slug): slug is string => slug !== undefined);
    const store = memoryFor(live, named);
    return { output: searchMemory(store, live.org, namespaces, params.query, params.limit ?? defaultSearchLimit) };
  },
  exampleOutput: {
    results: [
      {
        id: 'refunds',
        text: 'Refunds\n\nWe refund returned items within 5 business days of receiving them.',
        score: 4.2,
        metadata: { title: 'Refunds' },
        snippet: 'We [refund] returned items within 5 business days…',
        namespace: 'dataset:acme-help',
      },
    ],
  },
};

export const memoryAddAction: ActionDefinition<MemoryAddParams, MemoryAddOutput> = {
  type: 'memory.add',
  description: 'Adds a document to the memory store of the org (or replaces the one with the same id).',
  cachedByDefault: false,
  validate: validateAdd,
  async run(params, live) {
    return { output: addMemory(memoryFor(live), live.org, params) };
  },
  exampleOutput: { id: 'doc-1' },
};
