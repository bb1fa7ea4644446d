import { readFileSync, statSync } from 'node:fs';
import { basename, extname, isAbsolute, relative, resolve, sep } from 'node:path';
import { UsageError } from '../../errors.js';

/** A text file attached to an invocation (a local path, or content given inline). */
export interface Attachment {
  /** How prompts name it: the path relative to the cwd, or the name given inline. */
  name: string;
  content: string;
  mediaType: string;
  /** The absolute path, for a file that was given by path. */
  path?: string;
}

/** A file for one invocation: a local path, or its content given inline. */
export type FileOption = { path: string } | { name: string; content: string; mediaType?: string };

/** Each file at most this big: attachments go into prompts, where a larger file is almost always a mistake. */
export const maxAttachmentBytes = 1024 * 1024;

const mediaTypes: Readonly<Record<string, string>> = {
  '.md': 'text/markdown',
  '.markdown': 'text/markdown',
  '.json': 'application/json',
  '.jsonl': 'application/jsonl',
  '.csv': 'text/csv',
  '.tsv': 'text/tab-separated-values',
  '.html': 'text/html',
  '.xml': 'application/xml',
  '.yaml': 'application/yaml',
  '.yml': 'application/yaml',
};

function mediaTypeOf(name: string): string {
  return mediaTypes[extname(name).toLowerCase()] ?? 'text/plain';
}

/** Text files only: a NUL byte or bytes that are not UTF-8 mean a binary file, which no prompt can carry. */
function decodeText(bytes: Buffer, label: string): string {
  const binary = new UsageError(`${label} is not a text file (it holds binary data); attach text files only (UTF-8).`);
  if (bytes.includes(0)) throw binary;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw binary;
  }
}

function checkSize(bytes: number, label: string): void {
  if (bytes > maxAttachmentBytes) {
    throw new UsageError(`${label} is ${bytes} bytes; attachments are at most ${maxAttachmentBytes} bytes (1 MiB) each.`, {
      hint: 'Attach the part that matters, or give the bot the path in a parameter and let it read the file with a tool.',
    });
  }
}

/** A path's name in prompts: relative to the cwd when inside it (the same on every clone, so keys stay stable), else its base name. */
function nameOf(absolute: string, cwd: string): string {
  const inside = relative(cwd, absolute);
  return inside && !inside.startsWith('..') && !isAbsolute(inside) ? inside.split(sep).join('/') : basename(absolute);
}

function loadPath(given: string, cwd: string): Attachment {
  const path = resolve(cwd, given);
  const label = `The file ${given}`;
  let size: number;
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) throw new UsageError(`${label} is a directory; attach files one by one.`);
    size = stat.size;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${label} cannot be attached: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'there is no such file' : (error as Error).message} (looked for ${path}).`);
  }
  checkSize(size, label);
  const name = nameOf(path, cwd);
  return { name, content: decodeText(readFileSync(path), label), mediaType: mediaTypeOf(name), path };
}

function loadInline(file: { name: unknown; content: unknown; mediaType?: unknown }, index: number): Attachment {
  if (typeof file.name !== 'string' || file.name.trim() === '') throw new UsageError(`files[${index}].name must be a non-empty string.`);
  if (typeof file.content !== 'string') throw new UsageError(`files[${index}] ("${file.name}"): content must be a string (text files only).`);
  if (file.mediaType !== undefined && typeof file.mediaType !== 'string') throw new UsageError(`files[${index}].mediaType must be a string.`);
  checkSize(Buffer.byteLength(file.content), `The file "${file.name}"`);
  return { name: file.name, content: file.content, mediaType: file.mediaType ?? mediaTypeOf(file.name) };
}

/** Reads and checks every file before the run starts, so a wrong path fails at once and costs nothing. */
export function loadAttachments(files: readonly FileOption[] | undefined, cwd: string): Attachment[] {
  if (files === undefined) return [];
  if (!Array.isArray(files)) throw new UsageError('files must be a list of { path } or { name, content, mediaType? }.');
  return files.map((file: unknown, index) => {
    if (file === null || typeof file !== 'object') throw new UsageError(`files[${index}] must be { path } or { name, content, mediaType? }.`);
    if ('path' in file) {
      if (typeof file.path !== 'string' || file.path === '') throw new UsageError(`files[${index}].path must be a non-empty string.`);
      return loadPath(file.path, cwd);
    }
    if ('content' in file || 'name' in file) return loadInline(file as { name: unknown; content: unknown }, index);
    throw new UsageError(`files[${index}] must be { path } or { name, content, mediaType? }.`);
  });
}

/**
 * The files as text for a prompt, each between tags that name it, so the model can tell them apart
 * from the question and from each other.
 */
export function attachmentsText(files: readonly Attachment[]): string {
  return files
    .map((file) => `\n\n<attachment name="${file.name}" media_type="${file.mediaType}">\n${file.content}\n</attachment>`)
    .join('');
}
