/**
 * The end-of-run summary of agent-rehearse/vitest (`reporters: ['default', new RehearseReporter()]`):
 * invocations, cache hits, misses, recordings, cost saved, and every strict miss with the command that
 * records it. Workers append one JSON line per invocation to a file this reporter creates and hands them
 * through vitest's provide/inject; it reads the file when the run ends (each run, in watch mode too).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Reporter, Vitest } from 'vitest/node';
import { summaryFileKey } from './provided.js';
import { formatSummary, readRecords, summarize, type RunSummary } from './summary-report.js';

export class RehearseReporter implements Reporter {
  private vitest: Vitest | undefined;
  private file: string | undefined;
  /** The summary of the last run, for programs that drive vitest themselves. */
  summary: RunSummary | undefined;

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
    const dir = mkdtempSync(join(tmpdir(), 'rehearse-vitest-summary-'));
    this.file = join(dir, 'invocations.jsonl');
    writeFileSync(this.file, '');
    vitest.provide(summaryFileKey, this.file);
    vitest.onClose(() => rmSync(dir, { recursive: true, force: true }));
  }

  onTestRunStart(): void {
    if (this.file) writeFileSync(this.file, '');
  }

  onTestRunEnd(): void {
    if (!this.file) return;
    this.summary = summarize(readRecords(this.file));
    if (this.summary.invocations === 0) return;
    const text = `\n${formatSummary(this.summary)}\n`;
    if (this.vitest) this.vitest.logger.log(text);
    else process.stdout.write(`${text}\n`);
  }
}

export default RehearseReporter;
