import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { resolveConfig } from '../config/resolve.js';

/** The options every command on the state file takes: which file, which org, which config, which format. */
export function stateOptions<T>(command: Argv<T>) {
  return command
    .option('state', { type: 'string', describe: 'State file [env REHEARSE_STATE; default from config, .rehearse/state.sqlite]' })
    .option('org', { type: 'string', describe: 'Organisation [env REHEARSE_ORG; default "default"]' })
    .option('config', { type: 'string', describe: 'Config file [default: rehearse.config.json here or in the nearest folder above]' })
    .option('format', { type: 'string', choices: ['text', 'json'] as const, default: 'text' as 'text' | 'json', describe: 'text (tables) or json' });
}

/** The state file and org a command works on: its options, else the environment and rehearse.config.json. */
export function stateTarget(args: { state?: string | undefined; org?: string | undefined; config?: string | undefined }): { statePath: string; org: string } {
  const config = resolveConfig(
    { ...(args.org !== undefined && { org: args.org }), ...(args.config !== undefined && { configPath: args.config }) },
    process.env,
  );
  return { statePath: args.state !== undefined ? resolve(config.cwd, args.state) : config.statePath, org: config.org };
}

export function writeJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function writeLines(lines: readonly string[]): void {
  process.stdout.write(`${lines.join('\n')}\n`);
}
