/**
 * rehearse serve where it cannot listen: a port in use, a host that is not this machine's, and a
 * REHEARSE_SERVER_TOKEN that is set but empty, each a clear error (no stack, no open server).
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { startServer } from '../../src/index.js';
import { rehearse } from '../support/cli.js';
import { testConfig } from './support.js';

describe('rehearse serve where it cannot listen', () => {
  it('a port in use is SERVE_LISTEN_FAILED naming host and port, with what to do', async () => {
    const first = await startServer({ port: 0, configPath: testConfig });
    onTestFinished(() => first.close());
    const second = await startServer({ port: first.port, configPath: testConfig }).catch((error: Error & { code?: string; hint?: string }) => error);
    expect(second).toMatchObject({ code: 'SERVE_LISTEN_FAILED' });
    expect((second as Error).message).toContain(`127.0.0.1:${first.port}`);
    expect((second as Error).message).toContain('the port is in use');
    expect((second as { hint?: string }).hint).toContain('--port');

    const cli = await rehearse(['serve', '--port', String(first.port), '--config', testConfig]);
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toContain('the port is in use');
    expect(cli.stderr).not.toContain('unexpected error');
    expect(cli.stderr).not.toMatch(/\n\s+at /); // no stack
  });

  it('a host that is not an address of this machine says so', async () => {
    const error = await startServer({ port: 0, host: 'no-such-host.invalid', configPath: testConfig }).catch((caught: Error & { code?: string }) => caught);
    expect(error).toMatchObject({ code: 'SERVE_LISTEN_FAILED' });
    expect((error as Error).message).toContain('not an address of this machine');
  });

  it('REHEARSE_SERVER_TOKEN set but empty is refused, not an open server', async () => {
    const cli = await rehearse(['serve', '--port', '0', '--config', testConfig], { env: { REHEARSE_SERVER_TOKEN: '' } });
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain('REHEARSE_SERVER_TOKEN is set but empty');
  });
});
