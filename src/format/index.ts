import { UsageError } from '../errors.js';
import type { Formatted, InvokeResult, OutputFormat } from '../invoke/types.js';
import { toJsonSummary } from './json.js';
import { toText } from './text.js';

export const outputFormats: readonly OutputFormat[] = ['events', 'text', 'json'];

export function checkFormat(format: string): OutputFormat {
  if ((outputFormats as readonly string[]).includes(format)) return format as OutputFormat;
  throw new UsageError(`Format "${format}" is not one of: ${outputFormats.join(', ')}.`);
}

export function formatResult(result: Omit<InvokeResult, 'formatted'>, format: OutputFormat = 'events', verbose = false): Formatted {
  if (format === 'text') return toText(result, verbose);
  if (format === 'json') return toJsonSummary(result);
  return result.events;
}
