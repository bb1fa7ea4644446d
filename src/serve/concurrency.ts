import { tooManyRequests } from '../http/http-error.js';

/** How many invocations each client has running, capped at `max`. */
export class ConcurrencyLimiter {
  private readonly running = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** Holds a slot for the client until the returned release is called (once; later calls do nothing), or throws 429. */
  acquire(client: string): () => void {
    const count = this.running.get(client) ?? 0;
    // Nobody can say when a running invocation ends; a second is a polite first guess.
    if (count >= this.max) throw tooManyRequests(`Concurrency limit exceeded: at most ${this.max} invocations at once per client.`, 1);
    this.running.set(client, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.running.get(client) ?? 1) - 1;
      if (left > 0) this.running.set(client, left);
      else this.running.delete(client);
    };
  }
}
