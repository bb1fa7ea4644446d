/** What both local provider fakes need to read requests and write answers, piece by piece. */
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Writes one SSE event and waits until it has been handed to the socket. Node corks the socket for the
 * rest of the tick on each write, so without waiting, all events would leave in a single TCP write.
 */
export function write(res: ServerResponse, data: string): Promise<void> {
  return new Promise((resolve) => {
    const onClose = (): void => resolve();
    res.once('close', onClose);
    res.write(data, () => {
      res.off('close', onClose);
      resolve();
    });
  });
}

/** Waits `ms`, or less if the response is torn down first (so close() never waits on a delayed reply). */
export function sleepUnlessClosed(ms: number, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      res.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    res.once('close', done);
  });
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Splits text into word pieces that keep their trailing whitespace, so joining them gives the text back. */
export function splitWords(text: string): string[] {
  return text.split(/(?<=\s)(?=\S)/).filter((piece) => piece !== '');
}

export function splitFixed(text: string, size: number): string[] {
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
  return pieces;
}
