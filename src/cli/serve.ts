import type { Argv } from 'yargs';
import { parseRateLimit } from '../serve/rate-limit.js';
import { startServer } from '../serve/server.js';
import { parseByteSize } from '../serve/settings.js';
import type { ServeOptions } from '../serve/types.js';
import { closeSharedStores } from '../cache/open.js';

interface ServeArguments {
  port?: number;
  host?: string;
  config?: string;
  org?: string;
  cache?: string;
  state?: string;
  maxBody?: string;
  rateLimit?: string;
  maxConcurrency?: number;
  allowFilePaths: boolean;
}

export function serveCommand(cli: Argv) {
  return cli.command(
    'serve',
    'Serve the invoke HTTP API (docs/API.md)',
    (command) =>
      command
        .option('port', { type: 'number', describe: 'Port to listen on; 0 picks a free one [config serve.port; default 8787]' })
        .option('host', { type: 'string', describe: 'Address to bind [config serve.host; default 127.0.0.1]' })
        .option('config', { type: 'string', describe: 'Config file [default: rehearse.config.json here or in the nearest folder above]' })
        .option('org', { type: 'string', describe: 'Organisation of every invocation and thread [env REHEARSE_ORG; default "default"]' })
        .option('cache', { type: 'string', describe: 'Cache file [env REHEARSE_CACHE; default cache/rehearse.sqlite]' })
        .option('state', { type: 'string', describe: 'State file: sessions, runs [env REHEARSE_STATE; default .rehearse/state.sqlite]' })
        .option('max-body', { type: 'string', describe: 'Largest request body: bytes, or 512kb, 1mb [config serve.maxBodyBytes; default 1mb]' })
        .option('rate-limit', { type: 'string', describe: 'Invocations per client and window, e.g. 60/min [config serve.rateLimit; default none]' })
        .option('max-concurrency', { type: 'number', describe: 'Invocations a client may run at once [config serve.maxConcurrency; default none]' })
        .option('allow-file-paths', { type: 'boolean', default: false, describe: 'Let requests name files on this machine (files[].path, a mocks path)' })
        .epilogue('With REHEARSE_SERVER_TOKEN set, every request but GET /health needs "Authorization: Bearer <token>".')
        .example('$0 serve', 'Listen on http://127.0.0.1:8787')
        .example('REHEARSE_SERVER_TOKEN=s3cret $0 serve --host 0.0.0.0 --rate-limit 60/min', 'Reachable from other machines, with a token and a limit'),
    async (args) => {
      await runServe(args as unknown as ServeArguments);
    },
  );
}

async function runServe(args: ServeArguments): Promise<void> {
  const options: ServeOptions = {
    ...(args.port !== undefined && { port: args.port }),
    ...(args.host !== undefined && { host: args.host }),
    ...(args.config !== undefined && { configPath: args.config }),
    ...(args.org !== undefined && { org: args.org }),
    ...(args.cache !== undefined && { cachePath: args.cache }),
    ...(args.state !== undefined && { statePath: args.state }),
    ...(args.maxBody !== undefined && { maxBodyBytes: parseByteSize(args.maxBody) }),
    ...(args.rateLimit !== undefined && { rateLimit: parseRateLimit(args.rateLimit, '--rate-limit') }),
    ...(args.maxConcurrency !== undefined && { maxConcurrency: args.maxConcurrency }),
    allowFilePaths: args.allowFilePaths,
  };
  const server = await startServer(options);
  // Started in the background (`rehearse serve &`), Ctrl-C no longer reaches it: say how else to stop it.
  process.stderr.write(`rehearse serve: listening on ${server.url} (docs/API.md). Stop it with Ctrl-C, or: kill ${process.pid}\n`);
  // The command ends, and the CLI exits, only once the server has closed.
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.stderr.write('rehearse serve: closing\n');
      // Then the cache stores the invocations shared are closed, after the writes under way.
      void server.close().then(closeSharedStores).then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
