/**
 * One request as node:http objects: the `IncomingMessage` and
 * `ServerResponse` the app gets, bound to the `HttpContext` our protocol
 * handler made. The exchange moves the body from `ctx.request.body` into
 * `req` when the app reads (backpressure: nothing is read while `req`'s
 * buffer is full, so the socket pauses and the data-rate limits still
 * apply), sends what the app writes to `ctx.response`, and turns the end of
 * the response, or the client leaving, into node's events in node's order:
 * `prefinish`, `finish`, then `close` on the next tick; or `aborted`,
 * `error` (with listeners only) and `close` on `req` and `close` on `res`.
 *
 * @module
 */
import { BadHttpRequestError, HttpRequestTrailersFeature, type HttpContext } from "@x/abstractions";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { type ConnectionExchange, type ConnectionState, connectionStateOf, isOwnInfo } from "./connection-state.js";
import { createIncomingMessage, type IncomingMessageClass } from "./incoming-message.js";
import { connectionReset } from "./node-errors.js";
import { createServerResponse, type ServerResponseClass } from "./server-response.js";
import { ResponseWriter } from "./response-writer.js";
import { StreamSocket } from "./stream-socket.js";

/** The classes and options node's `createServer(options)` takes that shape the request objects. */
export interface ExchangeOptions {
  readonly IncomingMessage: IncomingMessageClass;
  readonly ServerResponse: ServerResponseClass;
  /** node's `joinDuplicateHeaders`. */
  readonly joinDuplicateHeaders: boolean;
}

/** The node:http default classes. */
export { IncomingMessage as DefaultIncomingMessage, ServerResponse as DefaultServerResponse } from "node:http";

const kExchange = Symbol("x.node-compat.exchange");

/** `req[kExchange]` / `res[kExchange]`: own properties, so they survive Express's prototype swap. */
export function exchangeOf(message: IncomingMessage | ServerResponse): Exchange {
  return (message as unknown as Record<symbol, Exchange>)[kExchange]!;
}

/** Marks `message` as belonging to `exchange`. */
export function bindExchange(message: IncomingMessage | ServerResponse, exchange: Exchange): void {
  (message as unknown as Record<symbol, Exchange>)[kExchange] = exchange;
}

function isBadRequest(error: unknown): error is BadHttpRequestError {
  return error instanceof BadHttpRequestError;
}

/** One request and its response as node:http objects. */
export class Exchange implements ConnectionExchange {
  readonly ctx: HttpContext;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** `req.socket`: the connection's `net.Socket` on HTTP/1.x, else a {@link StreamSocket}. */
  readonly socket: Duplex | StreamSocket;
  readonly connection: ConnectionState;
  /** Writes what the app writes to `ctx.response`. */
  readonly writer: ResponseWriter;
  /** `res.shouldKeepAlive` as node set it (false for HTTP/1.0): an app that turns it off gets `Connection: close`. */
  readonly keepAliveByDefault: boolean;
  readonly isHttp2: boolean;
  /** Resolves when the response is done or the request was aborted; rejects with an app failure before the response started. */
  readonly done: Promise<void>;
  #resolve!: () => void;
  #reject!: (error: unknown) => void;
  #settled = false;
  /** The response completed (`end()` went through). */
  responseEnded = false;
  /** The client went away (or the app destroyed the request) before the response completed. */
  aborted = false;
  /** The app's middleware handed the request on to the rest of our pipeline (`next()`). */
  handedOff = false;
  #pulling = false;
  #bodyEnded = false;
  #onChunk: ((chunk: Buffer | null) => void) | null = null;
  #onBodyError: ((error: unknown) => void) | null = null;

  constructor(ctx: HttpContext, options: ExchangeOptions, socketOverride?: Duplex) {
    this.ctx = ctx;
    this.isHttp2 = ctx.request.protocol === "HTTP/2";
    const connection = (this.connection = connectionStateOf(ctx));
    if (socketOverride !== undefined) this.socket = socketOverride;
    else if (!this.isHttp2 && connection.socket !== null && isOwnInfo(connection, ctx.connection)) this.socket = connection.socket;
    else this.socket = new StreamSocket(ctx, connection.transport);
    this.done = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.req = createIncomingMessage(options, ctx, this.socket, this);
    this.res = createServerResponse(options, this.req, this.socket, this);
    this.writer = new ResponseWriter(this, this.res);
    this.keepAliveByDefault = this.res.shouldKeepAlive;
    if (socketOverride !== undefined) return;
    if (this.isHttp2) ctx.requestAborted.addEventListener("abort", () => this.onConnectionClosed(), { once: true });
    else connection.current = this;
  }

  /** Whether the request has no body left to read (none at all, or all read). */
  get bodyCompleted(): boolean {
    return this.#bodyEnded || this.ctx.request.body.isCompleted;
  }

  // ---- the request body -------------------------------------------------------------

