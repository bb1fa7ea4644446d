import { createRequire } from 'node:module';
import type { Ajv, Options, ValidateFunction } from 'ajv';
import type { Ajv2019 } from 'ajv/dist/2019.js';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import { OutputNotJsonError, OutputSchemaMismatchError, UsageError } from '../errors.js';

export const botOutputFormats = ['text', 'markdown', 'json'] as const;
export type BotOutputFormat = (typeof botOutputFormats)[number];

/** At most this many faults are named in the error: the first ones are what to fix. */
const maxFaults = 5;

/**
 * Unknown keywords are schema mistakes (a typo'd `requried` would silently accept anything), so they
 * fail the schema; formats are not checked (they need a plugin rehearse does not ship); the type-related
 * strictness that common hand-written schemas trip over stays off.
 */
const ajvOptions: Options = { allErrors: true, strictSchema: true, strictTypes: false, strictTuples: false, strictRequired: false, validateFormats: false, logger: false };

export function checkOutputFormat(value: unknown): BotOutputFormat | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && (botOutputFormats as readonly string[]).includes(value)) return value as BotOutputFormat;
  throw new UsageError(`outputFormat is ${JSON.stringify(value)}; use one of ${botOutputFormats.join(', ')}.`);
}

/** ajv (CommonJS) is required when a schema is given, not at start-up: most invocations have none. */
const require = createRequire(import.meta.url);

/** The draft the schema names with `$schema` (2020-12, 2019-09), else draft-07. */
function ajvFor(schema: Record<string, unknown>): Ajv {
  const draft = typeof schema.$schema === 'string' ? schema.$schema : '';
  if (draft.includes('2020-12')) return new (require('ajv/dist/2020.js') as { Ajv2020: typeof Ajv2020 }).Ajv2020(ajvOptions);
  if (draft.includes('2019-09')) return new (require('ajv/dist/2019.js') as { Ajv2019: typeof Ajv2019 }).Ajv2019(ajvOptions);
  return new (require('ajv') as { Ajv: typeof Ajv }).Ajv(ajvOptions);
}

/** Compiles the schema before the run: a schema that cannot work is the caller's mistake, found before anything is spent. */
export function compileOutputSchema(schema: unknown): ValidateFunction | undefined {
  if (schema === undefined) return undefined;
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) throw new UsageError('outputSchema must be a JSON Schema object, e.g. { "type": "object" }.');
  try {
    return ajvFor(schema as Record<string, unknown>).compile(schema);
  } catch (error) {
    throw new UsageError(`outputSchema is not a valid JSON Schema: ${(error as Error).message}`, {
      hint: 'Draft-07 by default; name "$schema": "https://json-schema.org/draft/2020-12/schema" for 2020-12.',
    });
  }
}

/** A string output is read as JSON when it parses; `undefined` when it does not. */
function parsed(output: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(output) as unknown };
  } catch {
    return undefined;
  }
}

/**
 * The check the final output must pass, or undefined when the invocation asks for none. It throws
 * OutputNotJsonError or OutputSchemaMismatchError, which fail the invocation.
 */
export function outputCheck(format: BotOutputFormat | undefined, validate: ValidateFunction | undefined): ((output: unknown) => void) | undefined {
  if (format !== 'json' && !validate) return undefined;
  return (output) => {
    const json = typeof output === 'string' ? parsed(output) : undefined;
    if (format === 'json') {
      if (output === undefined) throw new OutputNotJsonError('the bot returned nothing.');
      if (typeof output === 'string' && !json) throw new OutputNotJsonError(`the output is text that does not parse as JSON: ${JSON.stringify(output.slice(0, 120))}.`);
    }
    if (!validate) return;
    const value = json ? json.value : output;
    if (validate(value)) return;
    const faults = (validate.errors ?? []).slice(0, maxFaults).map((error) => ({
      instancePath: error.instancePath,
      schemaPath: error.schemaPath,
      message: error.message ?? `fails ${error.keyword}`,
    }));
    throw new OutputSchemaMismatchError(faults);
  };
}
