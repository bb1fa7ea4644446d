import type { Argv } from 'yargs';
import { openStore } from '../../cache/open.js';
import { printableUrl } from '../../cache/postgres/location.js';
import { Redactor } from '../../secrets/redactor.js';
import { transferRecordings, type TransferReport } from '../../cache/transfer.js';
import type { EntryQuery } from '../../cache/types.js';
import { UsageError } from '../../errors.js';
import { writeJson, writeLines } from '../state-options.js';
import { cacheTarget, currentBotVersions, entries } from './common.js';
import { stateOptions } from '../state-options.js';

/** The options pull and push share: the two stores, and which recordings. */
function transferOptions<T>(command: Argv<T>) {
  return stateOptions(command)
    .option('file', { type: 'string', describe: 'The cache file [default: cache.path of rehearse.config.json, cache/rehearse.sqlite]' })
    .option('url', { type: 'string', describe: 'The team cache, postgres://... [env REHEARSE_CACHE_URL; default: cache.url]' })
    .option('bot', { type: 'string', describe: 'Only recordings of this bot' })
    .option('all-orgs', { type: 'boolean', default: false, describe: 'Every org the role may read, not only --org' });
}

interface TransferArgs {
  file?: string | undefined;
  url?: string | undefined;
  bot?: string | undefined;
  org?: string | undefined;
  allOrgs: boolean;
  state?: string | undefined;
  config?: string | undefined;
  format: 'text' | 'json';
}

function endpoints(args: TransferArgs) {
  const target = cacheTarget({ ...args, cache: undefined });
  const url = args.url ?? target.config.cacheUrl;
  if (!url) {
    throw new UsageError('No team cache to pull from or push to.', { hint: 'Name it with --url postgres://user@host:5432/db, REHEARSE_CACHE_URL, or "cache": { "url": ... } in rehearse.config.json.' });
  }
  const file = args.file ?? target.config.cachePath;
  const query: EntryQuery = { ...(!args.allOrgs && { org: target.org }), ...(args.bot !== undefined && { botId: args.bot }) };
  return { target, url, file, query };
}

function reportLines(verb: string, from: string, to: string, report: TransferReport): string[] {
  return [
    `${verb} ${entries(report.considered)} from ${from} to ${to}: ${report.added} added, ${report.kept} already there (kept as they were).`,
    ...(report.notCurrent ? [`Left out ${entries(report.notCurrent)} of older bot versions (--all-versions takes them too).`] : []),
    ...(report.unknownBots ? [`Took ${entries(report.unknownBots)} of bots not found through the config's "bots" whole (every version): their current version is unknown.`] : []),
    ...(report.redacted ? [`Replaced secrets in ${entries(report.redacted)} before sending them (their keys recomputed).`] : []),
    ...(report.refused.length ? [`Refused ${entries(report.refused.length)} whose key does not match their fields:`, ...report.refused.slice(0, 20).map((row) => `  ${row.org}/${row.key.slice(0, 16)}: ${row.problem}`)] : []),
  ];
}

function reportJson(from: string, to: string, report: TransferReport) {
  return { from, to, considered: report.considered, added: report.added, kept: report.kept, not_current: report.notCurrent, unknown_bots: report.unknownBots, redacted: report.redacted, refused: report.refused };
}

export function pullCommand(cli: Argv) {
  return cli.command(
    'pull',
    "Copy the team cache's recordings (PostgreSQL) into the cache file, for offline replay",
    (command) =>
      transferOptions(command)
        .option('all-versions', { type: 'boolean', default: false, describe: "Also recordings of older bot versions (by default only each bot's current one)" })
        .example('$0 cache pull', 'The current recordings of this org into cache/rehearse.sqlite')
        .example('$0 cache pull --bot support-bot --all-orgs', 'One bot, every org'),
    async (args) => {
      const { target, url, file, query } = endpoints(args);
      const currentVersions = args.allVersions ? undefined : await currentBotVersions(target.config);
      const team = openStore(url);
      const local = openStore(file);
      let report: TransferReport;
      try {
        report = await transferRecordings(team, local, { query, ...(currentVersions && { currentVersions }) });
      } finally {
        await Promise.all([team.close(), local.close()]);
      }
      if (args.format === 'json') return writeJson(reportJson(printableUrl(url), file, report));
      writeLines(reportLines('Pulled', printableUrl(url), file, report));
    },
  );
}

export function pushCommand(cli: Argv) {
  return cli.command(
    'push',
    "Upload the cache file's recordings to the team cache (keys recomputed, secrets redacted, written once)",
    (command) => transferOptions(command).example('$0 cache push --bot support-bot', "One bot's recordings into the team cache"),
    async (args) => {
      const { target, url, file, query } = endpoints(args);
      const local = openStore(file);
      const team = openStore(url);
      let report: TransferReport;
      try {
        report = await transferRecordings(local, team, { query, redactor: new Redactor(target.config.cacheRedact) });
      } finally {
        await Promise.all([team.close(), local.close()]);
      }
      if (report.refused.length) process.exitCode = 1;
      if (args.format === 'json') return writeJson(reportJson(file, printableUrl(url), report));
      writeLines(reportLines('Pushed', file, printableUrl(url), report));
    },
  );
}
