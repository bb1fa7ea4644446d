import { linearPattern, type LinearPattern } from '../patterns/linear.js';

/**
 * Values that look like API keys, tokens or passwords. They are replaced at every exit of a run: before
 * a recording is keyed and written (so a rotated key never invalidates a recording, and no secret lands
 * in a committed cache), and in events, results, the state file, error lines, imports and a child's
 * environment.
 */
const builtinPatterns = [
  /sk-ant-[A-Za-z0-9_-]{20,}/, // Anthropic
  /sk-(?:proj-|svcacct-)?[A-Za-z0-9_-]{20,}/, // OpenAI
  /Bearer\s+[A-Za-z0-9._~+/=-]{16,}/, // any bearer token
  /AKIA[0-9A-Z]{16}/, // AWS access key id
  /gh[pousr]_[A-Za-z0-9]{30,}/, // GitHub tokens
  /xox[abprs]-[A-Za-z0-9-]{10,}/, // Slack tokens
  /AIza[0-9A-Za-z_-]{35}/, // Google API keys
  /(?<=:\/\/[^\s/:@"']+:)[^\s/@"']+(?=@)/, // the password of a URL (postgres://user:password@host)
  /(?<=[?&](?:api_?key|apikey|access_token|auth_token|token|secret|password|passwd|key)=)[^&\s"'#]+/, // a query parameter named like a secret
].map((pattern) => pattern.source);

/**
 * Literal text one of the built-in patterns must contain, as one regular expression: scanning for it
 * is a single fast pass (a third of the cost of sixteen `includes`), and the alternation of patterns,
 * whose look-behinds cost more than the rest of a replay hit, only runs where it matches.
 */
const builtinNeedle = /sk-|Bearer|AKIA|gh[pousr]_|xox|AIza|:\/\/|key=|token=|secret=|passw(?:or)?d=/;

export const redactedMarker = '[REDACTED]';

function alternation(patterns: readonly string[], flags = ''): RegExp {
  return new RegExp(patterns.map((pattern) => `(?:${pattern})`).join('|'), flags);
}

export class Redactor {
  private readonly builtin = alternation(builtinPatterns);
  private readonly everyBuiltin = alternation(builtinPatterns, 'g');
  /** The config's `cache.redact`: users' patterns, so RE2 runs them (linear in the text, whatever the pattern). */
  private readonly extra: LinearPattern | undefined;

  /** `extra`: the config's `cache.redact`, regular expressions as text (checked when the config is read). */
  constructor(extra: readonly string[] = []) {
    this.extra = extra.length ? linearPattern(extra.map((pattern) => `(?:${pattern})`).join('|')) : undefined;
  }

  /** Whether text (the canonical JSON a key is made from) holds a secret; the common case, none, stays cheap. */
  matches(text: string): boolean {
    if (this.extra?.test(text)) return true;
    return builtinNeedle.test(text) && this.builtin.test(text);
  }

  /**
   * `value` with every secret in its strings replaced: the same object when it holds none (the
   * common case costs a walk, no copies), else a copy in which only what changed is new.
   */
  scrub<T>(value: T): T {
    if (typeof value === 'string') return (this.matches(value) ? this.replaceAll(value) : value) as T;
    if (Array.isArray(value)) {
      let copy: unknown[] | undefined;
      value.forEach((item: unknown, index) => {
        const scrubbed = this.scrub(item);
        if (scrubbed !== item) (copy ??= [...value])[index] = scrubbed;
      });
      return (copy ?? value) as T;
    }
    if (value !== null && typeof value === 'object' && isPlainObject(value)) {
      const fields = value as Record<string, unknown>;
      let copy: Record<string, unknown> | undefined;
      // for...in, not Object.entries: every event of a run passes here, and the common case changes nothing.
      for (const field in fields) {
        if (!Object.hasOwn(fields, field)) continue;
        const item = fields[field];
        const scrubbed = this.scrub(item);
        if (scrubbed !== item) (copy ??= { ...fields })[field] = scrubbed;
      }
      return (copy ?? value) as T;
    }
    return value;
  }

  private replaceAll(text: string): string {
    const scrubbed = text.replace(this.everyBuiltin, redactedMarker);
    return this.extra ? this.extra.replaceAll(scrubbed, redactedMarker) : scrubbed;
  }
}

/** Objects made of fields (JSON-like data), not class instances (a Date, a Map) whose fields are not their content. */
function isPlainObject(value: object): boolean {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
