/** One place where two params objects differ. `before` or `after` is undefined where the field is absent. */
export interface ParamDifference {
  path: string;
  before: unknown;
  after: unknown;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? (parent ? `${parent}.${key}` : key) : `${parent}[${JSON.stringify(key)}]`;
}

/** Every leaf where `before` and `after` differ, as field paths (`messages[1].content`). */
export function diffParams(before: unknown, after: unknown, path = ''): ParamDifference[] {
  if (Object.is(before, after)) return [];
  if (Array.isArray(before) && Array.isArray(after)) {
    const differences: ParamDifference[] = [];
    for (let index = 0; index < Math.max(before.length, after.length); index++) {
      differences.push(...diffParams(before[index], after[index], childPath(path, index)));
    }
    return differences;
  }
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => diffParams(before[key], after[key], childPath(path, key)));
  }
  return [{ path: path || '(params)', before, after }];
}

/** A value for one line of an error message: JSON, cut in the middle when long. */
export function shorten(value: unknown, max = 80): string {
  if (value === undefined) return '(absent)';
  const text = JSON.stringify(value) ?? String(value);
  if (text.length <= max) return text;
  const half = Math.floor((max - 5) / 2);
  return `${text.slice(0, half)} ... ${text.slice(-half)}`;
}

/**
 * Both sides of a difference for one line of an error message. Two long strings are shown around
 * where they first differ (cutting their middles would hide exactly the change: "friendly" vs "formal").
 */
export function showChange(before: unknown, after: unknown, max = 80): [string, string] {
  if (typeof before !== 'string' || typeof after !== 'string' || (before.length <= max && after.length <= max)) {
    return [shorten(before, max), shorten(after, max)];
  }
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start++;
  const context = 20;
  const from = Math.max(0, start - context);
  const window = (text: string) => {
    const piece = text.slice(from, from + max - 10);
    return `${from > 0 ? '…' : ''}${JSON.stringify(piece).slice(1, -1)}${from + piece.length < text.length ? '…' : ''}`;
  };
  return [`"${window(before)}"`, `"${window(after)}"`];
}
