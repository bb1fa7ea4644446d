/** What a progress bar draws on: stderr, or a stand-in in tests. */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): boolean;
}

export interface ProgressBar {
  /** `done` of `total` (when known); `fraction` overrides done/total (an import read by bytes). */
  update(done: number, total?: number, fraction?: number): void;
  /** Clears the bar, if one was drawn. */
  finish(): void;
}

export interface ProgressOptions {
  stream?: ProgressStream;
  /** Operations over at most this many rows draw no bar. */
  minRows?: number;
  /** Milliseconds between redraws. */
  interval?: number;
  now?: () => number;
}

/**
 * A one-line progress bar on stderr for long operations (export, import, verify, clear): drawn only
 * when stderr is a terminal and the operation is over `minRows` rows (2,000), redrawn at most every
 * 100 ms, and cleared when done, so pipes and logs never see it.
 */
export function progressBar(label: string, options: ProgressOptions = {}): ProgressBar {
  const stream = options.stream ?? process.stderr;
  const minRows = options.minRows ?? 2000;
  const interval = options.interval ?? 100;
  const now = options.now ?? Date.now;
  let drawn = false;
  let last = -Infinity;
  if (!stream.isTTY) return { update: () => undefined, finish: () => undefined };
  return {
    update(done, total, fraction) {
      if ((total ?? done) <= minRows) return;
      const time = now();
      const complete = total !== undefined && done >= total;
      if (!complete && time - last < interval) return;
      last = time;
      const share = fraction ?? (total ? done / total : undefined);
      const count = total === undefined ? `${done.toLocaleString('en-US')} rows` : `${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')}`;
      let text = `${label} ${count}`;
      if (share !== undefined) {
        const clamped = Math.min(1, Math.max(0, share));
        const width = Math.max(10, Math.min(30, (stream.columns ?? 80) - label.length - count.length - 10));
        const filled = Math.round(clamped * width);
        text = `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(clamped * 100)).padStart(3)}% ${count}`;
      }
      stream.write(`\r${text}\x1b[K`);
      drawn = true;
    },
    finish() {
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}
