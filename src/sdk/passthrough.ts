import type { StreamPassthrough } from '../wire/forward.js';

/**
 * The body of a live streamed answer, fed with the provider's bytes as they arrive, so an SDK
 * reads a live stream as it happens; `opened` resolves when the provider's stream begins.
 */
export class PassthroughBody implements StreamPassthrough {
  readonly readable: ReadableStream<Uint8Array>;
  readonly opened: Promise<void>;
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private markOpened!: () => void;

  constructor() {
    this.readable = new ReadableStream<Uint8Array>({ start: (controller) => void (this.controller = controller) });
    this.opened = new Promise((resolve) => (this.markOpened = resolve));
  }

  open(): void {
    this.markOpened();
  }

  write(chunk: Uint8Array): void {
    this.controller.enqueue(chunk);
  }

  close(): void {
    this.controller.close();
  }

  /** The SDK reading the stream sees it break, as it would if the provider's connection dropped. */
  fail(error: unknown): void {
    this.controller.error(error);
  }
}
