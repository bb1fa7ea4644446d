import type { z } from 'zod';
import { lazily, zod } from '../config/lazy-zod.js';

/**
 * What a bot's input may hold, checked the same way on every surface: invoke() (and so the CLI's
 * `-i file`) and the HTTP API. A message is one of the four roles with text content.
 */
export const inputMessage = lazily(() => {
  const z = zod();
  return z.strictObject({
    role: z.enum(['system', 'user', 'assistant', 'tool']),
    content: z.string().nullable(),
    /** On assistant messages that called tools (an earlier turn of an agent loop). */
    tool_calls: z.array(z.strictObject({ id: z.string(), name: z.string(), arguments: z.string() })).optional(),
    tool_call_id: z.string().optional(),
    name: z.string().optional(),
  });
});

/** Named values for the bot: an object, never a list. */
export const inputParameters = lazily(() => zod().record(zod().string(), zod().unknown()));

/** The first problem zod found, as "<path>: <message>" (the path as input.messages[0].role). */
export function firstProblem(error: z.ZodError, root: string): string {
  const issue = error.issues[0]!;
  const path = issue.path.reduce<string>((text, part) => (typeof part === 'number' ? `${text}[${part}]` : `${text}.${String(part)}`), root);
  return `${path}: ${issue.message}`;
}
