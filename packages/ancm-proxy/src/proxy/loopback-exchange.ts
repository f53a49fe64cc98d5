/**
 * One request on its way through the loopback client: what was asked, who
 * is told about the response, and the controller (`pause`/`resume`/`abort`,
 * the shape of undici's dispatch controller) the handler steers it with.
 *
 * @module
 */

export interface LoopbackRequest {
  readonly method: string;
  /** Origin-form target. */
  readonly path: string;
  /** Flat `[name, value, ...]`, without hop-by-hop fields. */
  readonly headers: readonly string[];
  /** The body, pulled as the socket takes it; null for none. */
  readonly body: AsyncIterable<Buffer> | null;
  /** Whether the request announced its length (`content-length` in `headers`); else the body is sent chunked. */
  readonly hasContentLength: boolean;
}

/** What a dispatch handler needs to steer one response. */
export interface LoopbackController {
  readonly aborted: boolean;
  readonly paused: boolean;
  readonly reason: Error | null;
  abort(reason: Error): void;
  pause(): void;
  resume(): void;
}

export interface LoopbackHandler {
  onRequestStart?(controller: LoopbackController, context: unknown): void;
  /** `headers`: flat `[name, value, ...]`, names lower-case, in the order the app sent them. */
  onResponseStart?(controller: LoopbackController, statusCode: number, headers: readonly string[]): void;
  /** `final`: this chunk completes the body (its length was announced); the end follows at once. */
  onResponseData?(controller: LoopbackController, chunk: Buffer, final: boolean): void;
  onResponseEnd?(controller: LoopbackController, trailers: Record<string, string>): void;
  onResponseError?(controller: LoopbackController, error: Error): void;
  /** Called once, by the pool's once-a-second sweep, when the exchange is still running then. */
  onStillRunning?(controller: LoopbackController): void;
}

/** No response head within requestTimeout (or no body bytes for as long). */
export class LoopbackTimeoutError extends Error {
  readonly code = "ERR_X_ANCM_REQUEST_TIMEOUT";
}

/** The connection an exchange is on, as far as the exchange needs it. */
export interface ExchangeCarrier {
  abortExchange(exchange: Exchange, reason: Error): void;
  pauseFor(exchange: Exchange): void;
  resumeFor(exchange: Exchange): void;
}

/**
 * Safe methods (RFC 9110 §9.2.1) without a body: such a request may share a
 * connection with others sent in the same turn (pipelined, RFC 9112 §9.3.2),
 * and may be sent again when its first connection never answered it, since
 * safe methods are idempotent (RFC 9110 §9.2.2).
 */
export function isPipelinable(request: LoopbackRequest): boolean {
  if (request.body !== null) return false;
  const { method } = request;
  return method === "GET" || method === "HEAD" || method === "OPTIONS";
}

export class Exchange implements LoopbackController {
  readonly request: LoopbackRequest;
  readonly handler: LoopbackHandler;
  /** See `isPipelinable`. */
  readonly pipelinable: boolean;
  carrier: ExchangeCarrier | null = null;
  #aborted: Error | null = null;
  #paused = false;
  /** When the current wait (for the head, or the next body bytes) times out. */
  deadline: number;
  settled = false;
  /** The response head arrived: from here on it completes or fails, it is never sent again. */
  responseStarted = false;
  /** Sent a second time after its first connection could not answer it; never a third. */
  retried = false;
  /** Seen running by a sweep (`onStillRunning` was called). */
  swept = false;
  /** Given up (client gone, or timed out) while requests before it were still being answered: its response is read and dropped. */
  discarded = false;

  constructor(request: LoopbackRequest, handler: LoopbackHandler, deadline: number) {
    this.request = request;
    this.handler = handler;
    this.deadline = deadline;
    this.pipelinable = isPipelinable(request);
  }

  /** Whether it may be sent again on another connection. */
  get canRetry(): boolean {
    return this.pipelinable && !this.retried && !this.responseStarted && !this.settled && this.#aborted === null;
  }

  get aborted(): boolean {
    return this.#aborted !== null;
  }

  get paused(): boolean {
    return this.#paused;
  }

  get reason(): Error | null {
    return this.#aborted;
  }

  abort(reason: Error): void {
    if (this.#aborted !== null || this.settled) return;
    this.#aborted = reason;
    this.carrier?.abortExchange(this, reason);
  }

  pause(): void {
    this.#paused = true;
    this.carrier?.pauseFor(this);
  }

  resume(): void {
    this.#paused = false;
    this.carrier?.resumeFor(this);
  }

  /** Ends it with an error (once), telling the handler unless it was discarded. */
  fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    if (!this.discarded) this.handler.onResponseError?.(this, error);
  }
}
