import type { z as Zod } from 'zod';
import { zod } from '../config/lazy-zod.js';
import { modeNames } from '../config/resolve.js';
import { providerNames } from '../providers/registry.js';
import { inputMessage, inputParameters } from '../invoke/input-schema.js';
import type { InvokeOptions } from '../invoke/types.js';
import { parseMocks } from '../mocks/load.js';
import { badRequest, missingField } from '../http/http-error.js';

/**
 * The body of `POST /v1/agents/{agent_id}/invoke` (and of /stream and /async), in the snake_case of
 * hosted agent APIs. Unknown fields are refused, so a misspelt option is an error, not silently ignored.
 */
const z = zod();
const message = inputMessage();
const parameters = inputParameters();

const file = z.union([
  z.strictObject({ path: z.string().min(1) }),
  z.strictObject({ name: z.string().min(1), content: z.string(), media_type: z.string().min(1).optional() }),
]);

const invokeBody = z.strictObject({
  query: z.string().optional(),
  input: z.strictObject({ text: z.string().optional(), messages: z.array(message).optional(), parameters: parameters.optional() }).optional(),
  parameters: parameters.optional(),
  session_id: z.string().optional(),
  thread_id: z.string().optional(),
  mode: z.enum(modeNames).optional(),
  refresh: z.boolean().optional(),
  strict: z.boolean().optional(),
  mocks: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional(),
  datasets: z.array(z.string()).optional(),
  llm_provider: z.enum(providerNames() as [string, ...string[]]).optional(),
  llm_model: z.string().min(1).optional(),
  reasoning_effort: z.enum(['minimal', 'low', 'medium', 'high']).optional(),
  instructions_override: z.string().optional(),
  additional_context: z.string().optional(),
  files: z.array(file).optional(),
  disable_attachment_injection: z.boolean().optional(),
  output_format: z.enum(['text', 'markdown', 'json']).optional(),
  output_schema: z.record(z.string(), z.unknown()).optional(),
  timeout_ms: z.number().int().positive().optional(),
});

export type InvokeBody = Zod.infer<typeof invokeBody>;

/** `input.text`, `files[0].path`: where a field is, as a client would write it. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${String(part)}` : String(part)), '');
}

function checkedBody(value: unknown): InvokeBody {
  const checked = invokeBody.safeParse(value);
  if (checked.success) return checked.data;
  const issue = checked.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const names = issue.keys.map((key) => fieldPath([...issue.path, key]));
    const known = issue.path.length === 0 ? ` Known fields: ${Object.keys(invokeBody.shape).join(', ')}.` : '';
    throw badRequest(`Unknown field${names.length > 1 ? 's' : ''} ${names.join(', ')}.${known}`);
  }
  const where = fieldPath(issue.path);
  throw badRequest(where ? `${where}: ${issue.message}` : issue.message);
}

export interface RequestPolicy {
  /** Whether the body may name files on the server's disk (`files[].path`, a `mocks` path). */
  allowFilePaths: boolean;
}

function refusePath(field: string): never {
  throw badRequest(
    `${field}: this server does not read its own files for a client. Send the content inline (files: [{ "name", "content" }], mocks as an object), or start the server with --allow-file-paths.`,
  );
}

/** Checks a request body and turns it into invoke() options; every fault is a 400 naming the field. */
export function invokeOptionsFrom(value: unknown, policy: RequestPolicy): InvokeOptions {
  const body = checkedBody(value);
  const prompt = body.query ?? body.input?.text;
  if (body.query !== undefined && body.input?.text !== undefined) throw badRequest('query, input.text: give the prompt in one of them, not both.');
  if (prompt === undefined || prompt.trim() === '') {
    throw missingField(body.input ? 'input.text' : 'query', `${body.input ? 'input.text' : 'query'} is required: the prompt, as "query" or "input": { "text" }.`);
  }
  if (body.session_id !== undefined && body.thread_id !== undefined && body.session_id !== body.thread_id) {
    throw badRequest('session_id, thread_id: they name one conversation; give one of them (or the same id in both).');
  }
  const sessionId = body.session_id ?? body.thread_id;
  body.files?.forEach((entry, index) => {
    if ('path' in entry && !policy.allowFilePaths) refusePath(`files[${index}].path`);
  });
  if (typeof body.mocks === 'string' && !policy.allowFilePaths) refusePath('mocks');
  const llm = {
    ...(body.llm_provider !== undefined && { provider: body.llm_provider }),
    ...(body.llm_model !== undefined && { model: body.llm_model }),
    ...(body.reasoning_effort !== undefined && { reasoningEffort: body.reasoning_effort }),
  };
  return {
    input: { prompt, ...(body.input?.messages && { messages: body.input.messages }), ...(body.input?.parameters && { parameters: body.input.parameters }) },
    ...(body.parameters !== undefined && { parameters: body.parameters }),
    ...(sessionId !== undefined && { sessionId }),
    ...(body.mode !== undefined && { mode: body.mode }),
    ...(body.refresh !== undefined && { refresh: body.refresh }),
    ...(body.strict !== undefined && { strict: body.strict }),
    ...(body.mocks !== undefined && { mocks: typeof body.mocks === 'string' ? body.mocks : parseMocks(body.mocks, 'the request body, field mocks') }),
    ...(body.datasets !== undefined && { datasets: body.datasets }),
    ...(Object.keys(llm).length > 0 && { llm }),
    ...(body.instructions_override !== undefined && { instructions: body.instructions_override }),
    ...(body.additional_context !== undefined && { additionalContext: body.additional_context }),
    ...(body.files !== undefined && {
      files: body.files.map((entry) => ('path' in entry ? entry : { name: entry.name, content: entry.content, ...(entry.media_type !== undefined && { mediaType: entry.media_type }) })),
    }),
    ...(body.disable_attachment_injection !== undefined && { disableAttachmentInjection: body.disable_attachment_injection }),
    ...(body.output_format !== undefined && { outputFormat: body.output_format }),
    ...(body.output_schema !== undefined && { outputSchema: body.output_schema }),
    ...(body.timeout_ms !== undefined && { timeoutMs: body.timeout_ms }),
  };
}
