/**
 * Values that look like API keys or bearer tokens, replaced before a recording is keyed and written,
 * so a rotated key never invalidates a recording and no secret lands in a committed cache.
 */
const builtinPatterns = [
  /sk-ant-[A-Za-z0-9_-]{20,}/, // Anthropic
  /sk-(?:proj-|svcacct-)?[A-Za-z0-9_-]{20,}/, // OpenAI
  /Bearer\s+[A-Za-z0-9._~+/=-]{16,}/, // any bearer token
  /AKIA[0-9A-Z]{16}/, // AWS access key id
  /gh[pousr]_[A-Za-z0-9]{30,}/, // GitHub tokens
  /xox[abprs]-[A-Za-z0-9-]{10,}/, // Slack tokens
  /AIza[0-9A-Za-z_-]{35}/, // Google API keys
].map((pattern) => pattern.source);

export const redactedMarker = '[REDACTED]';

export class Redactor {
  private readonly any: RegExp;
  private readonly every: RegExp;

  /** `extra`: the config's `cache.redact`, regular expressions as text. */
  constructor(extra: readonly string[] = []) {
    const source = [...builtinPatterns, ...extra].map((pattern) => `(?:${pattern})`).join('|');
    this.any = new RegExp(source);
    this.every = new RegExp(source, 'g');
  }

  /** One scan of text (the canonical JSON the key is made from): the common case, nothing found, stays cheap. */
  matches(text: string): boolean {
    return this.any.test(text);
  }

  /** A copy of `value` with every secret in its strings replaced. */
  scrub<T>(value: T): T {
    if (typeof value === 'string') return value.replace(this.every, redactedMarker) as T;
    if (Array.isArray(value)) return value.map((item: unknown) => this.scrub(item)) as T;
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([field, item]) => [field, this.scrub(item)])) as T;
    }
    return value;
  }
}
