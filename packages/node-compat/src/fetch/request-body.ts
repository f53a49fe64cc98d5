/**
 * The request body as the fetch side reads it: whole (`text()`, `json()`,
 * `arrayBuffer()` straight from `ctx.request.body`, no stream in between) or
 * as a pull-based `ReadableStream` (one chunk read from the protocol per
 * pull, so an app that stops reading stops the socket: backpressure). A
 * rejection by the server (413 over `maxRequestBodySize`, 408 too slow) is
 * kept, so the delegate can answer with it whatever the app made of it.
 *
 * @module
 */
import { BadHttpRequestError, type HttpContext } from "@x/abstractions";

/** One request's body on the fetch side. */
export class FetchRequestBody {
  readonly #ctx: HttpContext;
  #used = false;
  /** What the server rejected the body with, if it did. */
  rejection: BadHttpRequestError | null = null;
  #stream: ReadableStream<Uint8Array> | null | undefined = undefined;

  constructor(ctx: HttpContext) {
    this.#ctx = ctx;
  }

  /** The body was read whole, or its stream is being read (fetch's `bodyUsed`). */
  get used(): boolean {
    return this.#used || this.#stream?.locked === true;
  }

  /** Whether the request has a body at all (fetch: `body === null` when not; never for GET/HEAD). */
  get present(): boolean {
    const request = this.#ctx.request;
    const method = request.method;
    if (method === "GET" || method === "HEAD") return false;
    // HTTP/1.x without Content-Length or Transfer-Encoding, or HTTP/2 HEADERS with END_STREAM.
    return !(request.body.isCompleted && request.contentLength === null);
  }

  /** The body as a stream (created once), or null when there is none. */
  get stream(): ReadableStream<Uint8Array> | null {
    if (this.#stream !== undefined) return this.#stream;
    if (!this.present) return (this.#stream = null);
    const body = this.#ctx.request.body;
    // highWaterMark 0: nothing is read before the app asks (no read-ahead past what it consumes).
    this.#stream = new ReadableStream<Uint8Array>(
      {
        pull: (controller) =>
          body.read().then(
            (chunk) => {
              if (chunk === null) controller.close();
              else controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
            },
            (error: unknown) => controller.error(this.#remember(error)),
          ),
      },
      { highWaterMark: 0 },
    );
    return this.#stream;
  }

  /** The whole body (empty when there is none), as `Request.arrayBuffer()` and friends read it. */
  buffer(): Promise<Buffer> {
    if (this.used) return Promise.reject(new TypeError("Body is unusable: Body has already been read"));
    this.#used = true;
    if (!this.present) return Promise.resolve(Buffer.alloc(0));
    return this.#ctx.request.body.buffer().catch((error: unknown) => {
      throw this.#remember(error);
    });
  }

  #remember(error: unknown): unknown {
    if (error instanceof BadHttpRequestError && this.rejection === null) this.rejection = error;
    return error;
  }
}