  /** `req._read`: reads the next chunk from the protocol's body queue into `req`. */
  pull(): void {
    if (this.#pulling || this.#bodyEnded || this.aborted) return;
    const body = this.ctx.request.body;
    if (body.isCompleted) {
      this.#endBody();
      return;
    }
    this.#pulling = true;
    body.read().then((this.#onChunk ??= (chunk) => this.#chunk(chunk)), (this.#onBodyError ??= (error) => this.#bodyError(error)));
  }

  /** A request without a body ends right after the handler ran, as node's parser ends it. */
  endIfBodiless(): void {
    if (!this.#bodyEnded && this.ctx.request.body.isCompleted && this.ctx.request.contentLength === null) this.#endBody();
  }

  #chunk(chunk: Buffer | null): void {
    this.#pulling = false;
    if (this.aborted || this.#bodyEnded) return;
    if (chunk === null) {
      this.#endBody();
      return;
    }
    if (this.req.push(chunk)) this.pull();
  }

  #endBody(): void {
    this.#bodyEnded = true;
    const req = this.req;
    req.complete = true;
    if (this.ctx.request.contentLength !== null || this.ctx.request.headers.has("transfer-encoding") || this.isHttp2) this.#addTrailers();
    req.push(null);
  }

  #addTrailers(): void {
    const feature = this.ctx.features.get(HttpRequestTrailersFeature);
    if (feature === undefined || !feature.available || feature.trailers.size === 0) return;
    const raw: string[] = [];
    for (const [name, value] of feature.trailers) {
      if (typeof value === "string") raw.push(name, value);
      else for (const v of value) raw.push(name, v);
    }
    // With `complete` set, node's _addHeaderLines files the lines as trailers.
    (this.req as unknown as { _addHeaderLines(lines: string[], n: number): void })._addHeaderLines(raw, raw.length);
  }

  #bodyError(error: unknown): void {
    this.#pulling = false;
    if (this.aborted || this.#bodyEnded) return;
    if (isBadRequest(error)) {
      // 413, 400, 408: frameworks answer with `status` (Express's finalhandler, Koa, Fastify use it).
      const e = error as BadHttpRequestError & { status?: number; expose?: boolean };
      e.status ??= e.statusCode;
      e.expose ??= true;
      // Not `destroy(e)`: Express's finalhandler (and others) answer an error only once the
      // request has ended, and our server reads no more of a rejected body. So the error goes
      // to its listeners and the stream then ends, as node:http's would after a dump.
      // `complete` too: nothing more will come, and on-finished (Express, Koa) waits for it.
      this.#bodyEnded = true;
      this.req.complete = true;
      if (this.req.listenerCount("error") > 0) this.req.emit("error", e);
      this.req.push(null);
      return;
    }
    this.onConnectionClosed();
  }

  // ---- the end ----------------------------------------------------------------------

  /** The response completed: node's 'finish', then the request's dump and 'close' on the next tick. */
  onResponseEnded(): void {
    if (this.responseEnded) return;
    this.responseEnded = true;
    const { req, res } = this;
    res.emit("finish");
    // node:http's resOnFinish: a body nobody read is dumped so 'end' and 'close' still come.
    const internals = req as unknown as { _consuming: boolean; _dumped: boolean; _readableState: { resumeScheduled: boolean }; _dump(): void };
    if (!internals._consuming && !internals._readableState.resumeScheduled) {
      if (this.bodyCompleted) internals._dump();
      // A body still arriving is drained by the protocol handler instead (Kestrel's 5 s drain).
      else internals._dumped = true;
    }
    (res as { socket: unknown }).socket = null;
    process.nextTick(emitResponseClose, res);
    this.#leaveConnection();
    this.#settle();
  }

  /** The client went away before the response completed (or the stream was reset). */
  onConnectionClosed(): void {
    if (this.responseEnded || this.aborted) return;
    this.aborted = true;
    const { req, res } = this;
    if (!req.destroyed) req.destroy(connectionReset());
    if (this.socket instanceof StreamSocket) this.socket.markClosed();
    process.nextTick(emitResponseClose, res);
    this.#leaveConnection();
    this.#settle();
  }

  /** The app failed: before the response started the server answers 500, after it the connection is cut. */
  fail(error: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#leaveConnection();
    if (this.aborted) this.#resolve();
    else this.#reject(error);
  }

  /** The request left node's objects for the rest of our pipeline; `result` settles the exchange. */
  handOff(result: Promise<void> | void): void {
    this.handedOff = true;
    this.#leaveConnection();
    Promise.resolve(result).then(
      () => this.#settle(),
      (error: unknown) => this.fail(error),
    );
  }

  #leaveConnection(): void {
    if (this.connection.current === this) this.connection.current = null;
  }

  #settle(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#resolve();
  }
}

function emitResponseClose(res: ServerResponse): void {
  const r = res as ServerResponse & { _closed: boolean };
  if (r._closed) return;
  r.destroyed = true;
  r._closed = true;
  res.emit("close");
}
