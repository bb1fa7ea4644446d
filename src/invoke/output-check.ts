import { OutputNotSerializableError } from '../errors.js';

/** Deeper than this, an output is refused rather than walked (JSON.stringify would overflow the stack first). */
const maxDepth = 1000;

/**
 * Refuses an output JSON cannot hold, saying where: a BigInt, or a value that contains itself. Such
 * an output used to be dropped silently by the CLI and answered 500 by the HTTP API while the run
 * record said `completed`. Values JSON.stringify leaves out or converts (functions, undefined, a
 * Date's toJSON) are fine.
 */
export function checkSerializable(output: unknown): void {
  const problem = find(output, '$', [], 0);
  if (problem) throw new OutputNotSerializableError(problem);
}

function find(value: unknown, path: string, ancestors: object[], depth: number): string | undefined {
  if (typeof value === 'bigint') return `${path} is a BigInt (${value}n).`;
  if (value === null || typeof value !== 'object') return undefined;
  if (ancestors.includes(value)) return `${path} refers back to ${ancestors.length === 1 ? 'the output itself' : 'one of its own parents'} (a circular reference).`;
  if (depth >= maxDepth) return `it is nested more than ${maxDepth} levels deep (at ${path}).`;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return undefined;
  ancestors.push(value);
  try {
    const entries: Array<[string, unknown]> = Array.isArray(value) ? value.map((item, index) => [`[${index}]`, item]) : Object.entries(value).map(([name, item]) => [`.${name}`, item]);
    for (const [step, item] of entries) {
      const problem = find(item, `${path}${step}`, ancestors, depth + 1);
      if (problem) return problem;
    }
    return undefined;
  } finally {
    ancestors.pop();
  }
}
