/** Clients that hang up in the middle of an upload are not server faults: nothing is logged, and the server goes on. */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { call, startTestServer } from './support.js';

describe('an upload the client abandons', () => {
  it('is not logged as an internal error, 20 times over, and the server keeps answering', async () => {
    const logged: string[] = [];
    const server = await startTestServer({ log: (line: string) => void logged.push(line) });
    for (let attempt = 0; attempt < 20; attempt++) {
      await new Promise<void>((resolve) => {
        const upload = request(`${server.url}/v1/agents/echo-bot/invoke`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '100000' } });
        upload.on('error', () => resolve());
        upload.write('{"query": "half of a body');
        setTimeout(() => {
          upload.destroy();
          resolve();
        }, 20);
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(logged.filter((line) => line.includes('internal error'))).toEqual([]);
    expect((await call(server, 'GET', '/health')).status).toBe(200);
  });
});
