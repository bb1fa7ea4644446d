import { relative } from 'node:path';
import type { Argv } from 'yargs';
import { diffCaches } from '../../cache/git/diff.js';
import { fileAtRevision, repositoryPathOf } from '../../cache/git/revision.js';
import { openStore } from '../../cache/open.js';
import { isPostgresUrl } from '../../cache/postgres/location.js';
import type { RecordingStore } from '../../cache/types.js';
import { resolveConfig } from '../../config/resolve.js';
import { isRehearseError, RehearseError, UsageError } from '../../errors.js';
import { formatOption, writeJson, writeLines } from '../state-options.js';
import { allOrgsOption } from './common.js';
import { diffJson, diffMarkdown, diffText, type DiffSubject } from './diff-format.js';

/** Checks a side before it is read, saying which side a problem is in. */
async function checked(store: RecordingStore, side: string): Promise<RecordingStore> {
  try {
    await store.check();
    return store;
  } catch (error) {
    if (!isRehearseError(error)) throw error;
    // The same error (a damaged file exits 1, as everywhere), saying which side it is in.
    throw new RehearseError(error.code, `The cache at ${side} cannot be read. ${error.message}`, { ...(error.hint !== undefined && { hint: error.hint }), cause: error });
  }
}

export function diffCommand(cli: Argv) {
  return cli.command(
    'diff [ref]',
    'What the working tree\'s cache file added, changed and removed since a git revision, by bot and action',
    (command) =>
      formatOption(allOrgsOption(command), ['text', 'json', 'markdown'] as const, 'text, json, or markdown (a pull-request comment)')
        .positional('ref', { type: 'string', default: 'HEAD', describe: 'The git revision to compare with: a commit, branch or tag' })
        .option('cache', { type: 'string', describe: 'The committed cache file [env REHEARSE_CACHE; default: cache.path of the config, cache/rehearse.sqlite]' })
        .option('org', { type: 'string', describe: 'Organisation [env REHEARSE_ORG; default "default"]' })
        .option('config', { type: 'string', describe: 'Config file [default ./rehearse.config.json]' })
        .example('$0 cache diff', 'What is not committed yet')
        .example('$0 cache diff origin/main --all-orgs --format markdown', 'What a pull request changes, for its comment'),
    async (args) => {
      if (args.cache !== undefined && isPostgresUrl(args.cache)) {
        throw new UsageError('cache diff compares a cache file with its committed version; a PostgreSQL cache is not in git.', { hint: 'Point --cache at the committed file, for example cache/rehearse.sqlite.' });
      }
      const config = resolveConfig({ ...(args.org !== undefined && { org: args.org }), ...(args.config !== undefined && { configPath: args.config }), ...(args.cache !== undefined && { cachePath: args.cache }) }, process.env);
      const location = repositoryPathOf(config.cachePath);
      const ref = args.ref ?? 'HEAD';
      const committed = fileAtRevision(location, ref);
      const before = openStore(committed.file);
      const after = openStore(config.cachePath);
      try {
        await checked(before, `${ref}:${location.path}`);
        const missing = !(await after.exists());
        await checked(after, config.cachePath);
        const org = args.allOrgs ? undefined : config.org;
        const diff = await diffCaches(before, after, org === undefined ? {} : { org });
        const subject: DiffSubject = { cache: relative(process.cwd(), config.cachePath) || config.cachePath, ref, org, missing };
        if (args.format === 'json') return writeJson(diffJson(diff, subject));
        writeLines(args.format === 'markdown' ? diffMarkdown(diff, subject) : diffText(diff, subject));
      } finally {
        await Promise.all([before.close(), after.close()]);
        committed.remove();
      }
    },
  );
}
