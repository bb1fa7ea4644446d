/** Each of stdout and stderr keeps at most this many bytes; the rest is read and dropped. */
export const OUTPUT_CAP_BYTES = 1024 * 1024;

/**
 * One output stream of the child, kept as bytes up to a cap and decoded once at the end, so a
 * multi-byte character split across two chunks is never garbled. Past the cap, data is still read
 * (a child blocked on a full pipe would never finish) but dropped.
 */
export class CappedOutput {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly cap = OUTPUT_CAP_BYTES) {}

  push(chunk: Buffer): void {
    const room = this.cap - this.size;
    if (chunk.length <= room) {
      this.chunks.push(chunk);
      this.size += chunk.length;
      return;
    }
    this.truncated = true;
    if (room > 0) {
      this.chunks.push(chunk.subarray(0, room));
      this.size += room;
    }
  }

  /**
   * The kept bytes as UTF-8, once: the bytes are let go of. When cut at the cap, a character the cut
   * split in two is dropped whole.
   */
  take(): string {
    const bytes = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    this.chunks.length = 0;
    this.size = 0;
    return bytes.toString('utf8', 0, this.truncated ? completeUtf8Length(bytes) : bytes.length);
  }
}

/** The length of `bytes` without a trailing incomplete UTF-8 sequence. */
export function completeUtf8Length(bytes: Buffer): number {
  const end = bytes.length;
  // A sequence is at most 4 bytes: look back at most 3 continuation bytes for its lead byte.
  for (let back = 1; back <= Math.min(4, end); back++) {
    const byte = bytes[end - back]!;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: keep looking for the lead
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return needed > back ? end - back : end;
  }
  return end;
}
