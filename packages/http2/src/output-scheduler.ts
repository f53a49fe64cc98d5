/**
 * The send side of flow control (RFC 9113 §5.2, §6.9): response bytes wait
 * per stream until both the stream's and the connection's windows allow
 * them, and go out as DATA frames no larger than the peer's
 * SETTINGS_MAX_FRAME_SIZE. Streams with data are served round-robin, one
 * frame each, so one large response cannot starve the others. Writing also
 * stops while the socket's own buffer is full, and resumes on `drain`.
 *
 * @module
 */
import type { Duplex } from "node:stream";
import { dataFrameHeader } from "./frame-writer.js";

/** One stream's queued output. */
interface PendingData {
  readonly chunks: Buffer[];
  /** Offset already sent of chunks[0]. */
  offset: number;
  bytes: number;
  endStream: boolean;
  /** Waiters resolved once the queue is back under the response buffer limit. */
  waiters: Array<() => void>;
}

/** What the scheduler needs from a stream. */
export interface ScheduledStream {
  readonly id: number;
  sendWindow: number;
  serverDone: boolean;
}

export class OutputScheduler {
  readonly #socket: Duplex;
  readonly #pending = new Map<ScheduledStream, PendingData>();
  /** Streams with pending data, in service order. */
  #order: ScheduledStream[] = [];
  /** The connection's send window. */
  connectionWindow: number;
  /** The peer's SETTINGS_MAX_FRAME_SIZE. */
  maxFrameSize = 16_384;
  /** Bytes per stream above which `write` waits (maxResponseBufferSize). */
  readonly #bufferLimit: number;
  /** Socket backlog above which nothing more is written until `drain`. */
  readonly #socketLimit: number;
  #waitingForDrain = false;
  /** Response bytes handed to the socket, for the minimum response data rate. */
  sentBytes = 0;
  /** Called when a stream's END_STREAM went out in a DATA frame. */
  onStreamEnded: (stream: ScheduledStream) => void = () => {};

  constructor(socket: Duplex, connectionWindow: number, bufferLimit: number | null) {
    this.#socket = socket;
    this.connectionWindow = connectionWindow;
    this.#bufferLimit = bufferLimit ?? Number.POSITIVE_INFINITY;
    this.#socketLimit = Math.max(bufferLimit ?? 65_536, 65_536);
    socket.on("drain", () => {
      if (!this.#waitingForDrain) return;
      this.#waitingForDrain = false;
      this.flush();
    });
  }

  /** Bytes waiting to be sent, across streams. */
  get pendingBytes(): number {
    let total = 0;
    for (const p of this.#pending.values()) total += p.bytes;
    return total;
  }

  /** Whether `stream` has bytes or an END_STREAM still waiting. */
  hasPending(stream: ScheduledStream): boolean {
    return this.#pending.has(stream);
  }

  /** Queues `data` for `stream`; resolves when the stream's queue is under the buffer limit. */
  enqueue(stream: ScheduledStream, data: Buffer, endStream: boolean): Promise<void> {
    let pending = this.#pending.get(stream);
    if (pending === undefined) {
      pending = { chunks: [], offset: 0, bytes: 0, endStream: false, waiters: [] };
      this.#pending.set(stream, pending);
      this.#order.push(stream);
    }
    if (data.length > 0) {
      pending.chunks.push(data);
      pending.bytes += data.length;
    }
    if (endStream) pending.endStream = true;
    this.flush();
    const after = this.#pending.get(stream);
    if (after === undefined || after.bytes <= this.#bufferLimit) return Promise.resolve();
    return new Promise((resolve) => after.waiters.push(resolve));
  }

  /** Drops a stream's queue (reset): its waiters are released. */
  discard(stream: ScheduledStream): void {
    const pending = this.#pending.get(stream);
    if (pending === undefined) return;
    this.#pending.delete(stream);
    this.#order = this.#order.filter((s) => s !== stream);
    for (const w of pending.waiters) w();
  }

  /** Sends what the windows and the socket allow. */
  flush(): void {
    if (this.#waitingForDrain || this.#socket.destroyed) return;
    let progressed = true;
    while (progressed && this.#order.length > 0) {
      progressed = false;
      const round = this.#order;
      for (const stream of round) {
        if (this.#socket.writableLength > this.#socketLimit) {
          this.#waitingForDrain = true;
          return;
        }
        if (this.#sendOne(stream)) progressed = true;
      }
      this.#order = this.#order.filter((s) => this.#pending.has(s));
    }
  }

  /** One DATA frame for `stream`, if anything may go. @returns whether a frame was written. */
  #sendOne(stream: ScheduledStream): boolean {
    const pending = this.#pending.get(stream);
    if (pending === undefined) return false;
    const allowed = Math.min(pending.bytes, this.maxFrameSize, stream.sendWindow, this.connectionWindow);
    // A frame with no bytes is only sent to carry END_STREAM (§6.1).
    if (allowed <= 0 && !(pending.bytes === 0 && pending.endStream)) return false;
    const size = Math.max(allowed, 0);
    const parts: Buffer[] = [];
    let need = size;
    while (need > 0) {
      const head = pending.chunks[0]!;
      const available = head.length - pending.offset;
      const take = Math.min(available, need);
      parts.push(head.subarray(pending.offset, pending.offset + take));
      need -= take;
      if (take === available) {
        pending.chunks.shift();
        pending.offset = 0;
      } else {
        pending.offset += take;
      }
    }
    pending.bytes -= size;
    stream.sendWindow -= size;
    this.connectionWindow -= size;
    this.sentBytes += size;
    const last = pending.bytes === 0 && pending.endStream;
    const socket = this.#socket;
    socket.write(dataFrameHeader(stream.id, size, last));
    for (const part of parts) socket.write(part);
    if (pending.bytes <= this.#bufferLimit && pending.waiters.length > 0) {
      const waiters = pending.waiters;
      pending.waiters = [];
      for (const w of waiters) w();
    }
    if (pending.bytes === 0 && (last || pending.waiters.length === 0)) {
      this.#pending.delete(stream);
      if (last) this.onStreamEnded(stream);
    }
    return true;
  }
}
