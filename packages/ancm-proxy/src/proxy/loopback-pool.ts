/**
 * A small HTTP/1.1 client for the one peer the front talks to: its own app
 * process on 127.0.0.1. Keep-alive connections are reused one request at a
 * time; a request head goes out as one write; responses are parsed by
 * `ResponseParser` and handed to a dispatch handler (the same
 * `pause`/`resume`/`abort` controller shape as undici's), so the response
 * body streams with backpressure. It exists because a general-purpose client
 * costs about twice the CPU per request on this path, which is the
 * out-of-process front's hot path.
 *
 * @module
 */
import { connect, type Socket } from "node:net";
import { type ResponseEvents, ResponseParseError, ResponseParser } from "./response-parser.js";

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
  onResponseStart?(controller: LoopbackController, statusCode: number, headers: Record<string, string | string[]>): void;
  onResponseData?(controller: LoopbackController, chunk: Buffer): void;
  onResponseEnd?(controller: LoopbackController, trailers: Record<string, string>): void;
  onResponseError?(controller: LoopbackController, error: Error): void;
}

/** No response head within requestTimeout (or no body bytes for as long). */
export class LoopbackTimeoutError extends Error {
  readonly code = "ERR_X_ANCM_REQUEST_TIMEOUT";
}

const NO_TRAILERS: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** Closes idle keep-alive connections after this long (the app's own keep-alive is 130 s). */
const IDLE_CLOSE_MS = 60_000;

class Exchange implements LoopbackController {
  readonly request: LoopbackRequest;
  readonly handler: LoopbackHandler;
  #connection: LoopbackConnection | null = null;
  #aborted: Error | null = null;
  #paused = false;
  /** When the current wait (for the head, or the next body bytes) times out. */
  deadline: number;
  settled = false;

  constructor(request: LoopbackRequest, handler: LoopbackHandler, deadline: number) {
    this.request = request;
    this.handler = handler;
    this.deadline = deadline;
  }

  attach(connection: LoopbackConnection): void {
    this.#connection = connection;
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
    this.#connection?.fail(reason);
  }

  pause(): void {
    this.#paused = true;
    this.#connection?.socket.pause();
  }

  resume(): void {
    this.#paused = false;
    this.#connection?.socket.resume();
  }
}

class LoopbackConnection implements ResponseEvents {
  readonly socket: Socket;
  readonly #pool: LoopbackPool;
  #exchange: Exchange | null = null;
  /** One parser per connection, reset for each response. */
  readonly #parser = new ResponseParser(this, false);
  #bodySent = true;
  #responseDone = true;
  #reusable = true;
  #connected = false;
  #closed = false;
  idleSince = 0;

  constructor(pool: LoopbackPool, port: number) {
    this.#pool = pool;
    this.socket = connect({ host: "127.0.0.1", port, noDelay: true });
    this.socket.on("connect", () => {
      this.#connected = true;
      if (this.#exchange !== null) this.#send(this.#exchange);
    });
    this.socket.on("data", (data: Buffer) => this.#onData(data));
    this.socket.on("end", () => this.#onEnd());
    this.socket.on("error", (error) => this.fail(error));
    this.socket.on("close", () => this.#onClose());
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  start(exchange: Exchange): void {
    this.#exchange = exchange;
    this.#bodySent = exchange.request.body === null;
    this.#responseDone = false;
    this.#parser.reset(exchange.request.method === "HEAD");
    exchange.attach(this);
    exchange.handler.onRequestStart?.(exchange, null);
    if (this.#connected && !exchange.aborted) this.#send(exchange);
  }

  // ResponseEvents: the parser reports the response of the exchange in progress.
  onHead(status: number, headers: Record<string, string | string[]>): void {
    const exchange = this.#exchange!;
    exchange.deadline = this.#pool.now() + this.#pool.timeoutMs;
    exchange.handler.onResponseStart?.(exchange, status, headers);
  }

  onBody(chunk: Buffer): void {
    const exchange = this.#exchange!;
    exchange.deadline = this.#pool.now() + this.#pool.timeoutMs;
    exchange.handler.onResponseData?.(exchange, chunk);
  }

  onComplete(reusable: boolean): void {
    this.#reusable = reusable;
    this.#responseDone = true;
    this.#maybeFinish();
  }

  /** Ends the exchange in progress with `error` and closes the connection. */
  fail(error: Error): void {
    const exchange = this.#exchange;
    this.#exchange = null;
    this.#reusable = false;
    this.#destroy();
    if (exchange !== null && !exchange.settled) {
      exchange.settled = true;
      this.#pool.settled(exchange);
      exchange.handler.onResponseError?.(exchange, error);
    }
  }

  close(): void {
    this.#reusable = false;
    this.#destroy();
  }

  #send(exchange: Exchange): void {
    const { method, path, headers, body, hasContentLength } = exchange.request;
    let head = `${method} ${path} HTTP/1.1\r\n`;
    for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
    if (body !== null && !hasContentLength) head += "transfer-encoding: chunked\r\n";
    head += "\r\n";
    this.socket.write(head, "latin1");
    if (body !== null) void this.#sendBody(exchange, body, !hasContentLength);
  }

  async #sendBody(exchange: Exchange, body: AsyncIterable<Buffer>, chunked: boolean): Promise<void> {
    try {
      for await (const chunk of body) {
        if (exchange.settled || this.#closed) return;
        if (chunk.length === 0) continue;
        const ok = chunked ? this.socket.write(`${chunk.length.toString(16)}\r\n`, "latin1") && this.socket.write(chunk) && this.socket.write("\r\n", "latin1") : this.socket.write(chunk);
        if (!ok) await new Promise<void>((resolve) => this.socket.once("drain", resolve).once("close", resolve));
      }
      if (chunked && !this.#closed) this.socket.write("0\r\n\r\n", "latin1");
      this.#bodySent = true;
      this.#maybeFinish();
    } catch (error) {
      // The client's body failed (it went away, or sent bad framing): the app must not see a truncated request as whole.
      this.fail(error instanceof Error ? error : new Error(String(error)));
    }
  }

  #onData(data: Buffer): void {
    const parser = this.#parser;
    if (this.#exchange === null) {
      // Bytes with no request outstanding: the connection is out of step; drop it.
      this.close();
      return;
    }
    try {
      const extra = parser.push(data);
      if (extra !== null && extra.length > 0) this.#reusable = false;
    } catch (error) {
      this.fail(error instanceof ResponseParseError ? error : new ResponseParseError((error as Error).message));
    }
  }

  #onEnd(): void {
    if (this.#exchange !== null) {
      try {
        this.#parser.end();
      } catch (error) {
        this.fail(error as Error);
        return;
      }
    }
    this.close();
  }

  #onClose(): void {
    this.#closed = true;
    this.#pool.forget(this);
    if (this.#exchange !== null) this.fail(new Error("The connection to the app closed"));
  }

  #maybeFinish(): void {
    const exchange = this.#exchange;
    if (exchange === null || !this.#responseDone) return;
    if (!this.#bodySent) {
      // The app answered before reading the whole body: this connection cannot carry another request.
      this.#reusable = false;
    }
    this.#exchange = null;
    exchange.settled = true;
    this.#pool.settled(exchange);
    exchange.handler.onResponseEnd?.(exchange, NO_TRAILERS);
    if (this.#reusable && !this.#closed) this.#pool.release(this);
    else this.close();
  }

  #destroy(): void {
    if (!this.socket.destroyed) this.socket.destroy();
  }
}

export class LoopbackPool {
  readonly port: number;
  readonly timeoutMs: number;
  readonly #idle: LoopbackConnection[] = [];
  readonly #all = new Set<LoopbackConnection>();
  readonly #inFlight = new Set<Exchange>();
  #closed = false;

  constructor(port: number, requestTimeoutMs: number) {
    this.port = port;
    this.timeoutMs = requestTimeoutMs;
  }

  now(): number {
    return Date.now();
  }

  /** Sends `request` on an idle connection (or a new one) and reports to `handler`. */
  dispatch(request: LoopbackRequest, handler: LoopbackHandler): void {
    const exchange = new Exchange(request, handler, this.now() + this.timeoutMs);
    if (this.#closed) {
      exchange.settled = true;
      handler.onResponseError?.(exchange, new Error("The connection pool to the app is closed"));
      return;
    }
    this.#inFlight.add(exchange);
    let connection = this.#idle.pop();
    while (connection?.isClosed) connection = this.#idle.pop();
    if (connection === undefined) {
      connection = new LoopbackConnection(this, this.port);
      this.#all.add(connection);
    }
    connection.start(exchange);
  }

  /** @internal The exchange ended (either way): out of the timeout sweep. */
  settled(exchange: Exchange): void {
    this.#inFlight.delete(exchange);
  }

  /**
   * Called once a second by the forwarder: fails exchanges whose app has
   * not answered (or sent body bytes) within requestTimeout, and closes
   * connections idle for a minute.
   */
  tick(now = this.now()): void {
    for (const exchange of this.#inFlight) {
      if (!exchange.settled && !exchange.paused && now >= exchange.deadline) {
        exchange.abort(new LoopbackTimeoutError(`The app did not respond within requestTimeout (${this.timeoutMs / 1000} s)`));
      }
    }
    for (let i = this.#idle.length - 1; i >= 0; i--) {
      const connection = this.#idle[i]!;
      if (now - connection.idleSince >= IDLE_CLOSE_MS) {
        this.#idle.splice(i, 1);
        connection.close();
      }
    }
  }

  /** @internal A connection finished its exchange and may carry another. */
  release(connection: LoopbackConnection): void {
    if (this.#closed) {
      connection.close();
      return;
    }
    connection.idleSince = this.now();
    this.#idle.push(connection);
  }

  /** @internal */
  forget(connection: LoopbackConnection): void {
    this.#all.delete(connection);
  }

  /** Closes every connection; exchanges in flight fail. */
  close(): void {
    this.#closed = true;
    this.#idle.length = 0;
    for (const connection of this.#all) connection.close();
    this.#all.clear();
  }
}
