/** One Server-Sent Event: its `event:` name (absent for OpenAI's chunks) and its joined `data:` lines. */
export interface ServerSentEvent {
  event: string | undefined;
  data: string;
}

/**
 * Parses a text/event-stream body as it arrives (per the WHATWG EventSource rules: CR, LF or CRLF
 * line ends, `:` comments, multi-line data joined by LF, a blank line ends an event). An event
 * still open when the stream ends is dropped: a stream cut off mid-event must not look complete.
 */
export async function* parseServerSentEvents(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let event: string | undefined;
  let data: string[] = [];
  for await (const chunk of body) {
    buffer += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let lineEnd: number;
    while ((lineEnd = buffer.search(/\r\n|\r|\n/)) >= 0) {
      // A lone CR at the end of the buffer may be the first half of a CRLF: wait for more.
      if (buffer[lineEnd] === '\r' && lineEnd === buffer.length - 1) break;
      const line = buffer.slice(0, lineEnd);
      buffer = buffer.slice(lineEnd + (buffer.startsWith('\r\n', lineEnd) ? 2 : 1));
      if (line === '') {
        if (data.length > 0) yield { event, data: data.join('\n') };
        event = undefined;
        data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
  }
}
