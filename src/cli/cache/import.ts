import { createReadStream, existsSync, statSync, type ReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Argv } from 'yargs';
import { conflictPolicies, importJsonl, type ImportReport } from '../../cache/import-jsonl.js';
import { openStore } from '../../cache/open.js';
import { Redactor } from '../../secrets/redactor.js';
import { UsageError } from '../../errors.js';
import { writeJson, writeLines } from '../state-options.js';
import { cacheOptions, cacheTarget, entries, shortKey } from './common.js';
import { progressBar } from './progress.js';

function reportJson(report: ImportReport) {
  return {
    entries: report.entries,
    added: report.added,
    replaced: report.replaced,
    kept: report.kept,
    unchanged: report.unchanged,
    refused: report.refused,
    wrote: report.wrote,
    created: report.created,
    redacted: report.redacted,
    fault_count: report.faultCount,
    faults: report.faults.map((fault) => ({ line: fault.line, key: fault.key, computed_key: fault.computedKey, problem: fault.problem })),
    conflict_count: report.conflictCount,
    conflicts: report.conflicts.map((conflict) => ({ line: conflict.line, key: conflict.key, bot_id: conflict.botId, action_type: conflict.actionType })),
  };
}

function refusalText(report: ImportReport, source: string): string[] {
  if (report.faultCount > 0) {
    return [
      `Import refused, nothing changed: ${report.faultCount} of ${report.entries} lines of ${source} cannot be imported.`,
      ...report.faults.map((fault) => `  line ${fault.line}${fault.key ? ` (key ${fault.key})` : ''}: ${fault.problem}`),
      ...(report.faultCount > report.faults.length ? [`  ... and ${report.faultCount - report.faults.length} more`] : []),
      '',
      'Every key must be the hash of its own fields (DESIGN.md, "The replay key"): an entry edited by hand, or recorded by another bot version, is not imported.',
    ];
  }
  return [
    `Import refused, nothing changed: ${entries(report.conflictCount)} of ${source} ${report.conflictCount === 1 ? 'is' : 'are'} in the cache with different fields (--on-conflict fail).`,
    ...report.conflicts.map((conflict) => `  line ${conflict.line}: ${conflict.key} (${conflict.botId}, ${conflict.actionType})`),
    ...(report.conflictCount > report.conflicts.length ? [`  ... and ${report.conflictCount - report.conflicts.length} more`] : []),
    '',
    "Pass --on-conflict keep to leave the cache's entries as they are, or --on-conflict replace to take the export's.",
  ];
}

export function importCommand(cli: Argv) {
  return cli.command(
    'import <file>',
    'Merge a JSON Lines export into the cache (created if missing), checking every key against the formula',
    (command) =>
      cacheOptions(command)
        .positional('file', { type: 'string', demandOption: true, describe: 'The export to read; - for stdin' })
        .option('on-conflict', {
          type: 'string',
          choices: conflictPolicies,
          default: 'fail' as (typeof conflictPolicies)[number],
          describe: "An entry the cache holds with other fields: fail (report, change nothing), keep the cache's, or replace it",
        })
        .option('dry-run', { type: 'boolean', default: false, describe: 'Check and count, and change nothing' })
        .example('$0 cache import cache/recordings.jsonl', 'Rebuild or update the cache from a committed export')
        .example('$0 cache import theirs.jsonl --on-conflict keep', "Add another cache's recordings, keeping ours where both have one"),
    async (args) => {
      const target = cacheTarget(args);
      // yargs hands `-` over as an empty string.
      const fromStdin = args.file === '-' || args.file === '';
      const file = fromStdin ? undefined : resolve(args.file);
      if (file && !existsSync(file)) throw new UsageError(`Cannot read the export ${args.file}: no such file.`);
      if (file && !statSync(file).isFile()) {
        throw new UsageError(`Cannot read the export ${args.file}: it is a folder, not a file.`, { hint: 'Name the .jsonl file rehearse cache export wrote (or - for stdin).' });
      }
      const input = file ? createReadStream(file) : process.stdin;
      const size = file ? statSync(file).size : undefined;
      const lines = createInterface({ input, crlfDelay: Infinity });
      const bar = progressBar('Importing');
      let report: ImportReport;
      const store = openStore(target.storeLocation);
      try {
        report = await importJsonl(lines, {
          store,
          org: target.org,
          policy: args.onConflict,
          dryRun: args.dryRun,
          redactor: new Redactor(target.config.cacheRedact),
          onProgress: (done) => bar.update(done, undefined, size ? (input as ReadStream).bytesRead / size : undefined),
        });
      } finally {
        await store.close();
        bar.finish();
        lines.close();
      }
      const source = file ?? 'stdin';
      if (report.refused) process.exitCode = 1;
      if (args.format === 'json') return writeJson({ org: target.org, cache: target.cachePath, source, dry_run: args.dryRun, ...reportJson(report) });
      if (report.refused) {
        process.stderr.write(`${refusalText(report, source).join('\n')}\n`);
        return;
      }
      const counts = [`${report.added} added`, `${report.replaced} replaced`, `${report.kept} kept as they were`, `${report.unchanged} unchanged`].join(', ');
      writeLines([
        `${args.dryRun ? 'Dry run: would import' : 'Imported'} ${entries(report.entries)} of ${source} into ${target.cachePath} (org ${target.org}): ${counts}.`,
        ...(report.created ? ['The cache file was created.'] : []),
        ...(report.redacted ? [`${entries(report.redacted)} held a secret: stored with it replaced by [REDACTED], under the key of the redacted request.`] : []),
        ...(report.kept > 0 && report.conflicts.length > 0
          ? [`Kept the cache's own entry for: ${report.conflicts.map((conflict) => shortKey(conflict.key)).join(', ')}${report.kept > report.conflicts.length ? ', ...' : ''}.`]
          : []),
      ]);
    },
  );
}
