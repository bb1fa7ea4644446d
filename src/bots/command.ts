import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { runCommandAgent } from '../agents/command-agent.js';
import { BotDefinitionError } from '../errors.js';
import { contextInternals } from './context-internals.js';
import { botBrand, type Bot, type BotContext, type BotInput, type CommandBotDefinition } from './types.js';

/**
 * A bot that runs a program. `baseDir` is where a relative `cwd` starts (the defining file's
 * folder, or the config file's); the command is checked now, so a typo fails at load, not mid-run.
 */
export function commandBot(definition: CommandBotDefinition, baseDir: string, sourceFile: string | undefined): Bot<string> {
  const { key, command } = definition;
  if (!Array.isArray(command) || command.length === 0 || !command.every((part) => typeof part === 'string' && part !== '')) {
    throw new BotDefinitionError(`Bot "${key}" has a command that is not a list of non-empty strings: use e.g. ["python3", "agent.py"].`);
  }
  if (definition.run !== undefined) throw new BotDefinitionError(`Bot "${key}" gives both run and command; give one.`);
  const env = definition.env ?? {};
  if (typeof env !== 'object' || !Object.values(env).every((value) => typeof value === 'string')) {
    throw new BotDefinitionError(`Bot "${key}" has an env that is not an object of strings.`);
  }
  const cwd = resolve(baseDir, definition.cwd ?? '.');
  if (!existsSync(cwd) || !statSync(cwd).isDirectory()) {
    throw new BotDefinitionError(`Bot "${key}" runs in ${cwd}, which is not a folder.`, { hint: 'cwd is relative to the file that defines the bot (or to rehearse.config.json).' });
  }
  const argv = [...command];
  return Object.freeze({
    ...definition,
    command: Object.freeze({ argv, cwd, env: { ...env } }),
    run: (input: BotInput, context: BotContext) =>
      runCommandAgent(
        { command: argv, cwd, env },
        // Each stderr line is logged as ctx.log would: a log event of this bot, marked as stderr.
        { prompt: input.prompt, signal: context.signal, caller: contextInternals(context), log: (line) => context.log(line, { stream: 'stderr' }) },
      ),
    [botBrand]: true as const,
    sourceFile,
  });
}
