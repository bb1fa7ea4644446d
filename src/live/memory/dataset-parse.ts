import { parseCsv } from './csv.js';
import type { DatasetFormat } from './dataset-files.js';
import type { MemoryDocument } from './store.js';

/** Bump when parsing changes what documents a file gives: every dataset is then indexed again. */
export const datasetParserVersion = 1;

/** Reports what cannot be read, with the line when there is one (it must throw). */
export type ParseFailure = (line: number | undefined, problem: string) => never;

/** The documents of a dataset file's text (see DESIGN.md, "Live backends"). */
export function parseDataset(format: DatasetFormat, text: string, fail: ParseFailure): MemoryDocument[] {
  const content = text.replace(/^\uFEFF/, '');
  const documents = parsers[format](content, fail);
  checkUniqueIds(documents, fail);
  return documents.map(({ line: _line, ...document }) => document);
}

interface ParsedDocument extends MemoryDocument {
  line: number;
}

const parsers: Record<DatasetFormat, (text: string, fail: ParseFailure) => ParsedDocument[]> = {
  jsonl: parseJsonl,
  csv: parseCsvDataset,
  md: parseMarkdown,
  txt: parseText,
};

/** jsonl: one JSON object a line; `text` required, `id` optional, every other field is metadata. */
function parseJsonl(text: string, fail: ParseFailure): ParsedDocument[] {
  const documents: ParsedDocument[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      fail(line, `it is not valid JSON (${(error as Error).message}).`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(line, 'each line must be a JSON object like {"text": "..."}.');
    const { text: body, id, ...metadata } = value as Record<string, unknown>;
    if (typeof body !== 'string' || body.trim() === '') fail(line, 'the object has no "text" (a non-empty string).');
    documents.push({ id: documentId(id, `line-${line}`, line, fail), text: body, metadata, line });
  });
  return documents;
}

/** csv: a header row; the `text` column (or else every column joined), `id` optional, the other columns metadata. */
function parseCsvDataset(text: string, fail: ParseFailure): ParsedDocument[] {
  const [header, ...rows] = parseCsv(text, fail);
  if (!header) return [];
  const names = header.fields.map((name) => name.trim());
  names.forEach((name, index) => {
    if (name === '') fail(header.line, `column ${index + 1} of the header row has no name.`);
    if (names.indexOf(name) !== index) fail(header.line, `the header row names the column "${name}" twice.`);
  });
  const lower = names.map((name) => name.toLowerCase());
  const textColumn = lower.indexOf('text');
  const idColumn = lower.indexOf('id');
  return rows.map((row, index) => {
    if (row.fields.length !== names.length) {
      fail(row.line, `the row has ${row.fields.length} fields but the header has ${names.length} (quote a field that holds a comma: "a, b").`);
    }
    const metadata: Record<string, unknown> = {};
    const parts: string[] = [];
    names.forEach((name, column) => {
      if (column === idColumn || column === textColumn) return;
      const value = row.fields[column] as string;
      metadata[name] = value;
      if (value.trim() !== '') parts.push(value.trim());
    });
    const body = textColumn >= 0 ? (row.fields[textColumn] as string) : parts.join('\n');
    if (body.trim() === '') fail(row.line, textColumn >= 0 ? 'the "text" field is empty.' : 'the row has no text in any column.');
    const id = idColumn >= 0 && (row.fields[idColumn] as string).trim() !== '' ? row.fields[idColumn] : undefined;
    return { id: documentId(id, `row-${index + 1}`, row.line, fail), text: body, metadata, line: row.line };
  });
}

/** md: one document per `#` or `##` section, its heading in metadata.title; text before the first heading is one more. */
function parseMarkdown(text: string): ParsedDocument[] {
  const lines = text.split(/\r?\n/);
  let start = 0;
  // YAML front matter is not content.
  if (lines[0]?.trim() === '---') {
    const end = lines.findIndex((line, index) => index > 0 && /^(---|\.\.\.)\s*$/.test(line));
    if (end > 0) start = end + 1;
  }
  const sections: Array<{ title: string | undefined; line: number; body: string[] }> = [];
  let current: (typeof sections)[number] = { title: undefined, line: start + 1, body: [] };
  let fence: string | undefined;
  for (let index = start; index < lines.length; index++) {
    const line = lines[index] as string;
    const fenceMark = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fenceMark && (fence === undefined || (fenceMark[0] === fence[0] && fenceMark.length >= fence.length))) {
      fence = fence === undefined ? fenceMark : undefined;
    }
    const heading = fence === undefined ? /^ {0,3}#{1,2}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/.exec(line) : null;
    if (heading) {
      sections.push(current);
      current = { title: (heading[1] ?? '').trim(), line: index + 1, body: [] };
    } else {
      current.body.push(line);
    }
  }
  sections.push(current);

  const used = new Set<string>();
  const documents: ParsedDocument[] = [];
  for (const section of sections) {
    const body = section.body.join('\n').trim();
    if (body === '') continue; // a heading alone (the page's title) is not a document
    const title = section.title || undefined;
    let base = title ? slugify(title) : '';
    if (base === '') base = `section-${documents.length + 1}`;
    let id = base;
    for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
    used.add(id);
    documents.push({ id, text: title ? `${title}\n\n${body}` : body, metadata: title ? { title } : {}, line: section.line });
  }
  return documents;
}

/** txt: one document per paragraph (paragraphs are separated by blank lines). */
function parseText(text: string): ParsedDocument[] {
  const documents: ParsedDocument[] = [];
  let paragraph: string[] = [];
  let start = 0;
  const flush = () => {
    const body = paragraph.join('\n').trim();
    if (body !== '') documents.push({ id: `paragraph-${documents.length + 1}`, text: body, metadata: {}, line: start });
    paragraph = [];
  };
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === '') return flush();
    if (paragraph.length === 0) start = index + 1;
    paragraph.push(line);
  });
  flush();
  return documents;
}

function slugify(title: string): string {
  return title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80);
}

function documentId(value: unknown, fallback: string, line: number, fail: ParseFailure): string {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string' && value.trim() !== '') return value;
  return fail(line, `"id" must be a non-empty string or a number, not ${JSON.stringify(value)}.`);
}

function checkUniqueIds(documents: readonly ParsedDocument[], fail: ParseFailure): void {
  const first = new Map<string, number>();
  for (const document of documents) {
    const seen = first.get(document.id);
    if (seen !== undefined) fail(document.line, `the id "${document.id}" is used twice (first on line ${seen}).`);
    first.set(document.id, document.line);
  }
}
