import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { describePostgres, startTestPostgres, type TestPostgres } from './postgres.js';

/** Local clusters (not REHEARSE_TEST_PG_URL) have a port and folder of their own to check. */
const local = (process.env.REHEARSE_TEST_PG_URL ?? '') === '';

function secret(): string {
  return randomBytes(12).toString('base64url');
}

/** Starts a server that the current test stops (even when it fails). */
async function startForTest(): Promise<TestPostgres> {
  const server = await startTestPostgres();
  onTestFinished(() => server.stop());
  return server;
}

/** A client connected to `url`, ended when the test finishes. */
async function connected(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  onTestFinished(() => client.end());
  return client;
}

/** Resolves with the error code of a TCP connection attempt to 127.0.0.1:port ('connected' if it opened). */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** Whether any socket is in LISTEN state on that local TCP port (Linux: /proc/net/tcp and tcp6). */
function listeningOn(port: number): boolean {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6'].some((file) => {
    if (!existsSync(file)) return false;
    return readFileSync(file, 'utf8')
      .split('\n')
      .slice(1)
      .some((line) => {
        const fields = line.trim().split(/\s+/);
        return fields[1]?.endsWith(`:${hexPort}`) === true && fields[3] === '0A';
      });
  });
}

/** Pids of live (non-zombie) processes whose command line mentions `text`. */
function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const state = readFileSync(`/proc/${entry}/stat`, 'utf8').replace(/^.*\) /s, '')[0];
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (state !== 'Z' && cmdline.includes(text)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

describePostgres('a test PostgreSQL server', () => {
  let server: TestPostgres;
  beforeAll(async () => {
    server = await startTestPostgres();
  }, 30_000);
  afterAll(async () => {
    await server?.stop();
  }, 30_000);

  it('is a real PostgreSQL, and adminUrl is a superuser in the fresh database', async () => {
    const { rows } = await server.query<{ version: string }>('select version()');
    expect(rows[0]?.version).toMatch(/^PostgreSQL \d+/);

    const admin = await connected(server.adminUrl);
    const who = await admin.query<{ db: string; superuser: string; tables: string }>(
      "select current_database() as db, current_setting('is_superuser') as superuser," +
        " (select count(*) from pg_tables where schemaname = 'public') as tables",
    );
    expect(who.rows[0]).toEqual({ db: server.database, superuser: 'on', tables: '0' });
    expect(server.adminUrl).toContain(`:${server.port}/${server.database}`);
  });

  it('lets a new non-superuser role log in with its password, and refuses a wrong one', async () => {
    const role = `rehearse_role_${randomBytes(4).toString('hex')}`;
    const password = `${secret()}:@/%`; // characters that must be escaped in a URL
    await server.createRole(role, password);

    const client = await connected(server.urlFor(role, password));
    const { rows } = await client.query<{ user: string; db: string; superuser: boolean }>(
      'select current_user as user, current_database() as db, rolsuper as superuser from pg_roles where rolname = current_user',
    );
    expect(rows).toEqual([{ user: role, db: server.database, superuser: false }]);

    const wrong = new pg.Client({ connectionString: server.urlFor(role, `${password}x`) });
    wrong.on('error', () => {});
    // 28P01: invalid_password ("password authentication failed for user ...")
    await expect(wrong.connect()).rejects.toMatchObject({ code: '28P01', message: expect.stringContaining(role) });

    const stranger = new pg.Client({ connectionString: server.urlFor('rehearse_nobody', password) });
    stranger.on('error', () => {});
    await expect(stranger.connect()).rejects.toMatchObject({ code: '28P01' });
  });

  it('makes NOLOGIN roles when asked', async () => {
    const role = `rehearse_nologin_${randomBytes(4).toString('hex')}`;
    const password = secret();
    await server.createRole(role, password, { login: false });
    const client = new pg.Client({ connectionString: server.urlFor(role, password) });
    client.on('error', () => {});
    // 28000: invalid_authorization_specification ("role ... is not permitted to log in")
    await expect(client.connect()).rejects.toMatchObject({ code: '28000' });
  });

  it.runIf(local)('stop() ends the server, frees its port and removes its folder', { timeout: 30_000 }, async () => {
    const own = await startForTest();
    const dir = own.dir;
    if (dir === undefined) throw new Error('a local cluster has a folder');
    expect(existsSync(join(dir, 'data', 'PG_VERSION'))).toBe(true);
    expect(own.host).toBe('127.0.0.1');
    expect(listeningOn(own.port)).toBe(true);
    expect(processesMentioning(dir).length).toBeGreaterThan(0); // the postmaster and its watchdog
    const { rows } = await own.query<{ addresses: string; port: string; socket_dir: string; fsync: string }>(
      "select current_setting('listen_addresses') as addresses, current_setting('port') as port," +
        " current_setting('unix_socket_directories') as socket_dir, current_setting('fsync') as fsync",
    );
    expect(rows[0]).toEqual({ addresses: '127.0.0.1', port: String(own.port), socket_dir: dir, fsync: 'off' });

    await own.stop();

    expect(listeningOn(own.port)).toBe(false);
    expect(await tryConnect(own.port)).toBe('ECONNREFUSED');
    expect(processesMentioning(dir)).toEqual([]);
    expect(existsSync(dir)).toBe(false);
    await own.stop(); // a second stop() is harmless
  });

  it.runIf(local)('two clusters started at once get their own ports and folders', { timeout: 30_000 }, async () => {
    const [a, b] = await Promise.all([startForTest(), startForTest()]);
    expect(a.port).not.toBe(b.port);
    expect(a.dir).not.toBe(b.dir);
    await a.query('create table only_in_a (id int)');
    const seen = async (s: TestPostgres): Promise<{ port: string; data: string; tables: string[] }> => {
      const { rows } = await s.query<{ port: string; data: string; tables: string[] }>(
        "select current_setting('port') as port, current_setting('data_directory') as data," +
          " array(select tablename::text from pg_tables where schemaname = 'public') as tables",
      );
      if (rows[0] === undefined) throw new Error('no row');
      return rows[0];
    };
    expect(await seen(a)).toEqual({ port: String(a.port), data: join(a.dir ?? '?', 'data'), tables: ['only_in_a'] });
    expect(await seen(b)).toEqual({ port: String(b.port), data: join(b.dir ?? '?', 'data'), tables: [] });
  });

  it('with REHEARSE_TEST_PG_URL, makes a fresh database in that server and drops it (and its roles) on stop()', async () => {
    vi.stubEnv('REHEARSE_TEST_PG_URL', server.adminUrl);
    onTestFinished(() => {
      vi.unstubAllEnvs();
    });
    const inner = await startForTest();
    expect(inner.dir).toBeUndefined();
    expect(inner.port).toBe(server.port);
    expect(inner.database).not.toBe(server.database);
    const role = `rehearse_inner_${randomBytes(4).toString('hex')}`;
    await inner.createRole(role, 'pw');
    const client = new pg.Client({ connectionString: inner.urlFor(role, 'pw') });
    client.on('error', () => {});
    await client.connect();
    const { rows } = await client.query<{ db: string }>('select current_database() as db');
    expect(rows[0]?.db).toBe(inner.database);
    await client.end();

    const exists = async (): Promise<{ db: boolean; role: boolean }> => {
      const result = await server.query<{ db: boolean; role: boolean }>(
        'select exists(select 1 from pg_database where datname = $1) as db, exists(select 1 from pg_roles where rolname = $2) as role',
        [inner.database, role],
      );
      if (result.rows[0] === undefined) throw new Error('no row');
      return result.rows[0];
    };
    expect(await exists()).toEqual({ db: true, role: true });
    await inner.stop();
    expect(await exists()).toEqual({ db: false, role: false });
  });
});

describe('describePostgres without PostgreSQL', () => {
  const vitestBin = fileURLToPath(new URL('../../node_modules/vitest/vitest.mjs', import.meta.url));
  const supportModule = fileURLToPath(new URL('./postgres.ts', import.meta.url));

  interface Outcome {
    code: number | null;
    tests: { title: string; status: string; failureMessages: string[] }[];
  }

  /** Runs vitest on a one-file project whose describePostgres finds no PostgreSQL, reporting as JSON. */
  function runProbe(root: string, extraEnv: Record<string, string>): Promise<Outcome> {
    const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv };
    delete env.REHEARSE_TEST_PG_URL;
    delete env.VITEST;
    delete env.VITEST_WORKER_ID;
    delete env.VITEST_POOL_ID;
    delete env.NODE_ENV;
    const report = join(root, `report-${randomBytes(4).toString('hex')}.json`);
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [vitestBin, 'run', '--root', root, '--reporter=json', `--outputFile=${report}`], {
        cwd: root,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.once('error', reject);
      child.once('exit', (code) => {
        try {
          const json = JSON.parse(readFileSync(report, 'utf8')) as {
            testResults: { assertionResults: { title: string; status: string; failureMessages: string[] }[] }[];
          };
          resolve({ code, tests: json.testResults.flatMap((file) => file.assertionResults) });
        } catch (error) {
          reject(new Error(`vitest probe gave no report (exit ${String(code)}): ${String(error)}\n${output}`));
        }
      });
    });
  }

  it('skips with the reason, or fails with it under REHEARSE_REQUIRE_PG=1', { timeout: 90_000 }, async () => {
    const base = mkdtempSync(join(tmpdir(), 'rehearse-pg-probe-'));
    onTestFinished(() => rmSync(base, { recursive: true, force: true }));
    const emptyBin = join(base, 'no-postgres-here');
    mkdirSync(emptyBin);
    const project = (name: string): string => {
      const root = join(base, name);
      mkdirSync(root);
      writeFileSync(
        join(root, 'probe.test.ts'),
        `import { describePostgres } from ${JSON.stringify(supportModule)};\n` +
          `describePostgres('needs a server', () => { throw new Error('the block ran without PostgreSQL'); });\n`,
      );
      return root;
    };
    const missing = `REHEARSE_TEST_PG_BIN=${emptyBin} holds no initdb and postgres`;

    const [skipped, required] = await Promise.all([
      runProbe(project('optional'), { REHEARSE_TEST_PG_BIN: emptyBin, REHEARSE_REQUIRE_PG: '' }),
      runProbe(project('required'), { REHEARSE_TEST_PG_BIN: emptyBin, REHEARSE_REQUIRE_PG: '1' }),
    ]);

    expect(skipped.code).toBe(0);
    expect(skipped.tests).toEqual([
      expect.objectContaining({ title: `skipped, no PostgreSQL: ${missing}`, status: 'skipped' }),
    ]);

    expect(required.code).toBe(1);
    expect(required.tests).toEqual([
      expect.objectContaining({ title: `needs PostgreSQL (REHEARSE_REQUIRE_PG=1): ${missing}`, status: 'failed' }),
    ]);
    expect(required.tests[0]?.failureMessages.join('\n')).toContain(
      `REHEARSE_REQUIRE_PG=1 but no PostgreSQL server can be had: ${missing}`,
    );
  });
});
