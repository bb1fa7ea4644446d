import type { StreamPassthrough } from '../wire/forward.js';

/**
 * The body of a live streamed answer, fed with the provider's bytes as they arrive, so an SDK
 * reads a live stream as it happens; `opened` resolves when the provider's stream begins. The
 * stream itself is made then: a streamed call answered from a recording or a mock never needs it.
 */
export class PassthroughBody implements StreamPassthrough {
  readonly opened: Promise<void>;
  private stream: ReadableStream<Uint8Array> | undefined;
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private markOpened!: () => void;
  /** Closed, failed, or cancelled by the SDK: nothing more can be handed on. */
  private ended = false;

  constructor() {
    this.opened = new Promise((resolve) => (this.markOpened = resolve));
  }

  /** What the SDK reads; there once the stream is open. */
  get readable(): ReadableStream<Uint8Array> {
    this.stream ??= new ReadableStream<Uint8Array>({
      start: (controller) => void (this.controller = controller),
      // The SDK stopped reading (a bot broke out of its stream): the rest is still read and recorded, just not handed on.
      cancel: () => void (this.ended = true),
    });
    return this.stream;
  }

  open(): void {
    void this.readable; // the stream must exist before the first write
    this.markOpened();
  }

  write(chunk: Uint8Array): void {
    if (!this.ended) this.controller.enqueue(chunk);
  }

  close(): void {
    if (this.ended || !this.stream) return;
    this.ended = true;
    this.controller.close();
  }

  /** The SDK reading the stream sees it break, as it would if the provider's connection dropped. */
  fail(error: unknown): void {
    if (this.ended || !this.stream) return;
    this.ended = true;
    this.controller.error(error);
  }
}
