/**
 * A JSON value as indented, YAML-like lines for people to read in a diff: anything whose JSON fits
 * the width stays on one line; longer objects and arrays open up one member a line; a string with
 * line breaks becomes a block of its lines (`|` when it ends with a line break, `|-` when it does
 * not). Nothing is cut: a long line stays whole. Scalars are JSON, so quotes and escapes show.
 */
const width = 100;

/** A key bare when it is a plain word, else quoted. */
function keyText(key: string): string {
  return /^[A-Za-z_$][\w$.-]*$/.test(key) ? key : JSON.stringify(key);
}

function fitsOnOneLine(value: unknown, used: number): string | undefined {
  if (typeof value === 'string' && value.includes('\n')) return undefined;
  const json = JSON.stringify(value) ?? 'null';
  if (typeof value !== 'object' || value === null || json === '{}' || json === '[]') return json; // nothing to open up
  return used + json.length <= width && !json.includes('\\n') ? json : undefined;
}

/** The lines of a string with line breaks, as a block under its label. */
function blockLines(text: string, indent: number): string[] {
  const pad = ' '.repeat(indent);
  const lines = (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n');
  return lines.map((line) => (line === '' ? '' : pad + line));
}

/** The lines of `value` at `indent`, after `label` (a key with its colon, or nothing). */
function render(value: unknown, indent: number, label: string): string[] {
  const pad = ' '.repeat(indent);
  const lead = label ? `${pad}${label} ` : pad;
  const flat = fitsOnOneLine(value, lead.length);
  if (flat !== undefined) return [lead + flat];
  if (typeof value === 'string') return [`${lead}${value.endsWith('\n') ? '|' : '|-'}`, ...blockLines(value, indent + 2)];
  const head = label ? [`${pad}${label}`] : [];
  const inner = label ? indent + 2 : indent;
  if (Array.isArray(value)) return [...head, ...value.flatMap((item) => listItem(item, inner))];
  const members = Object.entries(value as Record<string, unknown>);
  return [...head, ...members.flatMap(([key, member]) => render(member, inner, `${keyText(key)}:`))];
}

/** A list item: its lines two columns in, the first one led by "- " (`- role: "user"`, with its other members below). */
function listItem(item: unknown, indent: number): string[] {
  const lines = render(item, indent + 2, '');
  lines[0] = `${' '.repeat(indent)}- ${lines[0]!.slice(indent + 2)}`;
  return lines;
}

/** `value` under `label` (`output:`), its lines indented by `indent`. */
export function readableJson(label: string, value: unknown, indent: number): string[] {
  return render(value, indent, label);
}
