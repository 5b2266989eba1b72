/**
 * A growable byte buffer with a hard capacity. Appends are amortised O(1) (capacity doubles,
 * never past `limit`), so a message arriving one byte at a time costs linear, not quadratic,
 * time; `movedBytes` counts every byte written into the storage (appends, regrowth copies,
 * compaction) so a test can check that by counting, not timing. Views returned by `view()` are
 * invalidated by the next `append()` or `reset()`.
 */
const EMPTY = new Uint8Array(0);

export class ByteBuffer {
  // Allocated on first use: most connections never hold a partial message, and an idle
  // connection should cost as little as possible.
  private bytes: Uint8Array = EMPTY;
  private size = 0;
  /** Bytes written into the storage so far: appended, copied on growth, moved by `keepFrom`. */
  movedBytes = 0;

  constructor(private readonly limit: number) {}

  get length(): number {
    return this.size;
  }

  /** Appends `source[start, end)`. The caller guarantees the result stays within `limit`. */
  append(source: Uint8Array, start: number, end: number): void {
    const needed = this.size + (end - start);
    if (needed > this.bytes.length) {
      let capacity = Math.max(this.bytes.length * 2, 256);
      while (capacity < needed) capacity *= 2;
      const grown = new Uint8Array(Math.min(capacity, Math.max(this.limit, needed)));
      grown.set(this.bytes.subarray(0, this.size));
      this.movedBytes += this.size;
      this.bytes = grown;
    }
    this.bytes.set(source.subarray(start, end), this.size);
    this.movedBytes += end - start;
    this.size = needed;
  }

  at(index: number): number {
    return this.bytes[index] ?? 0;
  }

  view(start = 0, end: number = this.size): Uint8Array {
    return this.bytes.subarray(start, end);
  }

  /** Keeps only `[start, length)`, moved to the front. */
  keepFrom(start: number): void {
    this.bytes.copyWithin(0, start, this.size);
    this.movedBytes += this.size - start;
    this.size -= start;
  }

  reset(): void {
    this.size = 0;
    // Give back memory held for one unusually long message.
    if (this.bytes.length > 64 * 1024) this.bytes = EMPTY;
  }
}
