import type { Argv } from 'yargs';

/** yargs' own methods used here; not in its type declarations. */
interface WithUsageInstance {
  getInternalMethods(): { getUsageInstance(): { cacheHelpMessage(): void } };
}

/**
 * Stops yargs from rendering a command's whole help text each time the command runs. yargs does so
 * to show that help should the handler fail; rehearse's fail callback reports errors itself and
 * never shows help then, so the text is thrown away, and it costs ~90 ms (string widths of every
 * option and example of `invoke`: as much as the rest of a replayed run). --help still renders it.
 */
export function skipHelpCache(cli: Argv): Argv {
  const usage = (cli as unknown as WithUsageInstance).getInternalMethods().getUsageInstance();
  usage.cacheHelpMessage = () => undefined;
  return cli;
}
