/**
 * Real PostgreSQL servers for tests.
 *
 * By default each `startTestPostgres()` makes a throwaway cluster from the machine's PostgreSQL: initdb into a
 * temp folder, then `postgres` listening only on 127.0.0.1 on a free port, with its unix socket inside that
 * folder. When `REHEARSE_TEST_PG_URL` names a server (a superuser URL), a fresh database is made there instead.
 *
 * Cleanup: `stop()` kills the server and removes the folder (or drops the database and the roles made through
 * `createRole`). Call it in `afterAll`/`onTestFinished`. As backstops, a process 'exit' hook sends the servers
 * SIGQUIT, and each cluster has a tiny watchdog (`sh`, in its own session) that waits for this process's end
 * (its stdin pipe closes, even on SIGKILL) and then kills the server and removes the folder.
 *
 * Clients that tests open themselves must be ended before `stop()`: a server shutting down under an idle
 * `pg.Client` makes it emit 'error', which crashes the test process when nobody listens.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  chownSync,
  closeSync,
  constants as fsConstants,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import pg from 'pg';
import { describe, it } from 'vitest';

export interface TestPostgres {
  /** A superuser URL to a fresh database. */
  adminUrl: string;
  host: string;
  port: number;
  database: string;
  /** The throwaway cluster's temp folder; undefined when using the server named by REHEARSE_TEST_PG_URL. */
  dir: string | undefined;
  /** Creates a role (LOGIN unless `login: false`) with that password. Role names are cluster-wide. */
  createRole(name: string, password: string, options?: { login?: boolean }): Promise<void>;
  /** A URL to this database as that role. */
  urlFor(role: string, password: string): string;
  /** Runs a query as the superuser, in this database. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
  /** Stops the server and removes its folder (or drops the database and roles). Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartTestPostgresOptions {
  /** Bound on initdb plus server startup, in ms (default 15 000, below vitest's 20 s hook timeout). */
  timeoutMs?: number;
}

const ADMIN = 'rehearse_admin';
const DEBIAN_ROOT = '/usr/lib/postgresql';
const INSTALL_HINT = 'install the Debian package postgresql, or set REHEARSE_TEST_PG_URL to a superuser URL';

// ---------------------------------------------------------------------------------------------------------
// Finding PostgreSQL

