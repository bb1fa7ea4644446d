import type { Argv } from 'yargs';
import { repositoryPathOf } from '../../cache/git/revision.js';
import { configureGitForCache, defaultGitCommand, describeGitSetupChange, driverName } from '../../cache/git/setup.js';
import { isPostgresUrl } from '../../cache/postgres/location.js';
import { resolveConfig } from '../../config/resolve.js';
import { UsageError } from '../../errors.js';
import { writeJson, writeLines } from '../state-options.js';

export function gitSetupCommand(cli: Argv) {
  return cli.command(
    'git-setup',
    'Makes git merge the committed cache with rehearse cache merge and diff it as text (.gitattributes and .git/config); once per clone',
    (command) =>
      command
        .option('cache', { type: 'string', describe: 'The committed cache file [env REHEARSE_CACHE; default: cache.path of the config, cache/rehearse.sqlite]' })
        .option('config', { type: 'string', describe: 'Config file [default ./rehearse.config.json]' })
        .option('command', { type: 'string', default: defaultGitCommand, describe: 'How git starts rehearse' })
        .option('format', { type: 'string', choices: ['text', 'json'] as const, default: 'text' as 'text' | 'json', describe: 'text or json' })
        .example('$0 cache git-setup', 'After cloning: git config is not cloned'),
    async (args) => {
      if (args.cache !== undefined && isPostgresUrl(args.cache)) {
        throw new UsageError('git-setup is for a cache file committed to git; a PostgreSQL cache is not in git.', { hint: 'Point --cache at the committed file, for example cache/rehearse.sqlite.' });
      }
      const config = resolveConfig({ ...(args.config !== undefined && { configPath: args.config }), ...(args.cache !== undefined && { cachePath: args.cache }) }, process.env);
      const { root } = repositoryPathOf(config.cachePath);
      const changes = configureGitForCache({ root, cachePath: config.cachePath, command: args.command });
      if (args.format === 'json') return writeJson({ root, cache: config.cachePath, driver: driverName, changes });
      if (changes.length === 0) return writeLines([`git already merges and diffs ${config.cachePath} with rehearse (driver ${driverName}): nothing to change.`]);
      writeLines([`git now merges and diffs ${config.cachePath} with rehearse (driver ${driverName}):`, ...changes.map((change) => `  ${describeGitSetupChange(change)}`)]);
    },
  );
}
