/** What both local provider fakes need to read requests and write answers, piece by piece. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

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

export interface LocalServer {
  port: number;
  /** Stops accepting and destroys open sockets (keep-alive and hung ones too). Idempotent. */
  close(): Promise<void>;
}

/** Serves `handle` on 127.0.0.1 at a random port; a request torn down mid-answer is dropped quietly. */
export async function listenLocal(handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Promise<LocalServer> {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      // Only reached when the client or close() tore the connection down mid-request; nothing to answer.
      res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  let closed: Promise<void> | undefined;
  return {
    port: (server.address() as AddressInfo).port,
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // server.close() only stops accepting; keep-alive and hung sockets must be destroyed explicitly.
        for (const socket of sockets) socket.destroy();
      });
      return closed;
    },
  };
}
