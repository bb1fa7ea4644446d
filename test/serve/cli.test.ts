import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp.js';
import { call, mockedBody, repoRoot, startTestServer, testConfig } from './support.js';

/** Starts the built CLI's `rehearse serve`, waits for its "listening on" line, and stops it as that line says (kill <pid>). */
async function serveCli(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [join(repoRoot, 'bin/rehearse.js'), 'serve', '--port', '0', ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const [url, pid] = await new Promise<[string, number]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening on" line; stderr: ${stderr}`)), 15_000);
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      const found = /listening on (http:\/\/\S+) .*Stop it with Ctrl-C, or: kill (\d+)\n/.exec(stderr);
      if (found) {
        clearTimeout(timer);
        resolve([found[1]!, Number(found[2])]);
      }
    });
    child.on('close', () => reject(new Error(`rehearse serve exited: ${stderr}`)));
  });
  return {
    url,
    pid,
    childPid: child.pid,
    stop: async () => {
      process.kill(pid, 'SIGTERM');
      return { code: await exited, stderr };
    },
  };
}

describe('rehearse serve (the CLI)', () => {
  it('listens where it says, takes its limits from the options, and closes on SIGTERM', async () => {
    const state = join(tempDir(), 'state.sqlite');
    const server = await serveCli(['--config', testConfig, '--state', state, '--max-body', '2kb', '--rate-limit', '1/hour', '--max-concurrency', '3'], { REHEARSE_SERVER_TOKEN: 'cli-token' });
    try {
      const running = { url: server.url, port: 0, host: '127.0.0.1', close: async () => {} };
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      // The pid the start-up line names is the server's own, so `kill <pid>` stops it (stop() does).
      expect(server.pid).toBe(server.childPid);
      expect((await call(running, 'GET', '/health')).status).toBe(200);
      expect((await call(running, 'GET', '/v1/agents')).status).toBe(401);
      const big = await call(running, 'POST', '/v1/agents/echo-bot/invoke', { token: 'cli-token', body: mockedBody('x'.repeat(3000), 'ok') });
      expect(big.body.error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: expect.stringContaining('2048 bytes') });
      const second = await call(running, 'POST', '/v1/agents/echo-bot/invoke', { token: 'cli-token', body: mockedBody('hi', 'ok') });
      expect(second.status).toBe(429);
    } finally {
      const { code, stderr } = await server.stop();
      expect(code).toBe(0);
      expect(stderr).toContain('rehearse serve: closing');
    }
  });

  it('refuses a malformed limit with exit code 2', async () => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin/rehearse.js'), 'serve', '--rate-limit', 'lots'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(2);
    expect(stderr).toContain('The --rate-limit "lots" is not <requests>/<window>.');
  });
});

describe('rehearse.config.json "serve"', () => {
  it('gives the server its defaults, which options override', async () => {
    const dir = tempDir();
    const fixtures = join(repoRoot, 'test/serve/fixtures');
    const config = join(dir, 'rehearse.config.json');
    writeFileSync(config, JSON.stringify({ bots: [`${relative(dir, fixtures)}/bots/*.ts`], serve: { maxBodyBytes: 500, rateLimit: '1/hour' } }));
    const fromFile = await startTestServer({ configPath: config });
    const big = await call(fromFile, 'POST', '/v1/agents/echo-bot/invoke', { body: mockedBody('x'.repeat(600), 'ok') });
    expect(big.body.error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: expect.stringContaining('500 bytes') });
    // The refused body spent the one invocation of the hour: the limit is checked first.
    expect((await call(fromFile, 'POST', '/v1/agents/echo-bot/invoke', { body: mockedBody('hi', 'ok') })).status).toBe(429);

    const overridden = await startTestServer({ configPath: config, maxBodyBytes: 10_000, rateLimit: '100/min' });
    expect((await call(overridden, 'POST', '/v1/agents/echo-bot/invoke', { body: mockedBody('x'.repeat(600), 'ok') })).body.status).toBe('completed');
  });

  it('is checked like the rest of the file', async () => {
    const dir = tempDir();
    const config = join(dir, 'rehearse.config.json');
    writeFileSync(config, JSON.stringify({ serve: { port: 'eighty' } }));
    await expect(startTestServer({ configPath: config })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('$.serve.port') });
  });
});
