import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { jsonPath } from '../config/json-path.js';
import { lazily, zod } from '../config/lazy-zod.js';
import { patternProblem } from '../patterns/linear.js';
import { MocksFileError } from '../errors.js';
import type { Mocks } from './types.js';

/** The schemas of a mock, built when mocks are first checked (zod loads then). */
const schemas = lazily(() => {
  const z = zod();
  const usage = z.strictObject({ input_tokens: z.number().int().nonnegative(), output_tokens: z.number().int().nonnegative() });

  // JSON can only hold the data forms of a matcher; RegExp and predicates come from TypeScript.
  const matcher: z.ZodType = z.lazy(() =>
    z.union([
      z.string(),
      z.number(),
      z.boolean(),
      z.null(),
      z.array(matcher),
      z.record(z.string(), matcher).superRefine((fields, context) => {
        // An operator that could never match as meant is refused here, where the file and the path can be named:
        // a $regex RE2 cannot run, an operand that is not text, an operator beside other fields (then read as a field named "$regex").
        for (const operator of ['$regex', '$contains'] as const) {
          if (!(operator in fields)) continue;
          const operand = fields[operator];
          if (typeof operand !== 'string') {
            context.addIssue({ code: 'custom', path: [operator], message: `${operator} takes a string, not ${operand === null ? 'null' : Array.isArray(operand) ? 'a list' : `a ${typeof operand}`}` });
          } else if (Object.keys(fields).length > 1) {
            context.addIssue({ code: 'custom', path: [], message: `${operator} stands alone in its object, not beside ${Object.keys(fields).filter((key) => key !== operator).join(', ')}; match each field in its own place` });
          } else if (operator === '$regex') {
            const problem = patternProblem(operand);
            if (problem) context.addIssue({ code: 'custom', path: ['$regex'], message: `the pattern ${JSON.stringify(operand)} cannot be used: ${problem}` });
          }
        }
      }),
    ]),
  );

  const success = z.strictObject({
    status: z.literal('success'),
    output: z.unknown().refine((output) => output !== undefined, 'a success mock needs an "output"'),
    usage: usage.optional(),
    cost_usd: z.number().nonnegative().optional(),
    when: matcher.optional(),
  });

  const failure = z.strictObject({
    status: z.literal('error'),
    error: z.union([z.string(), z.strictObject({ message: z.string(), code: z.string().optional(), status: z.number().int().min(400).max(599).optional() })], {
      error: (issue) =>
        issue.input === undefined
          ? 'an error mock needs an "error": its message, or { "message", "code"?, "status"? }'
          : issue.code === 'invalid_union'
            ? '"error" is a message, or { "message", "code"?, "status"? }'
            : undefined,
    }),
    when: matcher.optional(),
  });

  const rule = z.discriminatedUnion('status', [success, failure], {
    error: (issue) =>
      issue.code === 'invalid_union' ? 'each mock needs "status": "success" (with "output") or "error" (with "error")' : undefined,
  });

  const ruleList = z.array(rule).min(1, 'a list of mocks needs at least one');
  return { rule, ruleList };
});

function lineAndColumn(text: string, position: number): string {
  const before = text.slice(0, position).split('\n');
  return `line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`;
}

/** Checks mocks that came from JSON (a file, or an HTTP body) and names the exact place of a fault. */
export function parseMocks(value: unknown, source: string): Mocks {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new MocksFileError(source, '$', 'mocks must be an object keyed by action type, e.g. { "llm.message": [...] }.');
  }
  // Each action type is checked on its own: a union of "rule or list" would report only that
  // neither matched, and lose the path of the field at fault.
  for (const [actionType, spec] of Object.entries(value)) {
    const { rule, ruleList } = schemas();
    const checked = (Array.isArray(spec) ? ruleList : rule).safeParse(spec);
    if (checked.success) continue;
    const issue = checked.error.issues[0];
    throw new MocksFileError(source, jsonPath([actionType, ...(issue?.path ?? [])]), issue?.message ?? 'invalid mock');
  }
  return value as Mocks;
}

export function loadMocksFile(file: string): Mocks {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').replace(/^\uFEFF/, ''); // a byte-order mark is not part of the JSON
  } catch (error) {
    throw new MocksFileError(file, '$', `the file cannot be read (${(error as Error).message}).`, {
      hint: 'Check the path given to --mocks (relative paths start from the current directory).',
      cause: error,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const position = /position (\d+)/.exec((error as Error).message);
    const where = position ? ` (${lineAndColumn(text, Number(position[1]))})` : '';
    throw new MocksFileError(file, '$', `it is not valid JSON${where}: ${(error as Error).message}`, { cause: error });
  }
  return parseMocks(value, file);
}
