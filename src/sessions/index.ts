/** Sessions (conversations and their sandboxes), invocation records, and usage, in the local state file. */
export { appendSessionTurn, deleteSession, getSession, listSessions, loadSessionHistory } from './session-store.js';
export { checkSessionId, sessionSandboxDir } from './ids.js';
export { getRun, listRuns, recordInvocation } from './records.js';
export { usageTotals } from './usage.js';
export type * from './types.js';
