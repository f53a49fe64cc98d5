/**
 * Splits the bytes of an HTTP/2 connection into frames (RFC 9113 §4.1).
 *
 * Chunks are adopted without copying when nothing is buffered, so a read that
 * holds whole frames hands out views of the socket's own buffer. When a frame
 * straddles two reads, only that frame is copied, into an owned buffer sized
 * for it; the rest of the new chunk waits in a queue and is adopted in turn.
 * Every byte is copied at most twice, so a peer sending one byte at a time
 * costs O(n), not O(n^2).
 *
 * Payload views are never overwritten: appends only write past the buffered
 * bytes and growth copies to new memory. A view therefore stays valid for as
 * long as it is referenced (stronger than the `Frame` contract asks).
 *
 * @module
 */
import { ErrorCode, FRAME_HEADER_LENGTH, type Frame, Http2ConnectionError } from "./frame-types.js";

const MIN_CAPACITY = 4096;
const EMPTY = Buffer.alloc(0);

export class FrameReader {
  /** Our SETTINGS_MAX_FRAME_SIZE: a longer frame is a connection FRAME_SIZE_ERROR (§4.2). */
  maxFrameSize: number;
  /** The bytes; unread data is `#buf[#start, #end)`. */
  #buf: Buffer = EMPTY;
  #start = 0;
  #end = 0;
  /** Whether `#buf` is ours to write past `#end` (false for an adopted chunk). */
  #owned = false;
  /** Chunks received after a partial frame, taken in once the buffered bytes are read. */
  readonly #queue: Buffer[] = [];
  /** Index of the first queued chunk (no O(n) `shift`). */
  #queueHead = 0;
  #queued = 0;

  /** @param maxFrameSize our SETTINGS_MAX_FRAME_SIZE (§6.5.2). */
  constructor(maxFrameSize: number) {
    this.maxFrameSize = maxFrameSize;
  }

  /** Bytes received and not yet returned as frames. */
  get bufferedBytes(): number {
    return this.#end - this.#start + this.#queued;
  }

  /** Adds bytes from the socket, split anywhere. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.#queueHead < this.#queue.length) {
      this.#queue.push(chunk);
      this.#queued += chunk.length;
      return;
    }
    this.#feed(chunk);
  }

  /** Takes `chunk` in: adopted when nothing is buffered, else completes the pending frame and queues the rest. */
  #feed(chunk: Buffer): void {
    while (chunk.length > 0 && this.#start !== this.#end) {
      const missing = this.#missingBytes();
      if (missing === 0) break;
      const n = missing < chunk.length ? missing : chunk.length;
      this.#append(chunk.subarray(0, n));
      chunk = chunk.subarray(n);
    }
    if (chunk.length === 0) return;
    if (this.#start === this.#end) {
      this.#buf = chunk;
      this.#start = 0;
      this.#end = chunk.length;
      this.#owned = false;
    } else {
      // Back at the head of the queue: it follows the buffered bytes, before any later chunk.
      if (this.#queueHead > 0) this.#queue[--this.#queueHead] = chunk;
      else this.#queue.unshift(chunk);
      this.#queued += chunk.length;
    }
  }

  /**
   * Bytes still needed to complete the header, or else the frame, at the read
   * position; 0 when it is complete or announces an oversized frame (which
   * `next()` rejects: no memory is reserved for it).
   */
  #missingBytes(): number {
    const buffered = this.#end - this.#start;
    if (buffered < FRAME_HEADER_LENGTH) return FRAME_HEADER_LENGTH - buffered;
    const length = this.#buf.readUIntBE(this.#start, 3);
    if (length > this.maxFrameSize) return 0;
    const missing = FRAME_HEADER_LENGTH + length - buffered;
    return missing > 0 ? missing : 0;
  }

  /** Copies `bytes` after the buffered ones, moving them to an owned buffer sized for the frame if needed. */
  #append(bytes: Buffer): void {
    if (this.#owned && this.#end + bytes.length <= this.#buf.length) {
      bytes.copy(this.#buf, this.#end);
      this.#end += bytes.length;
      return;
    }
    const buffered = this.#end - this.#start;
    const needed = buffered + bytes.length;
    const frame = buffered >= FRAME_HEADER_LENGTH ? FRAME_HEADER_LENGTH + this.#buf.readUIntBE(this.#start, 3) : 0;
    const next = Buffer.allocUnsafe(Math.max(MIN_CAPACITY, frame, needed));
    this.#buf.copy(next, 0, this.#start, this.#end);
    bytes.copy(next, buffered);
    this.#buf = next;
    this.#start = 0;
    this.#end = needed;
    this.#owned = true;
  }

  /**
   * Returns the next complete frame, or null when more bytes are needed.
   * Throws `Http2ConnectionError(FRAME_SIZE_ERROR)` as soon as a frame header
   * announces a length above `maxFrameSize` (§4.2), before its payload arrives.
   */
  next(): Frame | null {
    for (;;) {
      const frame = this.#read();
      if (frame !== null || this.#queueHead === this.#queue.length) return frame;
      const chunk = this.#queue[this.#queueHead]!;
      this.#queue[this.#queueHead++] = EMPTY;
      if (this.#queueHead === this.#queue.length) {
        this.#queue.length = 0;
        this.#queueHead = 0;
      }
      this.#queued -= chunk.length;
      this.#feed(chunk);
    }
  }

  #read(): Frame | null {
    const available = this.#end - this.#start;
    if (available < FRAME_HEADER_LENGTH) return null;
    const buf = this.#buf;
    const at = this.#start;
    const length = buf.readUIntBE(at, 3);
    if (length > this.maxFrameSize) {
      throw new Http2ConnectionError(
        ErrorCode.FRAME_SIZE_ERROR,
        `frame of ${length} bytes exceeds SETTINGS_MAX_FRAME_SIZE ${this.maxFrameSize}`,
      );
    }
    const total = FRAME_HEADER_LENGTH + length;
    if (available < total) return null;
    const type = buf[at + 3]!;
    const flags = buf[at + 4]!;
    // §4.1: the reserved bit is ignored on receipt.
    const streamId = buf.readUInt32BE(at + 5) & 0x7fff_ffff;
    const payload = buf.subarray(at + FRAME_HEADER_LENGTH, at + total);
    this.#start += total;
    if (this.#start === this.#end) this.#reset();
    return { type, flags, streamId, payload };
  }

  #reset(): void {
    this.#buf = EMPTY;
    this.#start = 0;
    this.#end = 0;
    this.#owned = false;
  }
}
