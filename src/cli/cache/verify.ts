import type { Argv } from 'yargs';
import { verifyCache, type VerifyReport } from '../../cache/verify.js';
import { writeJson, writeLines } from '../state-options.js';
import { cacheOptions, cacheTarget, formatBytes, orgScope, plural, withStore } from './common.js';
import { countOtherOrgs, otherOrgsJson, otherOrgsNote, type OtherOrgs } from './other-orgs.js';
import { progressBar } from './progress.js';

function reportJson(report: VerifyReport) {
  return {
    ok: report.faultCount === 0,
    cache: report.path,
    org: report.org ?? null,
    file_bytes: report.fileBytes,
    integrity: report.integrity,
    entries_checked: report.entriesChecked,
    orgs_checked: report.orgsChecked,
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
    `  keys       ${report.entriesChecked} recomputed${report.org === undefined ? ` (${plural(report.orgsChecked, 'org')})` : ''}`,
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
    "SQLite's integrity check and every key recomputed from its fields (every org's, unless --org names one); exits 1 on any fault",
    (command) =>
      cacheOptions(command)
        .option('all-orgs', { type: 'boolean', describe: 'Recompute the keys of every org (the default unless --org is given)' })
        .example('$0 cache verify', 'What CI runs on a committed cache: every org')
        .example('$0 cache verify --org acme', "Only one org's keys (the integrity check still covers the whole file)"),
    async (args) => {
      const target = cacheTarget(args);
      // Every org unless --org narrows it: REHEARSE_ORG (set for the tests of one org) does not hide the others from a check.
      const org = args.org === undefined ? undefined : orgScope(args, target);
      const bar = progressBar('Verifying');
      let report: VerifyReport;
      let other: OtherOrgs | undefined;
      try {
        report = await withStore(target, async (store) => {
          const checked = await verifyCache(store, { ...(org !== undefined && { org }), onProgress: (done, total) => bar.update(done, total) });
          if (org !== undefined && checked.entriesChecked === 0 && checked.faultCount === 0) other = await countOtherOrgs(store, org, {}, { usage: new Map() });
          return checked;
        });
      } finally {
        bar.finish();
      }
      if (report.faultCount > 0) process.exitCode = 1;
      if (args.format === 'json') return writeJson({ ...reportJson(report), ...(other && otherOrgsJson(other)) });
      writeLines([...reportText(report), ...(org !== undefined && other ? otherOrgsNote(org, {}, other, args.org !== undefined) : [])]);
    },
  );
}
