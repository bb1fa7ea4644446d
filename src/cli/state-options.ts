import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { resolveConfig } from '../config/resolve.js';

/** The options every command on the state file takes: which file, which org, which config, which format. */
export function stateOptions<T>(command: Argv<T>) {
  const withTarget = command
    .option('state', { type: 'string', describe: 'State file [env REHEARSE_STATE; default from config, .rehearse/state.sqlite]' })
    .option('org', { type: 'string', describe: 'Organisation [env REHEARSE_ORG; default "default"]' })
    .option('config', { type: 'string', describe: 'Config file [default: rehearse.config.json here or in the nearest folder above]' });
  return formatOption(withTarget, ['text', 'json'] as const, 'text (tables) or json');
}

/**
 * `--format`, the first of `formats` by default. A command that offers other formats passes them here
 * (yargs adds to the choices of an option defined twice instead of replacing them).
 */
export function formatOption<T, Format extends string>(command: Argv<T>, formats: readonly Format[], describe: string) {
  return command.option('format', { type: 'string', choices: formats, default: formats[0]! as Format, describe });
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
