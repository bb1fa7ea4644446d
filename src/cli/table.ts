import pc from 'picocolors';

export interface Column<Row> {
  header: string;
  value: (row: Row) => string;
  /** Numbers line up on the right. */
  align?: 'left' | 'right';
}

// eslint-disable-next-line no-control-regex
const ansi = /\x1b\[[0-9;]*m/g;

function width(text: string): number {
  return [...text.replace(ansi, '')].length;
}

function pad(text: string, size: number, align: 'left' | 'right'): string {
  const gap = ' '.repeat(Math.max(0, size - width(text)));
  return align === 'right' ? gap + text : text + gap;
}

/**
 * Rows as an aligned table: a header, then one line a row, columns two spaces apart, no trailing
 * spaces. `footer` rows (totals) come after a rule. Plain text when stdout is not a terminal
 * (picocolors leaves colour out then).
 */
export function table<Row>(columns: ReadonlyArray<Column<Row>>, rows: readonly Row[], footer: readonly Row[] = []): string[] {
  const cells = [...rows, ...footer].map((row) => columns.map((column) => column.value(row).replace(/\s+/g, ' ')));
  const sizes = columns.map((column, index) => Math.max(width(column.header), ...cells.map((line) => width(line[index]!))));
  const line = (texts: readonly string[]) =>
    texts
      .map((text, index) => pad(text, sizes[index]!, columns[index]!.align ?? 'left'))
      .join('  ')
      .trimEnd();
  const out = [pc.bold(line(columns.map((column) => column.header))), ...cells.slice(0, rows.length).map(line)];
  if (footer.length > 0) out.push(pc.dim('-'.repeat(sizes.reduce((sum, size) => sum + size, 2 * (sizes.length - 1)))), ...cells.slice(rows.length).map(line));
  return out;
}

/** An ISO time as `YYYY-MM-DD HH:MM:SS` (UTC, as stored). */
export function shortTime(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '');
}

/** Text cut to `size` characters, an ellipsis marking the cut. */
export function clip(text: string | null, size: number): string {
  if (text === null) return '';
  const flat = text.replace(/\s+/g, ' ').trim();
  const chars = [...flat];
  return chars.length <= size ? flat : `${chars.slice(0, size - 1).join('')}…`;
}
