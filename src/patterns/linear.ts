import { createRequire } from 'node:module';
import type { RE2JS as Re2 } from 're2js';

/** re2js, required when a pattern is first given (most configs and mocks have none), not at start-up. */
const require = createRequire(import.meta.url);
let re2: typeof Re2 | undefined;
function RE2JS(): typeof Re2 {
  re2 ??= (require('re2js') as { RE2JS: typeof Re2 }).RE2JS;
  return re2;
}

/**
 * A regular expression a user or an HTTP client gave (a mock's `$regex`, a `cache.redact` pattern),
 * run by RE2 (re2js) in time linear in the text: a pattern like `(a+)+$` can no longer freeze the
 * process, whoever sends it. RE2 has no backreferences and no lookaround; such a pattern is refused
 * when it is given, with the reason.
 */
export interface LinearPattern {
  readonly source: string;
  /** Whether it matches anywhere in the text. */
  test(text: string): boolean;
  /** The text with every match replaced. */
  replaceAll(text: string, replacement: string): string;
}

/** Why a pattern cannot be used, in words; undefined when it can. */
export function patternProblem(source: string): string | undefined {
  try {
    RE2JS().compile(source);
    return undefined;
  } catch (error) {
    return `${(error as Error).message.replace(/^error parsing regexp: /, '')} (patterns are RE2 syntax, run in linear time: no backreferences, no lookahead or lookbehind)`;
  }
}

/** Compiles a pattern; throws with patternProblem's words when it cannot be used (validate first where a file and path can be named). */
export function linearPattern(source: string): LinearPattern {
  const problem = patternProblem(source);
  if (problem) throw new Error(`The pattern ${JSON.stringify(source)} cannot be used: ${problem}`);
  const compiled = RE2JS().compile(source);
  return {
    source,
    test: (text) => compiled.test(text),
    replaceAll: (text, replacement) => compiled.matcher(text).replaceAll(() => replacement),
  };
}
