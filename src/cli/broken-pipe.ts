/**
 * `rehearse … | head -3`: once the reader is gone, the next write to stdout fails with EPIPE, which
 * Node raises as an unhandled 'error' event (a stack, exit 1) where other CLIs die quietly of
 * SIGPIPE. A closed stdout or stderr ends the process at once, without a word (there is no one to
 * read it), with the status the command had set so far, else 0.
 */
export function exitQuietlyOnBrokenPipe(streams: readonly NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      const status = Number(process.exitCode ?? 0);
      process.exit(Number.isInteger(status) ? status : 1);
    });
  }
}
