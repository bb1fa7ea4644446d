import { linearPattern, type LinearPattern } from '../patterns/linear.js';
import type { ParamsMatcher } from './types.js';

/** Compiled `$regex` patterns, by source: a mock's pattern is compiled once, not at every call. */
const compiled = new Map<string, LinearPattern>();

function regexMatches(source: string, text: string): boolean {
  let pattern = compiled.get(source);
  if (!pattern) compiled.set(source, (pattern = linearPattern(source)));
  return pattern.test(text);
}

function asText(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
}

function isOperator<K extends string>(pattern: object, name: K): pattern is Record<K, string> {
  const keys = Object.keys(pattern);
  return keys.length === 1 && keys[0] === name;
}

/** Whether `value` matches `pattern`; see ParamsMatcher for the rules. */
export function matchesParams(pattern: ParamsMatcher, value: unknown): boolean {
  if (typeof pattern === 'function') return pattern(value);
  if (pattern instanceof RegExp) return pattern.test(asText(value));
  if (pattern === null || typeof pattern !== 'object') return Object.is(pattern, value);
  if (Array.isArray(pattern)) {
    return Array.isArray(value) && value.length === pattern.length && pattern.every((item, index) => matchesParams(item, value[index]));
  }
  if (isOperator(pattern, '$contains')) return asText(value).includes(pattern.$contains);
  // A $regex comes from a mocks file or an HTTP request: RE2, linear in the text, never a freeze.
  if (isOperator(pattern, '$regex')) return regexMatches(pattern.$regex, asText(value));
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  return Object.entries(pattern).every(([field, expected]) => matchesParams(expected, record[field]));
}
