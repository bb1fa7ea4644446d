/** outputFormat and outputSchema: checked on the final output; a failure fails the invocation with a clear error. */
import { describe, expect, it } from 'vitest';
import { defineBot, invoke, OutputSchemaMismatchError, type BotInput, type InvokeOptions } from '../../src/index.js';
import { tempDir } from '../support/temp.js';

/** Returns whatever the test puts in parameters.output, and records its input. */
function returning(seen: BotInput[] = []) {
  return defineBot({
    key: 'returns',
    version: 'v1',
    run: (input) => {
      seen.push(input);
      return input.parameters.output;
    },
  });
}

function run(output: unknown, options: InvokeOptions) {
  return invoke(returning(), { mode: 'manual', env: {}, cwd: tempDir(), parameters: { output }, ...options });
}

const answerSchema = {
  type: 'object',
  required: ['answer', 'confidence'],
  properties: { answer: { type: 'string' }, confidence: { type: 'number', minimum: 0, maximum: 1 } },
};

describe('outputFormat', () => {
  it('is handed to the bot', async () => {
    const seen: BotInput[] = [];
    await invoke(returning(seen), { mode: 'manual', env: {}, cwd: tempDir(), outputFormat: 'markdown' });
    expect(seen[0]!.outputFormat).toBe('markdown');
  });

  it('json: an object or a string that parses passes, the output left as the bot gave it', async () => {
    const asObject = await run({ answer: 'yes' }, { outputFormat: 'json' });
    expect(asObject.success).toBe(true);
    expect(asObject.result.output).toEqual({ answer: 'yes' });
    const asText = await run('{"answer":"yes"}', { outputFormat: 'json' });
    expect(asText.success).toBe(true);
    expect(asText.result.output).toBe('{"answer":"yes"}');
  });

  it('json: text that is not JSON fails the invocation with OUTPUT_NOT_JSON', async () => {
    const result = await run('Sure! Here it is: {answer: yes}', { outputFormat: 'json' });
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ code: 'OUTPUT_NOT_JSON', message: expect.stringContaining('does not parse as JSON') });
    expect(result.result.output).toBeUndefined();
  });

  it('text and markdown accept any output', async () => {
    expect((await run('plain words', { outputFormat: 'text' })).success).toBe(true);
    expect((await run('# Title', { outputFormat: 'markdown' })).success).toBe(true);
  });

  it('an unknown format is a usage error', async () => {
    await expect(run('x', { outputFormat: 'yaml' as never })).rejects.toThrow(/outputFormat is "yaml"; use one of text, markdown, json/);
  });
});

describe('outputSchema', () => {
  it('passes an output that matches, as an object or as a JSON string', async () => {
    expect((await run({ answer: 'yes', confidence: 0.9 }, { outputSchema: answerSchema })).success).toBe(true);
    expect((await run('{"answer":"yes","confidence":0.9}', { outputSchema: answerSchema })).success).toBe(true);
  });

  it('fails a mismatch with OUTPUT_SCHEMA_MISMATCH, naming the instance path and the schema path at fault', async () => {
    const result = await run({ answer: 'yes', confidence: 7 }, { outputSchema: answerSchema });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('OUTPUT_SCHEMA_MISMATCH');
    expect(result.error?.message).toBe('The output does not match the output schema: /confidence must be <= 1 (schema #/properties/confidence/maximum).');
    const events = result.events.at(-1)!;
    expect(events).toMatchObject({ type: 'invocation.completed', status: 'failed', error: { code: 'OUTPUT_SCHEMA_MISMATCH' } });
  });

  it('names every fault (up to five), a missing property at the whole output', async () => {
    const result = await run('{"answer": 3}', { outputSchema: answerSchema });
    expect(result.error?.message).toContain("(the whole output) must have required property 'confidence' (schema #/required)");
    expect(result.error?.message).toContain('/answer must be string (schema #/properties/answer/type)');
  });

  it('validates text that is not JSON as a string', async () => {
    expect((await run('just text', { outputSchema: { type: 'string', maxLength: 20 } })).success).toBe(true);
    const result = await run('just text', { outputSchema: { type: 'object' } });
    expect(result.error?.message).toContain('(the whole output) must be object (schema #/type)');
  });

  it('takes 2020-12 schemas when $schema says so', async () => {
    const schema = { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'array', prefixItems: [{ type: 'string' }] };
    expect((await run(['a'], { outputSchema: schema })).success).toBe(true);
    expect((await run([1], { outputSchema: schema })).error?.message).toContain('/0 must be string (schema #/prefixItems/0/type)');
  });

  it('a schema that does not compile is a usage error before the run', async () => {
    const seen: BotInput[] = [];
    const failed = invoke(returning(seen), { mode: 'manual', env: {}, cwd: tempDir(), outputSchema: { type: 'objekt' } });
    await expect(failed).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining('outputSchema is not a valid JSON Schema') });
    await expect(run('x', { outputSchema: { type: 'object', requried: ['a'] } })).rejects.toThrow(/unknown keyword: "requried"/);
    expect(seen).toHaveLength(0);
  });

  it('the error is a typed RehearseError a program can catch by class', () => {
    const error = new OutputSchemaMismatchError([{ instancePath: '/a', schemaPath: '#/properties/a/type', message: 'must be string' }]);
    expect(error.code).toBe('OUTPUT_SCHEMA_MISMATCH');
    expect(error.faults).toHaveLength(1);
  });
});
