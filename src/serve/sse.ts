import type { ServerResponse } from 'node:http';
import { sseFrame } from '../wire/pieces.js';

/** A comment line every so often keeps proxies and load balancers from closing a quiet stream. */
const heartbeatMs = 15_000;

export interface EventStream {
  /** Writes `event: <name>\ndata: <json>\n\n`. JSON text has no raw newlines, so one data line is enough. */
  send(event: string, data: unknown): void;
  end(): void;
}

/** Starts a text/event-stream answer on `res`. */
export function openEventStream(res: ServerResponse, headers: Readonly<Record<string, string>> = {}): EventStream {
  res.writeHead(200, {
    ...headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // nginx buffers answers unless told not to, which would hold every event back until the end.
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), heartbeatMs);
  heartbeat.unref();
  res.once('close', () => clearInterval(heartbeat));
  return {
    send(event, data) {
      if (!res.writableEnded && !res.destroyed) res.write(sseFrame(data, event));
    },
    end() {
      clearInterval(heartbeat);
      if (!res.writableEnded) res.end();
    },
  };
}
