import { describe, expect, it } from 'vitest';
import { parseServerSentEvents, type ServerSentEvent } from '../../src/wire/sse.js';
import { parseRetryAfter } from '../../src/live/llm/retry.js';

async function parse(chunks: string[]): Promise<ServerSentEvent[]> {
  const encoder = new TextEncoder();
  async function* body() {
    for (const chunk of chunks) yield encoder.encode(chunk);
  }
  const events: ServerSentEvent[] = [];
  for await (const event of parseServerSentEvents(body())) events.push(event);
  return events;
}

describe('parseServerSentEvents', () => {
  it('reads OpenAI-style data-only events and Anthropic-style named events', async () => {
    expect(await parse(['data: {"a":1}\n\ndata: [DONE]\n\n'])).toEqual([
      { event: undefined, data: '{"a":1}' },
      { event: undefined, data: '[DONE]' },
    ]);
    expect(await parse(['event: message_start\ndata: {"type":"message_start"}\n\nevent: ping\ndata: {"type":"ping"}\n\n'])).toEqual([
      { event: 'message_start', data: '{"type":"message_start"}' },
      { event: 'ping', data: '{"type":"ping"}' },
    ]);
  });

  it('joins events split across chunks anywhere, even inside a CRLF or a multi-byte character', async () => {
    const euro = new TextEncoder().encode('€');
    const encoder = new TextEncoder();
    async function* body() {
      yield encoder.encode('event: x\r');
      yield encoder.encode('\ndata: price ');
      yield euro.slice(0, 1);
      yield euro.slice(1);
      yield encoder.encode('\r\n\r\n');
    }
    const events: ServerSentEvent[] = [];
    for await (const event of parseServerSentEvents(body())) events.push(event);
    expect(events).toEqual([{ event: 'x', data: 'price €' }]);
  });

  it('skips comments, joins multi-line data with LF, and drops an event the stream cut off', async () => {
    expect(await parse([': keep-alive\n', 'data: one\ndata: two\n\n', 'data: cut off'])).toEqual([{ event: undefined, data: 'one\ntwo' }]);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates, and ignores what it cannot read', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('0.5')).toBe(500);
    expect(parseRetryAfter(new Date(10_000 + 3000).toUTCString(), 10_000)).toBe(3000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});
