/**
 * The request body the application reads. The connection pushes decoded
 * views in; the app pulls them out. The connection pauses the socket while
 * more than maxRequestBufferSize is queued, so a slow reader pushes back on
 * the client instead of growing memory.
 *
 * @module
 */
import type { RequestBody } from "@x/abstractions";

/** The connection's side of a body: told when reading starts and as bytes leave the queue. */
export interface BodyOwner {
  /** First read: sends `100 Continue`, checks Content-Length against the limit; may throw. */
  onBodyReadStart(): void;
  onBodyConsumed(bytes: number): void;
}

const END: Promise<Buffer | null> = Promise.resolve(null);

/**
 * Queued views shorter than this are copied into a block instead. A view costs a Buffer
 * object (~130 bytes) and keeps the whole read buffer it points into alive, while
 * maxRequestBufferSize counts body bytes only: before reading paused, a body of 1-byte
 * chunks queued ~140 MB of heap, and 1-byte chunks behind 4 KB chunk extensions kept
 * gigabytes of socket reads alive. Kestrel copies body bytes into its request pipe's
 * pooled 4 KiB segments, so its limit bounds memory.
 */
const COPY_BELOW = 1024;
const BLOCK_SIZE = 4096;

/** The request body queue the app reads (`RequestBody`): the connection pushes decoded bytes in, the app reads them out; used by HTTP/1.1 and HTTP/2. */
export class Http1RequestBody implements RequestBody {
  #queue: Buffer[] = [];
  #queuedBytes = 0;
  #ended = false;
  #completed = false;
  #started = false;
  #error: Error | null = null;
  #resolve: ((chunk: Buffer | null) => void) | null = null;
  #reject: ((error: Error) => void) | null = null;
  /** Backing memory of the queue's last entry, `#block[#blockStart, #blockEnd)`, while it has room. */
  #block: Buffer | null = null;
  #blockStart = 0;
  #blockEnd = 0;
  readonly #owner: BodyOwner;

  /** `owner` is told when reading starts and as bytes are consumed. */
  constructor(owner: BodyOwner) {
    this.#owner = owner;
  }

  /** Bytes queued and not yet read by the app. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Whether the app has read to the end (or the body failed). */
  get isCompleted(): boolean {
    return this.#completed;
  }

  /** Whether the app has started reading. */
  get hasStarted(): boolean {
    return this.#started;
  }

  /** Whether the app is waiting on a read (the time that counts against the minimum data rate). */
  get isReadPending(): boolean {
    return this.#resolve !== null;
  }

  /** Whether every byte of the body has arrived (not necessarily been read). */
  get isEnded(): boolean {
    return this.#ended;
  }

  /** Queues body bytes (the connection's side); small chunks are copied into blocks. */
  push(chunk: Buffer): void {
    if (this.#resolve !== null) {
      const resolve = this.#resolve;
      this.#resolve = this.#reject = null;
      this.#owner.onBodyConsumed(chunk.length);
      resolve(chunk);
      return;
    }
    this.#queuedBytes += chunk.length;
    if (chunk.length >= COPY_BELOW) {
      this.#block = null;
      this.#queue.push(chunk);
      return;
    }
    let block = this.#block;
    if (block !== null && this.#blockEnd + chunk.length <= block.length) {
      chunk.copy(block, this.#blockEnd);
      this.#blockEnd += chunk.length;
      this.#queue[this.#queue.length - 1] = block.subarray(this.#blockStart, this.#blockEnd);
      return;
    }
    block = this.#block = Buffer.allocUnsafeSlow(BLOCK_SIZE);
    chunk.copy(block, 0);
    this.#blockStart = 0;
    this.#blockEnd = chunk.length;
    this.#queue.push(block.subarray(0, chunk.length));
  }

  /** Marks the body complete: reads end once the queue is empty. */
  end(): void {
    this.#ended = true;
    if (this.#resolve !== null && this.#queue.length === 0) {
      const resolve = this.#resolve;
      this.#resolve = this.#reject = null;
      this.#completed = true;
      resolve(null);
    }
  }

  /** Fails the body: the pending and later reads reject with `error`. */
  fail(error: Error): void {
    if (this.#completed || this.#error !== null) return;
    this.#error = error;
    if (this.#reject !== null) {
      const reject = this.#reject;
      this.#resolve = this.#reject = null;
      reject(error);
    }
  }

  /** The next chunk, or null at the end of the body. */
  read(): Promise<Buffer | null> {
    if (!this.#started) {
      this.#started = true;
      try {
        this.#owner.onBodyReadStart();
      } catch (error) {
        this.fail(error as Error);
      }
    }
    if (this.#error !== null) return Promise.reject(this.#error);
    if (this.#queue.length > 0) {
      const chunk = this.#queue.shift()!;
      // The block's entry went to the app: the next small chunk starts a new entry and block.
      if (this.#queue.length === 0) this.#block = null;
      this.#queuedBytes -= chunk.length;
      this.#owner.onBodyConsumed(chunk.length);
      return Promise.resolve(chunk);
    }
    if (this.#ended) {
      this.#completed = true;
      return END;
    }
    if (this.#resolve !== null) return Promise.reject(new Error("A read is already pending on the request body"));
    return new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** The whole body in one buffer. */
  async buffer(): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let total = 0;
    for (let chunk = await this.read(); chunk !== null; chunk = await this.read()) {
      chunks.push(chunk);
      total += chunk.length;
    }
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  }

  /** The whole body decoded as UTF-8. */
  async text(): Promise<string> {
    return (await this.buffer()).toString("utf8");
  }

  /** The whole body parsed as JSON. */
  async json<T = unknown>(): Promise<T> {
    return JSON.parse(await this.text()) as T;
  }

  /** Iterates the body's chunks. */
  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    for (let chunk = await this.read(); chunk !== null; chunk = await this.read()) yield chunk;
  }
}

/** The body of a request that has none: always at its end. */
export const emptyBody: RequestBody = {
  isCompleted: true,
  read: () => END,
  buffer: () => Promise.resolve(Buffer.alloc(0)),
  text: () => Promise.resolve(""),
  json: () => Promise.reject(new SyntaxError("Unexpected end of JSON input")),
  async *[Symbol.asyncIterator]() {},
};
