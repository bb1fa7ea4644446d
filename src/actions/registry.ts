import { closest } from 'fastest-levenshtein';
import { UnknownActionError, UsageError } from '../errors.js';
import type { ActionDefinition } from './types.js';

/**
 * The one registry of action types. It lives on globalThis under a registered symbol because a
 * user's bot file may load rehearse through another path than the engine does (the built package
 * beside the sources in a test run); both copies must see the same types.
 */
const registryKey = Symbol.for('rehearse.action-registry');
type Registry = Map<string, ActionDefinition<never, unknown>>;

function registry(): Registry {
  const holder = globalThis as { [registryKey]?: Registry };
  holder[registryKey] ??= new Map();
  return holder[registryKey];
}

const typePattern = /^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*$/i;

/** Adds an action type (or replaces one of the same name) so that ctx.act(type, params) can run it. */
export function registerAction<Params, Output>(definition: ActionDefinition<Params, Output>): void {
  if (!typePattern.test(definition.type)) {
    throw new UsageError(
      `Action type "${definition.type}" is not a valid name: use letters, digits, "_" or "-", in dotted parts (e.g. "weather.lookup").`,
    );
  }
  registry().set(definition.type, definition as unknown as ActionDefinition<never, unknown>);
}

export function findAction(type: string): ActionDefinition<unknown, unknown> {
  const definition = registry().get(type);
  if (definition) return definition as ActionDefinition<unknown, unknown>;
  const known = [...registry().keys()].sort();
  throw new UnknownActionError(type, known, known.length ? closest(type, known) : undefined);
}

export function actionTypes(): string[] {
  return [...registry().keys()].sort();
}