function isExecutable(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function hasServerBinaries(bin: string): boolean {
  return isExecutable(join(bin, 'initdb')) && isExecutable(join(bin, 'postgres'));
}

/** Installed major versions under /usr/lib/postgresql, highest first. */
function debianVersions(): string[] {
  let names: string[];
  try {
    names = readdirSync(DEBIAN_ROOT);
  } catch {
    return [];
  }
  return names.filter((name) => /^\d+(\.\d+)?$/.test(name)).sort((a, b) => Number(b) - Number(a));
}

function pgConfigBindir(): string | undefined {
  const result = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8', timeout: 5_000 });
  if (result.error !== undefined || result.status !== 0) return undefined;
  const bindir = result.stdout.trim();
  return bindir === '' ? undefined : bindir;
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/**
 * Where initdb and postgres are: REHEARSE_TEST_PG_BIN if set, else /usr/lib/postgresql/<highest version>/bin,
 * else `pg_config --bindir`, else the folder initdb on PATH really lives in.
 */
export function findPostgresBinaries(): { bin: string } | { missing: string } {
  const override = process.env.REHEARSE_TEST_PG_BIN;
  if (override !== undefined && override !== '') {
    return hasServerBinaries(override)
      ? { bin: override }
      : { missing: `REHEARSE_TEST_PG_BIN=${override} holds no initdb and postgres` };
  }
  for (const version of debianVersions()) {
    const bin = join(DEBIAN_ROOT, version, 'bin');
    if (hasServerBinaries(bin)) return { bin };
  }
  const bindir = pgConfigBindir();
  if (bindir !== undefined && hasServerBinaries(bindir)) return { bin: bindir };
  const initdb = onPath('initdb');
  if (initdb !== undefined) {
    const bin = dirname(realpathSync(initdb));
    if (hasServerBinaries(bin)) return { bin };
  }
  return { missing: `no initdb found in ${DEBIAN_ROOT}/*/bin or on PATH; ${INSTALL_HINT}` };
}

interface RunAs {
  uid: number;
  gid: number;
}

/** initdb and postgres refuse to run as root, so root runs them as the `postgres` user. */
function serverUser(): { runAs: RunAs | undefined } | { missing: string } {
  if (process.getuid === undefined || process.getuid() !== 0) return { runAs: undefined };
  const id = (flag: string): number | undefined => {
    const result = spawnSync('id', [flag, 'postgres'], { encoding: 'utf8', timeout: 5_000 });
    const value = Number(result.stdout.trim());
    return result.status === 0 && Number.isInteger(value) ? value : undefined;
  };
  const uid = id('-u');
  const gid = id('-g');
  if (uid === undefined || gid === undefined) {
    return { missing: `running as root, which initdb refuses, and there is no 'postgres' user to run it as; ${INSTALL_HINT}` };
  }
  return { runAs: { uid, gid } };
}

let cachedReason: { reason: string | undefined } | undefined;

/** Why no server can be had here, or undefined when one can. */
export function postgresUnavailableReason(): string | undefined {
  cachedReason ??= { reason: computeUnavailableReason() };
  return cachedReason.reason;
}

function computeUnavailableReason(): string | undefined {
  if (testPgUrl() !== undefined) return undefined;
  const found = findPostgresBinaries();
  if ('missing' in found) return found.missing;
  const user = serverUser();
  return 'missing' in user ? user.missing : undefined;
}

function testPgUrl(): string | undefined {
  const url = process.env.REHEARSE_TEST_PG_URL;
  return url === undefined || url === '' ? undefined : url;
}

// ---------------------------------------------------------------------------------------------------------
// describePostgres

/**
 * `describe` for blocks that need PostgreSQL. Without a server it registers one skipped test whose name says
 * why; with REHEARSE_REQUIRE_PG=1 (CI) that test fails instead, so a missing PostgreSQL cannot go unnoticed.
 */
export function describePostgres(name: string, fn: () => void): void {
  const missing = postgresUnavailableReason();
  if (missing === undefined) {
    describe(name, fn);
  } else if (process.env.REHEARSE_REQUIRE_PG === '1') {
    describe(name, () => {
      it(`needs PostgreSQL (REHEARSE_REQUIRE_PG=1): ${missing}`, () => {
        throw new Error(`REHEARSE_REQUIRE_PG=1 but no PostgreSQL server can be had: ${missing}`);
      });
    });
  } else {
    describe(name, () => {
      it.skip(`skipped, no PostgreSQL: ${missing}`, () => {});
    });
  }
}

// ---------------------------------------------------------------------------------------------------------
// Starting a server

export async function startTestPostgres(options: StartTestPostgresOptions = {}): Promise<TestPostgres> {
  const url = testPgUrl();
  return url !== undefined ? startOnServer(url) : startCluster(options.timeoutMs ?? 15_000);
}

function randomName(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

interface HandleParts {
  adminUrl: string;
  host: string;
  port: number;
  database: string;
  dir: string | undefined;
  /** Tears down what the handle cannot (server, folder, database, roles). */
  teardown(roles: readonly string[]): Promise<void>;
}

function makeHandle(parts: HandleParts): TestPostgres {
  const pool = new pg.Pool({ connectionString: parts.adminUrl, max: 4 });
  // An idle admin connection cut by a shutdown is not the test's business; without a listener it would crash.
  pool.on('error', () => {});
  const roles: string[] = [];
  let stopping: Promise<void> | undefined;
  return {
    adminUrl: parts.adminUrl,
    host: parts.host,
    port: parts.port,
    database: parts.database,
    dir: parts.dir,
    async createRole(name, password, options = {}) {
      const login = options.login ?? true;
      await pool.query(
        `CREATE ROLE ${pg.escapeIdentifier(name)} WITH ${login ? 'LOGIN' : 'NOLOGIN'} PASSWORD ${pg.escapeLiteral(password)}`,
      );
      roles.push(name);
    },
    urlFor(role, password) {
      const url = new URL(parts.adminUrl);
      url.username = encodeURIComponent(role);
      url.password = encodeURIComponent(password);
      return url.toString();
    },
    query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]) {
      return pool.query<R>(sql, params);
    },
    stop() {
      stopping ??= (async () => {
        await pool.end().catch(() => {});
        await parts.teardown(roles);
      })();
      return stopping;
    },
  };
}

/** Runs fn with one client connected to `connectionString`, then ends it. */
async function withClient<T>(connectionString: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString });
  client.on('error', () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** REHEARSE_TEST_PG_URL: a fresh database (and roles) in an existing server, dropped by stop(). */
async function startOnServer(serverUrl: string): Promise<TestPostgres> {
  const base = new URL(serverUrl);
  const database = randomName('rehearse_test');
  await withClient(serverUrl, (client) => client.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`));
  const admin = new URL(serverUrl);
  admin.pathname = `/${database}`;
  return makeHandle({
    adminUrl: admin.toString(),
    host: base.hostname !== '' ? base.hostname : (base.searchParams.get('host') ?? 'localhost'),
    port: base.port !== '' ? Number(base.port) : 5432,
    database,
    dir: undefined,
    teardown: (roles) =>
      withClient(serverUrl, async (client) => {
        await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)} WITH (FORCE)`);
        for (const role of roles) await client.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(role)}`);
      }),
  });
}

// --- throwaway clusters ------------------------------------------------------------------------------------

/** Servers still running, by postmaster pid: the exit hook sends them SIGQUIT (immediate shutdown). */
const liveServers = new Set<number>();
let exitHookInstalled = false;

function trackServer(pid: number): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const live of liveServers) {
        try {
          process.kill(live, 'SIGQUIT');
        } catch {
          // already gone
        }
      }
    });
  }
  liveServers.add(pid);
}

/** The environment for initdb and postgres: no PG* variables of ours leaking in, English C-locale messages. */
function serverEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('PG')) env[key] = value;
  env.LC_ALL = 'C';
  env.LANG = 'C';
  return env;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function tail(path: string, lines = 30): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A spawned process and a promise of its end (spawn failures count as an end, with the error). */
function track(child: ChildProcess): { child: ChildProcess; exited: Promise<Exit & { error?: Error }> } {
  const exited = new Promise<Exit & { error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return { child, exited };
}

function describeExit(exit: Exit & { error?: Error }): string {
  if (exit.error !== undefined) return exit.error.message;
  return exit.signal !== null ? `killed by ${exit.signal}` : `exit code ${String(exit.code)}`;
}

/** Runs a command to its end (killed at the deadline), failing with its output unless it exits 0. */
async function runToEnd(command: string, args: string[], runAs: RunAs | undefined, cwd: string, deadline: number): Promise<void> {
  const { child, exited } = track(
    spawn(command, args, { cwd, env: serverEnv(), stdio: ['ignore', 'pipe', 'pipe'], ...runAs }),
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), Math.max(deadline - Date.now(), 1));
  const exit = await exited;
  clearTimeout(timer);
  if (exit.error !== undefined || exit.code !== 0) {
    throw new Error(`${command} failed (${describeExit(exit)}):\n${output.trimEnd()}`);
  }
}

/**
 * Waits for this process to end (its stdin pipe closes), then stops the server and removes the folder. In its
 * own session, so a Ctrl-C aimed at the test run does not kill it before it has cleaned up.
 */
const WATCHDOG = `
alive() {
  if [ -d /proc/self ]; then
    # An orphaned postmaster may stay a zombie where PID 1 does not reap: that counts as gone.
    read -r _ _ state _ < "/proc/$1/stat" 2>/dev/null && [ "$state" != Z ]
  else
    kill -0 "$1" 2>/dev/null
  fi
}
read -r _ || :
kill -QUIT "$1" 2>/dev/null
i=0
while alive "$1" && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
rm -rf "$2"
`;

async function startCluster(timeoutMs: number): Promise<TestPostgres> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  const found = findPostgresBinaries();
  if ('missing' in found) throw new Error(`cannot start PostgreSQL for tests: ${found.missing}`);
  const user = serverUser();
  if ('missing' in user) throw new Error(`cannot start PostgreSQL for tests: ${user.missing}`);
  const { bin } = found;
  const { runAs } = user;

  const dir = mkdtempSync(join(tmpdir(), 'rehearse-pg-'));
  let server: { child: ChildProcess; exited: Promise<Exit> } | undefined;
  let watchdog: ChildProcess | undefined;

  /** Stops what runs and removes the folder; used by stop() and by a failed start. */
  const teardown = async (): Promise<void> => {
    if (server !== undefined) {
      const { child, exited } = server;
      if (child.pid !== undefined) liveServers.delete(child.pid);
      child.ref();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGQUIT'); // immediate shutdown: the postmaster ends its backends, then itself
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
    }
    watchdog?.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true, maxRetries: 5 });
  };

  try {
    if (runAs !== undefined) chownSync(dir, runAs.uid, runAs.gid);
    const dataDir = join(dir, 'data');
    const password = randomBytes(18).toString('base64url');
    const pwfile = join(dir, 'pwfile');
    writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    if (runAs !== undefined) chownSync(pwfile, runAs.uid, runAs.gid);
    await runToEnd(
      join(bin, 'initdb'),
      ['-D', dataDir, '-A', 'scram-sha-256', '-U', ADMIN, `--pwfile=${pwfile}`, '--no-sync', '-E', 'UTF8', '--locale=C'],
      runAs,
      dir,
      deadline,
    );
    rmSync(pwfile);

    const logPath = join(dir, 'server.log');
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const log = openSync(logPath, 'a');
      const args = ['-D', dataDir, '-p', String(port), '-k', dir];
      const settings = {
        listen_addresses: '127.0.0.1',
        fsync: 'off',
        synchronous_commit: 'off',
        full_page_writes: 'off',
        shared_buffers: '16MB',
      };
      for (const [key, value] of Object.entries(settings)) args.push('-c', `${key}=${value}`);
      try {
        server = track(spawn(join(bin, 'postgres'), args, { cwd: dir, env: serverEnv(), stdio: ['ignore', log, log], ...runAs }));
      } finally {
        closeSync(log);
      }
      const { child } = server;
      child.unref(); // a forgotten stop() must not keep the test process alive; the hooks still clean up
      if (child.pid !== undefined) {
        trackServer(child.pid);
        watchdog = spawn('/bin/sh', ['-c', WATCHDOG, 'rehearse-pg-watchdog', String(child.pid), dir], {
          cwd: dir,
          stdio: ['pipe', 'ignore', 'ignore'],
          detached: true,
          ...runAs,
        });
        watchdog.on('error', () => {});
        watchdog.unref();
        (watchdog.stdin as { unref?: () => void } | null)?.unref?.();
      }

      const outcome = await waitUntilReady(server, port, password, deadline);
      if (outcome === 'ready') {
        const database = randomName('rehearse_test');
        const maintenanceUrl = `postgresql://${ADMIN}:${password}@127.0.0.1:${port}/postgres`;
        await withClient(maintenanceUrl, (client) => client.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`));
        return makeHandle({
          adminUrl: `postgresql://${ADMIN}:${password}@127.0.0.1:${port}/${database}`,
          host: '127.0.0.1',
          port,
          database,
          dir,
          teardown,
        });
      }
      // The port was taken between freePort() and postgres binding it: try another one.
      if (child.pid !== undefined) liveServers.delete(child.pid);
      watchdog?.kill('SIGKILL');
      if (attempt >= 5 || Date.now() > deadline) {
        throw new Error(`PostgreSQL found no free port after ${attempt} tries; server log:\n${tail(logPath)}`);
      }
    }
  } catch (error) {
    await teardown().catch(() => {});
    throw error;
  }

  async function waitUntilReady(
    running: { child: ChildProcess; exited: Promise<Exit & { error?: Error }> },
    port: number,
    password: string,
    until: number,
  ): Promise<'ready' | 'port-taken'> {
    const logPath = join(dir, 'server.log');
    let exit: (Exit & { error?: Error }) | undefined;
    void running.exited.then((e) => (exit = e));
    let lastError = '';
    for (;;) {
      if (exit !== undefined) {
        const log = tail(logPath);
        if (/Address already in use/.test(log) && /could not create any TCP\/IP sockets/.test(log)) {
          await rm(logPath, { force: true });
          return 'port-taken';
        }
        throw new Error(`PostgreSQL exited while starting (${describeExit(exit)}); server log ${logPath}:\n${log}`);
      }
      if (Date.now() > until) {
        throw new Error(
          `PostgreSQL did not accept connections on 127.0.0.1:${port} within ${timeoutMs} ms` +
            ` (last error: ${lastError}); server log:\n${tail(logPath)}`,
        );
      }
      // Connecting with the password also proves it is our server, not another one that took the port.
      const client = new pg.Client({ host: '127.0.0.1', port, user: ADMIN, password, database: 'postgres', connectionTimeoutMillis: 2_000 });
      client.on('error', () => {});
      try {
        await client.connect();
        await client.end();
        return 'ready';
      } catch (error) {
        lastError = error instanceof Error ? error.message : String(error);
        await client.end().catch(() => {});
      }
      await sleep(50);
    }
  }
}
