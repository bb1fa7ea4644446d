import type { ChildProcess } from 'node:child_process';

/** The next message a child sends over IPC; rejects if it exits first. */
export function nextMessage(child: ChildProcess): Promise<unknown> {
  return new Promise((resolveMessage, reject) => {
    const exited = (code: number | null) => reject(new Error(`worker exited (code ${code}) before answering`));
    child.once('exit', exited);
    child.once('message', (message) => {
      child.off('exit', exited);
      resolveMessage(message);
    });
  });
}
