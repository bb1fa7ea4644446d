import { once } from 'node:events';
import { createInterface } from 'node:readline';

/** Whether the user can be asked: standard input is a terminal. */
export function canAsk(input: { isTTY?: boolean } = process.stdin): boolean {
  return input.isTTY === true;
}

/** Asks a yes/no question (default no); only "y" or "yes" is a yes. End of input is a no. */
export async function confirm(
  question: string,
  input: NodeJS.ReadableStream = process.stdin,
  output: NodeJS.WritableStream = process.stderr,
): Promise<boolean> {
  const lines = createInterface({ input, output, terminal: false });
  try {
    output.write(question);
    const answer = await Promise.race([
      once(lines, 'line').then(([line]) => String(line)),
      once(lines, 'close').then(() => ''),
    ]);
    return /^\s*y(es)?\s*$/i.test(answer);
  } finally {
    lines.close();
  }
}
