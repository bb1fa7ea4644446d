import type { Argv } from 'yargs';
import { writeCacheText } from '../../cache/git/entry-text.js';
import { openStore } from '../../cache/open.js';
import { NotFoundError } from '../../errors.js';

export function textCommand(cli: Argv) {
  return cli.command(
    'text <file>',
    "Every entry of every org of a cache file as stable text, sorted: git's textconv for git diff and git log -p",
    (command) =>
      command
        .positional('file', { type: 'string', demandOption: true, describe: 'A cache file' })
        .example('$0 cache text cache/rehearse.sqlite | less', 'Read the recordings')
        .example('$0 cache git-setup', 'Makes git diff and git log -p show the committed cache so'),
    async (args) => {
      const store = openStore(args.file);
      try {
        if (!(await store.exists())) throw new NotFoundError(`No cache file at ${args.file}.`, { hint: 'Name a cache file, for example cache/rehearse.sqlite.' });
        await store.check();
        await writeCacheText(store, process.stdout);
      } catch (error) {
        // The reader went away (`| head`): what it read is all it wanted.
        if ((error as NodeJS.ErrnoException | undefined)?.code !== 'EPIPE') throw error;
      } finally {
        await store.close();
      }
    },
  );
}
