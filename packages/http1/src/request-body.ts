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

export class Http1RequestBody implements RequestBody {
  #queue: Buffer[] = [];
  #queuedBytes = 0;
  #ended = false;
  #completed = false;
  #started = false;
  #error: Error | null = null;
  #resolve: ((chunk: Buffer | null) => void) | null = null;
  #reject: ((error: Error) => void) | null = null;
  readonly #owner: BodyOwner;

  constructor(owner: BodyOwner) {
    this.#owner = owner;
  }

  get queuedBytes(): number {
    return this.#queuedBytes;
  }

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

  push(chunk: Buffer): void {
    if (this.#resolve !== null) {
      const resolve = this.#resolve;
      this.#resolve = this.#reject = null;
      this.#owner.onBodyConsumed(chunk.length);
      resolve(chunk);
      return;
    }
    this.#queue.push(chunk);
    this.#queuedBytes += chunk.length;
  }

  end(): void {
    this.#ended = true;
    if (this.#resolve !== null && this.#queue.length === 0) {
      const resolve = this.#resolve;
      this.#resolve = this.#reject = null;
      this.#completed = true;
      resolve(null);
    }
  }

  fail(error: Error): void {
    if (this.#completed || this.#error !== null) return;
    this.#error = error;
    if (this.#reject !== null) {
      const reject = this.#reject;
      this.#resolve = this.#reject = null;
      reject(error);
    }
  }

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

  async buffer(): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let total = 0;
    for (let chunk = await this.read(); chunk !== null; chunk = await this.read()) {
      chunks.push(chunk);
      total += chunk.length;
    }
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  }

  async text(): Promise<string> {
    return (await this.buffer()).toString("utf8");
  }

  async json<T = unknown>(): Promise<T> {
    return JSON.parse(await this.text()) as T;
  }

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
