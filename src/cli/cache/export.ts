import { createWriteStream, existsSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { dirname, join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import type { Argv } from 'yargs';
import { openStore } from '../../cache/open.js';
import { exportJsonl } from '../../cache/export-jsonl.js';
import { NotFoundError, UsageError } from '../../errors.js';
import { writeJson, writeLines } from '../state-options.js';
import { allOrgsOption, cacheOptions, cacheTarget, entries, orgScope, plural, scopeWords } from './common.js';
import { countOtherOrgs, otherOrgsJson, otherOrgsNote, type OtherOrgs } from './other-orgs.js';
import { progressBar } from './progress.js';

/** Whether an error is the reader of a pipe going away (`rehearse cache export | head`). */
function isBrokenPipe(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'EPIPE';
}

/** Opens the file an export is written to (its partial copy), or says why it cannot be written: before any work. */
function openForExport(partial: string, file: string): number {
  if (statSync(file, { throwIfNoEntry: false })?.isDirectory()) {
    throw new UsageError(`Cannot write the export to ${file}: it is a folder.`, { hint: `Name a file, for example ${join(file, 'recordings.jsonl')}, or - for stdout.` });
  }
  try {
    return openSync(partial, 'w');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? (existsSync(dirname(file)) ? 'no file can be created in its folder' : 'its folder does not exist') : code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'its folder is not writable' : code === 'EISDIR' ? 'it is a folder' : (error as Error).message;
    throw new UsageError(`Cannot write the export to ${file}: ${why}.`, { hint: 'Name a file in a folder you can write to, or - for stdout.' });
  }
}

export function exportCommand(cli: Argv) {
  return cli.command(
    'export [file]',
    'Write the entries of an org (or of every org) as JSON Lines, one entry a line, sorted',
    (command) =>
      allOrgsOption(cacheOptions(command))
        .positional('file', { type: 'string', default: '-', describe: 'The file to write; - (the default) for stdout' })
        .example('$0 cache export recordings.jsonl', 'JSON Lines to import into another cache (git diffs the committed cache itself: rehearse cache git-setup)')
        .example('$0 cache export | grep support-bot', 'Entries to stdout')
        .example('$0 cache export --all-orgs all.jsonl', "Every org's entries (each line names its org)"),
    async (args) => {
      const target = cacheTarget(args);
      const org = orgScope(args, target);
      // yargs hands `-` over as an empty string.
      const toStdout = args.file === '-' || args.file === '';
      const file = toStdout ? undefined : resolve(args.file);
      // Written beside the file and renamed when complete: an interrupted export never leaves half a file.
      const partial = file && `${file}.${process.pid}.partial`;
      const out: Writable = partial ? createWriteStream('', { fd: openForExport(partial, file) }) : process.stdout;
      const store = openStore(target.storeLocation);
      if (!(await store.exists())) {
        await store.close();
        if (partial) (out.destroy(), rmSync(partial, { force: true }));
        throw new NotFoundError(`No cache file at ${target.cachePath}: nothing to export.`, { hint: 'Point --cache (or REHEARSE_CACHE) at the cache file.' });
      }
      const bar = progressBar('Exporting');
      let written: { entries: number; orgs: number };
      let other: OtherOrgs | undefined;
      try {
        written = await exportJsonl(store, org === undefined ? {} : { org }, out, (done, total) => bar.update(done, total));
        if (org !== undefined && written.entries === 0) other = await countOtherOrgs(store, org, {}, { usage: new Map() });
        if (partial && file) {
          out.end();
          await once(out, 'finish');
          renameSync(partial, file);
        }
      } catch (error) {
        if (partial) rmSync(partial, { force: true });
        if (toStdout && isBrokenPipe(error)) return;
        throw error;
      } finally {
        bar.finish();
        await store.close();
      }
      const note = org !== undefined && other ? otherOrgsNote(org, {}, other, args.org !== undefined) : [];
      // On stdout the lines are the data, so the note goes to stderr.
      if (!file) return void (note.length > 0 && process.stderr.write(`rehearse: ${note.join('\n')}\n`));
      if (args.format === 'json') {
        return writeJson({ org: org ?? null, ...(org === undefined && { orgs: written.orgs }), cache: target.cachePath, file, entries: written.entries, ...(other && otherOrgsJson(other)) });
      }
      const of = org === undefined ? `${scopeWords(org)} (${plural(written.orgs, 'org')})` : scopeWords(org);
      writeLines([`Exported ${entries(written.entries)} of ${of} from ${target.cachePath} to ${file}.`, ...note]);
    },
  );
}
