import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BotDefinitionError } from '../errors.js';
import { commandBot } from './command.js';
import { botBrand, type Bot, type BotDefinition, type CodeBotDefinition, type CommandBotDefinition } from './types.js';

const keyPattern = /^[a-z0-9][a-z0-9._-]*$/;

/** The file of the code that called defineBot, read off the stack (tsx and vitest keep real paths). */
function callerFile(): string | undefined {
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, defineBot);
  for (const line of holder.stack?.split('\n').slice(1) ?? []) {
    const location = /\(?((?:file:\/\/)?\/[^():]+?)(?:\?[^:)]*)?:\d+:\d+\)?$/.exec(line.trim())?.[1];
    if (!location) continue;
    const path = location.startsWith('file://') ? fileURLToPath(location) : location;
    if (existsSync(path)) return path;
  }
  return undefined;
}

/** A bot: `run(input, ctx)` in TypeScript, or `command: ['python3', 'agent.py']` for an agent in any language. */
function checkVersion(definition: BotDefinition<unknown>): void {
  if (definition.version !== undefined && definition.updatedAt !== undefined) {
    throw new BotDefinitionError(`Bot "${definition.key}" gives both version and updatedAt; give one.`);
  }
  if (definition.updatedAt instanceof Date && Number.isNaN(definition.updatedAt.getTime())) {
    throw new BotDefinitionError(`Bot "${definition.key}" has an updatedAt that is not a valid date.`);
  }
}

export function defineBot<Output>(definition: CodeBotDefinition<Output>): Bot<Output>;
export function defineBot(definition: CommandBotDefinition): Bot<string>;
export function defineBot<Output>(definition: BotDefinition<Output>): Bot<Output> | Bot<string> {
  if (definition === null || typeof definition !== 'object') {
    throw new BotDefinitionError('defineBot needs an object: defineBot({ key, run(input, ctx) { ... } }).');
  }
  if (typeof definition.key !== 'string' || !keyPattern.test(definition.key)) {
    throw new BotDefinitionError(
      `Bot key ${JSON.stringify(definition.key)} is not a slug: use lower-case letters, digits, ".", "_" or "-" (e.g. "support-bot").`,
    );
  }
  if (definition.command !== undefined) {
    checkVersion(definition);
    const sourceFile = callerFile();
    return commandBot(definition, sourceFile ? dirname(sourceFile) : process.cwd(), sourceFile);
  }
  if (typeof definition.run !== 'function') {
    throw new BotDefinitionError(`Bot "${(definition as { key: string }).key}" has no run(input, ctx) function, and no command.`);
  }
  checkVersion(definition);
  return Object.freeze({ ...definition, [botBrand]: true as const, sourceFile: callerFile() });
}
