/** What the reporter hands every worker through vitest's provide/inject. */
export const summaryFileKey = 'rehearse:summaryFile';

declare module 'vitest' {
  interface ProvidedContext {
    /** The JSON Lines file each worker appends its invocation records to (see summary-record.ts). */
    'rehearse:summaryFile': string;
  }
}
