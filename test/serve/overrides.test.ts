import { describe, expect, it } from 'vitest';
import { parseServerSentEvents } from '../../src/wire/sse.js';
import { call, mockedBody, startTestServer, type TestServer } from './support.js';

const overrides = {
  llm_provider: 'anthropic',
  llm_model: 'claude-sonnet-4-5',
  reasoning_effort: 'low',
  instructions_override: 'Answer in French.',
  additional_context: 'The customer is on the gold plan.',
  files: [{ name: 'order.txt', content: 'Order A-1187: charged twice.', media_type: 'text/plain' }],
};

/** Streams one invocation and returns the params of its llm.message calls (action.started) and its result. */
async function streamedLlmParams(server: TestServer, body: unknown): Promise<{ params: Array<Record<string, any>>; result: Record<string, any> | undefined }> {
  const response = await fetch(`${server.url}/v1/agents/echo-bot/invoke/stream`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const params: Array<Record<string, any>> = [];
  let result: Record<string, any> | undefined;
  for await (const event of parseServerSentEvents(response.body!)) {
    const data = JSON.parse(event.data);
    if (event.event === 'action.started' && data.action_type === 'llm.message') params.push(data.params);
    if (event.event === 'result') result = data;
  }
  return { params, result };
}

describe('per-invocation overrides over HTTP', () => {
  it('reach the LLM params (action.started in the stream) and are reported in metadata.llm', async () => {
    const server = await startTestServer();
    const { params, result } = await streamedLlmParams(server, mockedBody('Where is my refund?', 'Bientôt.', overrides));
    expect(params).toHaveLength(1);
    expect(params[0]).toMatchObject({ provider: 'anthropic', model: 'claude-sonnet-4-5', reasoning_effort: 'low' });
    expect(params[0]!.system).toBe('# Instructions for this run\nAnswer in French.\n\n# Context for this run\nThe customer is on the gold plan.');
    expect(JSON.stringify(params[0]!.messages)).toContain('Order A-1187: charged twice.');
    expect(result).toMatchObject({
      status: 'completed',
      result: 'Bientôt.',
      metadata: { llm: [{ provider: 'anthropic', model: 'claude-sonnet-4-5', reasoning_effort: 'low', calls: 1 }] },
    });
  });

  it('leave the attachments out of the LLM params with disable_attachment_injection', async () => {
    const server = await startTestServer();
    const { params, result } = await streamedLlmParams(server, mockedBody('Where is my refund?', 'Soon.', { files: overrides.files, disable_attachment_injection: true }));
    expect(result?.status).toBe('completed');
    expect(params[0]!.messages).toEqual([{ role: 'user', content: 'Where is my refund?' }]);
  });

  it('reports the model the bot chose when nothing is overridden', async () => {
    const server = await startTestServer();
    const answer = await call(server, 'POST', '/v1/agents/echo-bot/invoke', { body: mockedBody('hi', 'ok') });
    expect(answer.body.metadata.llm).toEqual([{ provider: 'openai', model: 'gpt-4o-mini', reasoning_effort: null, calls: 1 }]);
  });
});

describe('output_format and output_schema', () => {
  const schema = { type: 'object', required: ['answer'], properties: { answer: { type: 'string' } }, additionalProperties: false };

  it('completes when the output matches the schema, and answers JSON as JSON', async () => {
    const server = await startTestServer();
    const answer = await call(server, 'POST', '/v1/agents/echo-bot/invoke', {
      body: mockedBody('Is it refundable?', '{"answer": "yes"}', { output_format: 'json', output_schema: schema }),
    });
    expect(answer.body).toMatchObject({ status: 'completed', result: { answer: 'yes' }, error: null });
  });

  it('fails the invocation, naming the place at fault, when the output breaks the schema', async () => {
    const server = await startTestServer();
    const answer = await call(server, 'POST', '/v1/agents/echo-bot/invoke', {
      body: mockedBody('Is it refundable?', '{"answer": 42}', { output_schema: schema }),
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 'failed', result: null, error: { code: 'OUTPUT_SCHEMA_MISMATCH' } });
    expect(answer.body.error.message).toContain('/answer must be string');
  });

  it('fails a text answer when JSON was asked for', async () => {
    const server = await startTestServer();
    const answer = await call(server, 'POST', '/v1/agents/echo-bot/invoke', { body: mockedBody('Is it refundable?', 'Yes it is.', { output_format: 'json' }) });
    expect(answer.body).toMatchObject({ status: 'failed', error: { code: 'OUTPUT_NOT_JSON' } });
  });

  it('refuses a schema that is not a JSON Schema with 400', async () => {
    const server = await startTestServer();
    const answer = await call(server, 'POST', '/v1/agents/echo-bot/invoke', { body: mockedBody('hi', 'ok', { output_schema: { type: 'no-such-type' } }) });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('outputSchema is not a valid JSON Schema') });
  });
});
