/**
 * The connection's read buffer. When it is empty, an arriving chunk is
 * adopted as is (no copy: the common case of a whole request in one read).
 * Leftover bytes plus a new chunk go to an owned buffer that grows by
 * doubling, so a client sending one byte at a time costs O(n), not O(n^2).
 *
 * Bytes already handed out as views (body chunks) are never overwritten: an
 * append only writes past `end`, and growth copies to new memory.
 *
 * @module
 */

const MIN_CAPACITY = 4096;
const EMPTY = Buffer.alloc(0);

export class InputBuffer {
  /** The bytes; valid data is `buf[start, end)`. */
  buf: Buffer = EMPTY;
  start = 0;
  end = 0;
  /** Whether `buf` is ours to write past `end` (false for an adopted chunk). */
  #owned = false;

  get length(): number {
    return this.end - this.start;
  }

  append(chunk: Buffer): void {
    if (this.start === this.end) {
      this.buf = chunk;
      this.start = 0;
      this.end = chunk.length;
      this.#owned = false;
      return;
    }
    const needed = this.end - this.start + chunk.length;
    if (this.#owned && this.end + chunk.length <= this.buf.length) {
      chunk.copy(this.buf, this.end);
      this.end += chunk.length;
      return;
    }
    let capacity = Math.max(MIN_CAPACITY, this.#owned ? this.buf.length : 0);
    while (capacity < needed) capacity *= 2;
    const next = Buffer.allocUnsafe(capacity);
    this.buf.copy(next, 0, this.start, this.end);
    chunk.copy(next, this.end - this.start);
    this.buf = next;
    this.start = 0;
    this.end = needed;
    this.#owned = true;
  }

  /** Marks `n` bytes as consumed. */
  consume(n: number): void {
    this.start += n;
    if (this.start >= this.end) this.reset();
  }

  /** Moves the read position to `pos`. */
  consumeTo(pos: number): void {
    this.consume(pos - this.start);
  }

  reset(): void {
    this.buf = EMPTY;
    this.start = 0;
    this.end = 0;
    this.#owned = false;
  }
}
