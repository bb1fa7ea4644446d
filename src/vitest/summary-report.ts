import { existsSync, readFileSync } from 'node:fs';
import pc from 'picocolors';

type Colors = Pick<typeof pc, 'bold' | 'red'>;
import type { ModeName } from '../config/resolve.js';
import { formatUsd } from '../format/content.js';
import type { InvocationRecord, StrictMissRecord } from './summary-record.js';

export interface StrictMissInTest extends StrictMissRecord {
  test: string | null;
  file: string | null;
  /** The command that re-runs the test to record it. */
  rerun: string | null;
}

/** The totals of a test run's invocations. */
export interface RunSummary {
  invocations: number;
  byMode: Record<ModeName, number>;
  failed: number;
  hits: number;
  misses: number;
  recorded: number;
  savedCostUsd: number;
  costUsd: number;
  strictMisses: StrictMissInTest[];
}

/** The records the workers appended; a line cut short (a worker killed mid-write) is skipped. */
export function readRecords(file: string): InvocationRecord[] {
  if (!existsSync(file)) return [];
  const records: InvocationRecord[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      records.push(JSON.parse(line) as InvocationRecord);
    } catch {
      // skipped: not a whole record
    }
  }
  return records;
}

export function summarize(records: readonly InvocationRecord[]): RunSummary {
  const summary: RunSummary = {
    invocations: records.length,
    byMode: { live: 0, replay: 0, manual: 0 },
    failed: 0,
    hits: 0,
    misses: 0,
    recorded: 0,
    savedCostUsd: 0,
    costUsd: 0,
    strictMisses: [],
  };
  for (const record of records) {
    summary.byMode[record.mode] += 1;
    if (record.status === 'failed') summary.failed += 1;
    summary.hits += record.hits;
    summary.misses += record.misses;
    summary.recorded += record.recorded;
    summary.savedCostUsd += record.savedCostUsd;
    summary.costUsd += record.costUsd;
    for (const miss of record.strictMisses) summary.strictMisses.push({ ...miss, test: record.test, file: record.file, rerun: record.rerun });
  }
  return summary;
}

function plural(count: number, word: string, words = `${word}s`): string {
  return `${count} ${count === 1 ? word : words}`;
}

/**
 * The summary as the reporter prints it; every strict miss with the command that records it.
 * `colors` defaults to picocolors' own detection (a terminal, FORCE_COLOR); tests pass plain ones.
 */
export function formatSummary(summary: RunSummary, colors: Colors = pc): string {
  const modes = (Object.entries(summary.byMode) as Array<[ModeName, number]>)
    .filter(([, count]) => count > 0)
    .map(([mode, count]) => `${mode} ${count}`)
    .join(', ');
  const lines = [
    `${colors.bold(' rehearse ')} ${plural(summary.invocations, 'invocation')}${modes ? ` (${modes})` : ''}${summary.failed ? colors.red(`, ${summary.failed} failed`) : ''}`,
    `   cache: ${plural(summary.hits, 'hit')}, ${plural(summary.misses, 'miss', 'misses')}, ${summary.recorded} recorded · cost saved ${formatUsd(summary.savedCostUsd)} · spent on live calls ${formatUsd(summary.costUsd)}`,
  ];
  if (summary.strictMisses.length > 0) {
    const one = summary.strictMisses.length === 1;
    lines.push(
      colors.red(`   ${plural(summary.strictMisses.length, 'strict miss', 'strict misses')}: ${one ? 'a recording is' : 'recordings are'} missing; record ${one ? 'it' : 'them'}, then commit the cache:`),
    );
    for (const miss of summary.strictMisses) {
      const where = [miss.file, miss.test].filter((part) => part !== null).join(' > ') || '(outside a test)';
      lines.push(`   ${colors.red('✗')} ${where}`);
      lines.push(`     ${miss.message}`);
      lines.push(`     bot ${miss.bot} · ${miss.actionType}${miss.key ? ` · key ${miss.key.slice(0, 12)}` : ''}`);
      if (miss.rerun) lines.push(`     record it: ${miss.rerun}`);
      if (miss.command) lines.push(`     ${miss.rerun ? 'or' : 'record it'}: ${miss.command}`);
      if (!miss.rerun && !miss.command) lines.push('     record it: run this test with REHEARSE_MODE=replay and REHEARSE_STRICT unset');
    }
  }
  return lines.join('\n');
}
