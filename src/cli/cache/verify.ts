import type { Argv } from 'yargs';
import { verifyCache, type VerifyReport } from '../../cache/verify.js';
import { writeJson, writeLines } from '../state-options.js';
import { cacheOptions, cacheTarget, formatBytes, withStore } from './common.js';
import { progressBar } from './progress.js';

function reportJson(report: VerifyReport) {
  return {
    ok: report.faultCount === 0,
    cache: report.path,
    org: report.org ?? null,
    file_bytes: report.fileBytes,
    integrity: report.integrity,
    entries_checked: report.entriesChecked,
    fault_count: report.faultCount,
    faults_by_kind: report.faultsByKind,
    faults: report.faults.map((fault) => ({
      kind: fault.kind,
      ...(fault.org !== undefined && { org: fault.org }),
      ...(fault.key !== undefined && { key: fault.key }),
      ...(fault.computedKey !== undefined && { computed_key: fault.computedKey }),
      ...(fault.botId !== undefined && { bot_id: fault.botId }),
      ...(fault.actionType !== undefined && { action_type: fault.actionType }),
      detail: fault.detail,
    })),
  };
}

function reportText(report: VerifyReport): string[] {
  const kinds = Object.entries(report.faultsByKind)
    .map(([kind, count]) => `${kind} ${count}`)
    .join(', ');
  const lines = [
    `Verifying ${report.path} (${formatBytes(report.fileBytes)}; keys of ${report.org === undefined ? 'every org' : `org ${report.org}`})`,
    `  integrity  ${report.integrity === null ? 'could not run' : report.integrity.join('; ')}`,
    `  keys       ${report.entriesChecked} recomputed`,
    `  faults     ${report.faultCount}${kinds ? ` (${kinds})` : ''}`,
  ];
  for (const fault of report.faults) {
    const where = fault.key === undefined ? '' : ` ${fault.org === report.org ? '' : `${fault.org}/`}${fault.key.slice(0, 16)} (${fault.botId ?? '?'}, ${fault.actionType ?? '?'})`;
    lines.push(`    ${fault.kind}${where}: ${fault.detail}`);
  }
  if (report.faultCount > report.faults.length) lines.push(`    ... and ${report.faultCount - report.faults.length} more`);
  lines.push('', report.faultCount === 0 ? 'OK: the file is sound and every key matches its fields.' : `FAILED: ${report.faultCount} fault${report.faultCount === 1 ? '' : 's'}.`);
  return lines;
}

export function verifyCommand(cli: Argv) {
  return cli.command(
    'verify',
    "SQLite's integrity check and every key recomputed from its fields; exits 1 on any fault",
    (command) =>
      cacheOptions(command)
        .option('all-orgs', { type: 'boolean', default: false, describe: 'Recompute the keys of every org, not only --org' })
        .example('$0 cache verify --all-orgs', 'What CI runs on a committed cache'),
    async (args) => {
      const target = cacheTarget(args);
      const bar = progressBar('Verifying');
      let report: VerifyReport;
      try {
        report = await withStore(target, (store) => verifyCache(store, { ...(!args.allOrgs && { org: target.org }), onProgress: (done, total) => bar.update(done, total) }));
      } finally {
        bar.finish();
      }
      if (report.faultCount > 0) process.exitCode = 1;
      if (args.format === 'json') return writeJson(reportJson(report));
      writeLines(reportText(report));
    },
  );
}
