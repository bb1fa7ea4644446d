import type { Argv } from 'yargs';

/** What yargs knows of the options of the command being run (a public method its types leave out). */
interface OptionsView {
  getOptions(): { array: readonly string[] };
}

/**
 * A repeated option: the last one wins (`--format text --format json` is json), as in most CLIs,
 * instead of yargs gathering both into a list that no `choices` accepts. Options meant to repeat
 * (declared `array: true`, such as `--param` and `--dataset`) keep every value.
 */
export function keepLastValues(argv: Record<string, unknown>, arrayOptions: readonly string[]): void {
  const repeatable = new Set(arrayOptions);
  for (const [name, value] of Object.entries(argv)) {
    if (name === '_' || name === '$0' || repeatable.has(name) || !Array.isArray(value)) continue;
    argv[name] = value.at(-1);
  }
}

/**
 * Registers keepLastValues on every command, before validation (so `choices` and types check the
 * value that wins). It reads the options of the command being parsed from the yargs instance, whose
 * builders have run by then.
 */
export function lastOptionWins<T>(cli: Argv<T>): Argv<T> {
  const view = cli as unknown as OptionsView;
  return cli.middleware((argv) => keepLastValues(argv as Record<string, unknown>, view.getOptions().array), true);
}
