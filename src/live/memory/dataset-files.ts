import { existsSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { DatasetFileError, DatasetNotFoundError, UsageError } from '../../errors.js';

export const datasetFormats = ['jsonl', 'csv', 'md', 'txt'] as const;
export type DatasetFormat = (typeof datasetFormats)[number];

/** The same rule as the engine's checkDatasets: a slug names a file in the folder and never leaves it. */
const slugPattern = /^[a-z0-9][a-z0-9_-]{0,63}$/i;
const fileName = /^(.+)\.(jsonl|csv|md|txt)$/;

export function checkDatasetSlug(slug: string): string {
  if (typeof slug !== 'string' || !slugPattern.test(slug)) {
    throw new UsageError(`Dataset "${String(slug)}" is not a valid slug: use letters, digits, "_" or "-" (no dots or slashes).`);
  }
  return slug;
}

/** The slugs of the dataset files in a folder, sorted; none when the folder does not exist. */
export function availableDatasets(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isFile() || entry.isSymbolicLink())
      .map((entry) => entry.name);
  } catch {
    return [];
  }
  const slugs = names.map((name) => fileName.exec(name)?.[1]).filter((slug): slug is string => slug !== undefined && slugPattern.test(slug));
  return [...new Set(slugs)].sort();
}

/** How a folder is named in messages: relative to the project when it is inside it. */
export function displayPath(path: string, root: string): string {
  const inside = relative(root, path);
  return inside && !inside.startsWith('..') && !isAbsolute(inside) ? inside : path;
}

/** The one file of a dataset: `<dir>/<slug>.jsonl|csv|md|txt`. */
export function findDatasetFile(dir: string, slug: string, root: string): { path: string; format: DatasetFormat } {
  checkDatasetSlug(slug);
  const found = datasetFormats
    .map((format) => ({ path: join(dir, `${slug}.${format}`), format }))
    .filter((candidate) => existsSync(candidate.path) && statSync(candidate.path).isFile());
  const folder = displayPath(dir, root);
  if (found.length === 0) {
    const problem = existsSync(dir) ? undefined : `No dataset "${slug}": the folder ${folder} does not exist.`;
    throw new DatasetNotFoundError(slug, availableDatasets(dir), folder, problem);
  }
  if (found.length > 1) {
    const names = found.map((candidate) => `${slug}.${candidate.format}`).join(' and ');
    throw new DatasetFileError(displayPath(found[0]!.path, root), undefined, `the dataset "${slug}" has more than one file (${names}) in ${folder}; keep one.`);
  }
  return found[0]!;
}
