import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runProcess, type CliRun } from '../support/cli.js';
import { call, demoPrompt, repoRoot, startTestServer } from './support.js';

const client = join(repoRoot, 'fixtures/clients/rehearse_client.py');

function python(args: string[], env: Record<string, string>): Promise<CliRun> {
  return runProcess('python3', [client, ...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } });
}

const secondPrompt = 'When will I get the money back?';

describe('the Python standard-library client (fixtures/clients/rehearse_client.py)', () => {
  for (const [name, flags] of [['sync', []], ['streamed', ['--stream']], ['async', ['--async']]] as const) {
    it(`drives a two-turn replay of the demo bot end to end (${name})`, async () => {
      const server = await startTestServer({ token: 'py-token' });
      const run = await python(['support-bot', demoPrompt, secondPrompt, '--mode', 'replay', '--strict', ...flags], { REHEARSE_URL: server.url, REHEARSE_SERVER_TOKEN: 'py-token' });
      expect(run.stderr).not.toContain('rehearse:');
      expect(run.code).toBe(0);
      const lines = run.stdout.trim().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toContain('charged twice for order A-1187');
      expect(lines[1]).toContain('3 to 5 business days');
      if (name === 'streamed') expect(run.stderr).toContain('[action.completed] llm.message');
      const threadId = /\(thread (\S+),/.exec(run.stderr)?.[1];
      const thread = await call(server, 'GET', `/v1/threads/${threadId}`, { token: 'py-token' });
      expect(thread.body.turns).toBe(2);
    });
  }

  it('reports an error answer and exits 2', async () => {
    const server = await startTestServer({ token: 'py-token' });
    const run = await python(['no-such-bot', 'hi'], { REHEARSE_URL: server.url, REHEARSE_SERVER_TOKEN: 'wrong' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('rehearse: 401 UNAUTHORIZED: The bearer token is not valid.');
  });
});
