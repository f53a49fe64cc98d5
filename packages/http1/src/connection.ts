/**
 * One HTTP/1.1 connection: read, parse, dispatch, respond, keep alive
 * (hyper's `conn.rs` + `dispatch.rs`, Kestrel's `Http1Connection`).
 *
 * ```
 *            head parsed                 app done, body read
 *   Head ─────────────────▶ Request ─────────────────────────▶ Head (keep-alive)
 *    │ ▲                      │  │ app done, body unread            ▲
 *    │ └──────── Drain ◀──────┘  └ upgrade() ─▶ Upgraded (app owns  │
 *    │           (discard up to 5 s) ─────────────────────────────────┘   the socket)
 *    └─ bad head / timeout / close ──▶ Closing (FIN sent, input discarded) ──▶ Closed
 * ```
 *
 * Requests on one connection run one at a time; bytes of a pipelined next
 * request wait in the input buffer. Every timeout is a deadline checked by
 * the server's one heartbeat: there is no timer per connection or request.
 * Socket events reach the connection through shared module functions, so an
 * idle connection holds no closures of its own.
 *
 * @module
 */
import {
  type AccessLog,
  connectionInfoOf,
  BadHttpRequestError,
  ClientErrorFeature,
  ConnectionAbortedError,
  type ConnectionContext,
  deadlineAfter,
  type ConnectionInfo,
  DecrementConcurrentConnectionCountFeature,
  type FeatureCollection,
  type HeaderMap,
  type HeartbeatHandler,
  type Logger,
  type ReadonlyServerLimits,
  type RequestDelegate,
  ResponseStartedError,
  runCompletedCallbacks,
  type ServiceContext,
  type UpgradeOptions,
  UserError,
} from "@x/abstractions";
import type { Duplex } from "node:stream";
import { accessLogStart, writeAccessLog } from "./access-log.js";
import { type BodyDecoder, type BodySink, ChunkedDecoder, ContentLengthDecoder } from "./body-decoder.js";
import { type ContextOwner, Http1Context } from "./context.js";
import { ReadRateTimer, WriteRateTimer } from "./data-rate.js";
import { Http1ParseError, reject } from "./errors.js";
import { InputBuffer } from "./input-buffer.js";
import { OutputBuffer } from "./output-buffer.js";
import { RequestHeadParser } from "./parser.js";
import { Http1Request } from "./request.js";
import { type BodyOwner, emptyBody, Http1RequestBody } from "./request-body.js";
import { BodyFraming, RequestHead } from "./request-head.js";
import { Http1Response, type ResponseOwner } from "./response.js";
import { informationalHead, statusLine } from "./response-head.js";
import { handOverSocket } from "./upgrade.js";

/** Options of {@link Http1Connection}. */
export interface Http1ConnectionOptions {
  /** `http` or `https`; TLS middleware runs before this handler and says which. */
  scheme?: string;
}

const State = { Head: 0, Request: 1, Drain: 2, Upgraded: 3, Closing: 4, Closed: 5 } as const;
type State = (typeof State)[keyof typeof State];

const Timeout = { None: 0, KeepAlive: 1, RequestHeaders: 2, Drain: 3, Closing: 4 } as const;
type Timeout = (typeof Timeout)[keyof typeof Timeout];

/** Kestrel drains an unread request body for at most 5 s before closing. */
const DRAIN_TIMEOUT_MS = 5_000;
/** After our FIN, how long a peer may keep the socket open (lingering close). */
const CLOSE_LINGER_MS = 5_000;
const CONTINUE_100 = "HTTP/1.1 100 Continue\r\n\r\n";
const RESOLVED = Promise.resolve();

const kConnection = Symbol("x.http1.connection");
type OwnedSocket = Duplex & { [kConnection]: Http1Connection };

function onSocketData(this: OwnedSocket, chunk: Buffer): void {
  this[kConnection].onSocketData(chunk);
}
function onSocketEnd(this: OwnedSocket): void {
  this[kConnection].onSocketEnd();
}
function onSocketClose(this: OwnedSocket): void {
  this[kConnection].onSocketClose();
}
function onSocketError(this: OwnedSocket, error: Error): void {
  this[kConnection].onSocketError(error);
}
function onSocketDrain(this: OwnedSocket): void {
  this[kConnection].onSocketDrain();
}
function onFlushTimer(connection: Http1Connection): void {
  connection.onFlushTimer();
}

/** The listeners an upgrade removes ('close' and 'error' stay, for cleanup and logging). */
const HTTP_LISTENERS: ReadonlyArray<[string, (...args: any[]) => void]> = [
  ["data", onSocketData],
  ["end", onSocketEnd],
  ["drain", onSocketDrain],
];

/** One HTTP/1.1 connection: parses requests off the transport, runs the app for each (keep-alive, pipelining), writes the responses and enforces Kestrel's limits and timeouts. */
export class Http1Connection implements HeartbeatHandler, BodySink, BodyOwner, ResponseOwner, ContextOwner {
  readonly #connection: ConnectionContext;
  readonly #socket: Duplex;
  readonly #service: ServiceContext;
  readonly #limits: ReadonlyServerLimits;
  readonly #app: RequestDelegate;
  readonly #logger: Logger;
  readonly #scheme: string;
  /** The `Server` header value, or null when `addServerHeader` is off. */
  readonly serverHeader: string | null;

  readonly #input = new InputBuffer();
  readonly #output: OutputBuffer;
  readonly #parser: RequestHeadParser;
  /** Created when the first byte of a request arrives: an idle connection holds none. */
  #head: RequestHead | null = null;
  #state: State = State.Head;
  #ctx: Http1Context | null = null;
  #response: Http1Response | null = null;
  #body: Http1RequestBody | null = null;
  #decoder: BodyDecoder | null = null;
  #bodyDone = true;
  #bodyBytes = 0;
  #bodyError: BadHttpRequestError | null = null;
  #sent100 = false;
  #keepAlive = true;
  #requestCount = 0;
  #timeout: Timeout = Timeout.None;
  #deadline = 0;
  #readRate: ReadRateTimer | null = null;
  #writeRate: WriteRateTimer | null = null;
  #paused = false;
  /** Heartbeats seen in a row with the connection idle between requests. */
  #idleTicks = 0;
  #aborted = false;
  #clientEnded = false;
  #upgradeLocked = false;
  #connectionInfo: ConnectionInfo | null = null;
  #flushImmediate: NodeJS.Immediate | null = null;
  #drain: Promise<void> | null = null;
  #drainResolve: (() => void) | null = null;
  #resolveClosed: () => void = noop;
  #onAppDone: (() => void) | null = null;
  #onAppFailed: ((error: unknown) => void) | null = null;
  readonly #accessLog: AccessLog | null;
  /** When the current head's first byte arrived (access log on), else -1. */
  #headStartedAt = -1;

  /** Handles `connection` for `app` with the server's shared services; {@link processHttp1Connection} creates and runs one. */
  constructor(connection: ConnectionContext, service: ServiceContext, app: RequestDelegate, options: Http1ConnectionOptions = {}) {
    this.#connection = connection;
    this.#socket = connection.transport;
    this.#output = new OutputBuffer(connection.transport);
    this.#service = service;
    this.#limits = service.limits;
    this.#app = app;
    this.#logger = service.loggerFactory.createLogger("X.Server.Http1");
    this.#scheme = options.scheme ?? "http";
    this.#parser = new RequestHeadParser(service.limits, service.disableStringReuse !== true);
    this.serverHeader = service.addServerHeader ? "server: X\r\n" : null;
    this.#accessLog = service.accessLog ?? null;
  }

  /** Serves requests until the connection closes. */
  process(): Promise<void> {
    const closed = new Promise<void>((resolve) => {
      this.#resolveClosed = resolve;
    });
    const socket = this.#socket as OwnedSocket;
    if (socket.destroyed) {
      this.onSocketClose();
      return closed;
    }
    socket[kConnection] = this;
    socket.on("data", onSocketData);
    socket.on("end", onSocketEnd);
    socket.on("close", onSocketClose);
    socket.on("error", onSocketError);
    socket.on("drain", onSocketDrain);
    this.#service.heartbeat.add(this);
    this.#connection.onCloseRequested(this.#onCloseRequested);
    this.#setTimeout(Timeout.KeepAlive, this.#limits.keepAliveTimeout);
    return closed;
  }

  // ---- ResponseOwner / ContextOwner / BodyOwner -------------------------------------

  /** The connection's id and addresses, for requests. */
  get connectionInfo(): ConnectionInfo {
    this.#connectionInfo ??= connectionInfoOf(this.#connection);
    return this.#connectionInfo;
  }

  /** The current `Date` header value. */
  get dateHeader(): string {
    return this.#service.dateHeader.value;
  }

  /** Whether the connection may stay open after the current response. */
  get requestKeepAlive(): boolean {
    // After the client's FIN, requests it already sent (pipelined) are still answered;
    // only the last one, with nothing left in the buffer, closes the connection.
    return (
      this.#keepAlive &&
      this.#bodyError === null &&
      !(this.#clientEnded && this.#bodyDone && this.#input.length === 0) &&
      !this.#connection.isCloseRequested
    );
  }

  /** Whether the current request is a HEAD request. */
  get isHeadRequest(): boolean {
    return this.#head?.method === "HEAD";
  }

  /** Whether the current request is a CONNECT request. */
  get isConnectRequest(): boolean {
    return this.#head?.method === "CONNECT";
  }

  /** Whether the current request is HTTP/1.0. */
  get isHttp10(): boolean {
    return this.#head?.versionMinor === 0;
  }

  /** Whether the connection has been aborted. */
  get isAborted(): boolean {
    return this.#aborted;
  }

  /** The connection's features (TLS, connection limits, ...), defaults of each request's features. */
  get connectionFeatures(): FeatureCollection {
    return this.#connection.features;
  }

  /** Whether the app has begun reading the request body. */
  get bodyReadStarted(): boolean {
    return this.#body?.hasStarted ?? false;
  }

  /** Whether the whole request body has been received. */
  get isBodyComplete(): boolean {
    return this.#bodyDone;
  }

  /** The request's chunked trailers, once decoded; else null. */
  get requestTrailers(): HeaderMap | null {
    return this.#decoder?.trailers ?? null;
  }

  /** Whether the current request asks for an upgrade the app may accept. */
  get isUpgradableRequest(): boolean {
    return this.#state === State.Request && (this.#head?.isUpgradable ?? false);
  }

  /** Queues response bytes for the socket. */
  writeRaw(data: string | Uint8Array): void {
    if (this.#aborted) return;
    this.#output.write(data);
  }

  /** Resolves once the queued response bytes are within `maxResponseBufferSize`. */
  waitForDrain(): Promise<void> {
    const max = this.#limits.maxResponseBufferSize;
    if (this.#aborted || max === null) return RESOLVED;
    if (this.#socket.writableLength + this.#output.pendingBytes <= max) return RESOLVED;
    this.#output.flush();
    if (this.#socket.writableLength <= max) return RESOLVED;
    return (this.#drain ??= new Promise<void>((resolve) => {
      this.#drainResolve = resolve;
    }));
  }

  /** Flushes queued response bytes at the end of this turn of the event loop. */
  scheduleFlush(): void {
    this.#flushImmediate ??= setImmediate(onFlushTimer, this);
  }

  /** Aborts the request at the app's request (`HttpContext.abort()`): the connection is closed. */
  abortRequest(): void {
    this.#logger.debug({ connectionId: this.#connection.id }, "The request was aborted by the application");
    this.#abort();
  }

  /** First body read: sends `100 Continue` when expected and checks Content-Length against the size limit; may throw. */
  onBodyReadStart(): void {
    const head = this.#head!;
    const max = this.#ctx!.maxRequestBodySize;
    // Kestrel answers 413 as soon as the app reads a body whose Content-Length is over the limit.
    if (max !== null && head.contentLength > max) {
      this.#failBody(new Http1ParseError("RequestBodyTooLarge", `Content-Length ${head.contentLength} exceeds ${max}`));
      reject("RequestBodyTooLarge");
    }
    // RFC 9110 §10.1.1: send 100 (Continue) only once the app asks for the content.
    if (head.expectContinue && !this.#sent100 && head.versionMinor === 1 && !this.#response!.hasStarted) {
      this.#sent100 = true;
      this.writeRaw(CONTINUE_100);
    }
  }

  /** The app read body bytes: the socket may resume. */
  onBodyConsumed(_bytes: number): void {
    this.#updateReadPause();
  }

  /** Decoded body bytes: counted against the size limit and queued for the app. */
  onBodyData(view: Buffer): void {
    this.#bodyBytes += view.length;
    // Not `??`: an app's per-request `null` means unlimited and must not fall back to the server limit.
    const max = this.#ctx !== null ? this.#ctx.maxRequestBodySize : this.#limits.maxRequestBodySize;
    if (max !== null && this.#bodyBytes > max) reject("RequestBodyTooLarge");
    if (this.#state === State.Request) {
      this.#readRate?.addBytes(view.length);
      this.#body!.push(view);
    }
  }

  /** The request's minimum data rates changed: the connection times with the new ones. */
  onDataRatesChanged(): void {
    const ctx = this.#ctx;
    if (ctx === null) return;
    (this.#readRate ??= new ReadRateTimer()).rate = ctx.minRequestBodyDataRate;
    (this.#writeRate ??= new WriteRateTimer()).rate = ctx.minResponseDataRate;
  }

  /** Upgrades the connection (`HttpUpgrade`): sends `101 Switching Protocols` and hands the app the raw stream. Once only. */
  upgrade(options?: UpgradeOptions): Promise<Duplex> {
    // Kestrel: "Upgrade cannot be called more than once" (a second call may come while OnStarting runs).
    if (this.#upgradeLocked) return Promise.reject(new UserError("Upgrade cannot be called more than once", "ERR_X_HTTP_ALREADY_UPGRADED"));
    if (!this.isUpgradableRequest) {
      return Promise.reject(new UserError("This request cannot be upgraded (no 'Connection: Upgrade' and 'Upgrade' headers)", "ERR_X_HTTP_NOT_UPGRADABLE"));
    }
    const response = this.#response!;
    if (response.hasStarted) return Promise.reject(new ResponseStartedError("Upgrade must happen before the response starts"));
    // maxConcurrentUpgradedConnections: Kestrel refuses the upgrade itself.
    if (!this.#service.upgradedConnections.tryLockOne()) {
      return Promise.reject(new UserError("The maximum number of concurrent upgraded connections has been reached", "ERR_X_HTTP_UPGRADE_LIMIT"));
    }
    this.#upgradeLocked = true;
    // An upgraded connection stops counting toward maxConcurrentConnections (Kestrel).
    this.#connection.features.get(DecrementConcurrentConnectionCountFeature)?.releaseConnection();
    if (options?.writeResponse === false) {
      // node:http's 'upgrade': the app writes the 101 (or a refusal) on the raw stream itself.
      response.markUpgraded();
      return Promise.resolve().then(() => this.#handOver());
    }
    return response.writeUpgradeHead().then(() => this.#handOver());
  }

  /**
   * Sends a 1xx interim response at once (RFC 9110 §15.2): `100 Continue`
   * on the app's demand, `102`, `103 Early Hints`. Never to HTTP/1.0 clients.
   */
  sendInformational(statusCode: number, headers?: Iterable<readonly [string, string | readonly string[]]>): void {
    if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 199 || statusCode === 101) {
      throw new UserError(`Invalid informational status code ${statusCode} (100-199, not 101)`, "ERR_X_HTTP_INVALID_STATUS");
    }
    const response = this.#response;
    if (this.#state !== State.Request || response === null) throw new UserError("There is no request to answer", "ERR_X_HTTP_RESPONSE_COMPLETED");
    if (response.hasStarted) throw new ResponseStartedError("An informational response must precede the final response");
    if (this.isHttp10 || this.#aborted) return;
    if (statusCode === 100) {
      if (this.#sent100) return;
      this.#sent100 = true;
    }
    this.writeRaw(`${informationalHead(statusCode, headers)}\r\n`);
    this.#output.flush();
  }

  /** After the 101: the socket, and the bytes already read past the request head, go to the app. */
  #handOver(): Duplex {
    if (this.#state !== State.Request) throw new ConnectionAbortedError("The connection closed before the upgrade completed");
    this.#output.flush();
    this.#state = State.Upgraded;
    this.#timeout = Timeout.None;
    this.#readRate = this.#writeRate = null;
    this.#service.heartbeat.remove(this);
    const leftover = this.#input.length > 0 ? Buffer.from(this.#input.buf.subarray(this.#input.start, this.#input.end)) : null;
    this.#input.reset();
    this.#paused = false;
    return handOverSocket(this.#socket, HTTP_LISTENERS, leftover);
  }

  /** Per-second timeout checks: keep-alive, request headers, minimum data rates. */
  onHeartbeat(now: number): void {
    if (this.#state === State.Head && this.#parser.isIdle && this.#input.length === 0) {
      // Idle across two ticks (at least a second): give back the strings kept for reuse.
      if (++this.#idleTicks === 2) this.#parser.releaseStrings();
    } else {
      this.#idleTicks = 0;
    }
    if (this.#readRate !== null && this.#state === State.Request && !this.#bodyDone && this.#bodyError === null) {
      if (this.#readRate.tick(now, this.#body?.isReadPending === true && !this.#paused)) {
        this.#logger.debug({ connectionId: this.#connection.id }, "The request body was received too slowly (below MinRequestBodyDataRate)");
        this.#failBody(new Http1ParseError("RequestBodyTimeout"));
      }
    }
    if (this.#writeRate?.tick(now, this.#output.flushedBytes - this.#socket.writableLength, this.#socket.writableLength)) {
      this.#logger.debug({ connectionId: this.#connection.id }, "The response was read too slowly (below MinResponseDataRate); aborting the connection");
      this.#abort();
      return;
    }
    if (this.#timeout === Timeout.None || now < this.#deadline) return;
    const reason = this.#timeout;
    this.#timeout = Timeout.None;
    switch (reason) {
      case Timeout.KeepAlive:
        this.#logger.debug({ connectionId: this.#connection.id }, "Connection timed out while idle (keep-alive timeout)");
        this.#closeGracefully();
        break;
      case Timeout.RequestHeaders:
        this.#logger.debug({ connectionId: this.#connection.id }, "Request headers timeout");
        this.#rejectRequest(new Http1ParseError("RequestHeadersTimeout"));
        break;
      case Timeout.Drain:
      case Timeout.Closing:
        this.#abort();
        break;
    }
  }

  // ---- socket events (through the shared functions above) ---------------------------

  /** @internal */
  onSocketData(chunk: Buffer): void {
    if (this.#state >= State.Closing) return; // lingering close: discard
    this.#input.append(chunk);
    this.#process();
    this.#updateReadPause();
  }

  /** @internal */
  onSocketEnd(): void {
    this.#clientEnded = true;
    switch (this.#state) {
      case State.Head:
        // Kestrel answers a head cut short by the client's FIN with 400 (unexpected end of request).
        if (!this.#parser.isIdle || this.#input.length > 0) this.#rejectRequest(new Http1ParseError("UnexpectedEndOfRequestContent"));
        else this.#closeGracefully();
        break;
      case State.Drain:
        this.#closeGracefully();
        break;
      case State.Request:
        if (!this.#bodyDone) this.#failBody(new Http1ParseError("UnexpectedEndOfRequestContent"));
        // Kestrel fires RequestAborted on the client's FIN: a long poll or an event stream
        // learns the client went away. What the app still writes is sent (half-close).
        this.#ctx?.signalAborted();
        break;
      case State.Closing:
        this.#abort();
        break;
    }
  }

  /** @internal */
  onSocketClose(): void {
    if (this.#state === State.Closed) return;
    this.#state = State.Closed;
    this.#aborted = true;
    this.#timeout = Timeout.None;
    this.#service.heartbeat.remove(this);
    if (this.#upgradeLocked) {
      this.#upgradeLocked = false;
      this.#service.upgradedConnections.releaseOne();
    }
    if (this.#flushImmediate !== null) clearImmediate(this.#flushImmediate);
    this.#ctx?.signalAborted();
    this.#body?.fail(new ConnectionAbortedError("The client disconnected"));
    this.onSocketDrain();
    this.#resolveClosed();
  }

  /** @internal */
  onSocketError(error: Error): void {
    this.#logger.debug({ connectionId: this.#connection.id, err: error }, "Connection error");
  }

  /** @internal */
  onSocketDrain(): void {
    const resolve = this.#drainResolve;
    this.#drain = null;
    this.#drainResolve = null;
    resolve?.();
  }

  /** @internal The end-of-turn flush of a response's held first chunk. */
  onFlushTimer(): void {
    this.#flushImmediate = null;
    try {
      this.#response?.flushPending();
    } catch (error) {
      this.#logger.error({ connectionId: this.#connection.id, err: error }, "Failed to write the response head");
      this.#abort();
    }
  }

  #onCloseRequested = (): void => {
    this.#keepAlive = false;
    if ((this.#state === State.Head && this.#parser.isIdle && this.#input.length === 0) || this.#state === State.Drain) {
      this.#closeGracefully();
    }
  };

  // ---- the request loop -------------------------------------------------------------

  #process(): void {
    try {
      for (;;) {
        switch (this.#state) {
          case State.Head:
            if (this.#input.length === 0) return;
            if (this.#parser.isIdle) {
              this.#setTimeout(Timeout.RequestHeaders, this.#limits.requestHeadersTimeout);
              this.#headStartedAt = accessLogStart(this.#accessLog);
            }
            if (!this.#parser.parse(this.#input, (this.#head ??= new RequestHead()))) return;
            this.#startRequest(this.#head);
            break;
          case State.Request:
            if (this.#bodyError !== null) {
              this.#input.reset();
              return;
            }
            if (!this.#bodyDone && this.#input.length > 0 && this.#decoder!.decode(this.#input, this)) this.#onBodyComplete();
            // Whatever remains belongs to the next (pipelined) request.
            return;
          case State.Drain:
            if (this.#input.length === 0) return;
            if (!this.#decoder!.decode(this.#input, this)) return;
            this.#bodyDone = true;
            this.#nextRequest();
            break;
          default:
            this.#input.reset();
            return;
        }
      }
    } catch (error) {
      this.#onProtocolError(error);
    }
  }

  #startRequest(head: RequestHead): void {
    const limits = this.#limits;
    this.#requestCount++;
    this.#timeout = Timeout.None;
    this.#keepAlive = this.#keepAlive && head.keepAlive;
    this.#sent100 = false;
    this.#bodyBytes = 0;
    let body = emptyBody;
    if (head.framing === BodyFraming.None) {
      this.#bodyDone = true;
      this.#body = null;
      this.#decoder = null;
    } else {
      this.#bodyDone = false;
      this.#body = new Http1RequestBody(this);
      body = this.#body;
      this.#decoder = head.framing === BodyFraming.Chunked ? new ChunkedDecoder(limits) : new ContentLengthDecoder(head.contentLength);
      if (this.#readRate !== null || limits.minRequestBodyDataRate !== null) (this.#readRate ??= new ReadRateTimer()).reset(limits.minRequestBodyDataRate);
    }
    if (this.#writeRate !== null || limits.minResponseDataRate !== null) (this.#writeRate ??= new WriteRateTimer()).rate = limits.minResponseDataRate;
    const request = new Http1Request(head, this.#scheme, body);
    this.#response = new Http1Response(this);
    this.#ctx = new Http1Context(this, request, this.#response, this.#requestCount, limits);
    this.#state = State.Request;
    let result: unknown;
    try {
      result = this.#app(this.#ctx);
    } catch (error) {
      result = Promise.reject(error);
    }
    const done = (this.#onAppDone ??= () => this.#finishRequest(null));
    const failed = (this.#onAppFailed ??= (error: unknown) => this.#finishRequest(error ?? new Error("The application failed without an error")));
    if (result !== null && typeof result === "object" && typeof (result as PromiseLike<void>).then === "function") {
      (result as PromiseLike<void>).then(done, failed);
    } else {
      RESOLVED.then(done);
    }
  }

  #onBodyComplete(): void {
    this.#bodyDone = true;
    this.#body!.end();
  }

  #finishRequest(error: unknown): void {
    if (this.#state === State.Upgraded) {
      // The app owns the socket now; its request delegate finishing says nothing about it.
      if (error !== null) this.#logger.error({ connectionId: this.#connection.id, err: error }, "The application failed after upgrading the connection");
      this.#logAccess(101, 0, false);
      this.#ctx = null;
      return;
    }
    const response = this.#response!;
    if (this.#flushImmediate !== null) {
      clearImmediate(this.#flushImmediate);
      this.#flushImmediate = null;
    }
    let status = 0;
    if (error !== null) {
      if (error instanceof BadHttpRequestError) {
        status = error.statusCode;
        this.#keepAlive = false;
        this.#logger.debug({ connectionId: this.#connection.id, err: error }, `Bad request: ${error.message}`);
      } else if (this.#aborted) {
        this.#logger.debug({ connectionId: this.#connection.id, err: error }, "The application failed after the connection was aborted");
      } else {
        status = 500;
        this.#logger.error(
          { connectionId: this.#connection.id, traceIdentifier: this.#ctx!.traceIdentifier, err: error },
          "An unhandled exception was thrown by the application.",
        );
      }
    } else if (this.#bodyError !== null && !response.hasStarted) {
      status = this.#bodyError.statusCode;
    }
    if (!this.#aborted) {
      if (status !== 0) {
        if (response.hasStarted) {
          // The status line is gone; the only honest signal left is to cut the connection.
          this.#abort();
          this.#logAccess(response.statusCode, response.bodyBytesWritten, false);
          return;
        }
        response.resetForError(status);
      }
      this.#completeResponse(response);
    }
    this.#logAccess(response.statusCode, response.bodyBytesWritten, false);
    this.#runCompletedCallbacks(response);
    if (this.#aborted) return;
    if (!response.keepAlive || !this.requestKeepAlive) {
      this.#closeGracefully();
    } else if (!this.#bodyDone) {
      // The app did not read the whole body: discard it so the connection can be reused.
      this.#state = State.Drain;
      this.#ctx = null;
      this.#setTimeout(Timeout.Drain, DRAIN_TIMEOUT_MS);
      this.#process();
      this.#updateReadPause();
    } else {
      this.#nextRequest();
      this.#process();
      this.#updateReadPause();
    }
  }

  #completeResponse(response: Http1Response): void {
    try {
      response.complete();
    } catch (error) {
      this.#logger.error({ connectionId: this.#connection.id, err: error }, "Failed to complete the response");
      if (response.hasStarted && response.isCompleted) {
        this.#keepAlive = false;
        if (error instanceof Error && (error as { code?: string }).code === "ERR_X_HTTP_CONTENT_LENGTH_MISMATCH") this.#abort();
        return;
      }
      response.resetForError(500);
      response.complete();
    }
  }

  /**
   * OnCompleted callbacks, as ASP.NET Core runs them: last registered first, one at a time.
   * They run beside the next request on the connection (Kestrel awaits them first; ours does
   * not hold a pipelined request back for them).
   */
  #runCompletedCallbacks(response: Http1Response): void {
    const callbacks = response.takeCompletedCallbacks();
    if (callbacks === null) return;
    const logger = this.#logger;
    const connectionId = this.#connection.id;
    void runCompletedCallbacks(callbacks, (error) => logger.error({ connectionId, err: error }, "An OnCompleted callback failed"));
  }

  #nextRequest(): void {
    this.#state = State.Head;
    this.#ctx = null;
    this.#response = null;
    this.#body = null;
    this.#decoder = null;
    this.#bodyDone = true;
    this.#bodyError = null;
    this.#head = null;
    if (this.#clientEnded && this.#input.length === 0) {
      this.#closeGracefully();
      return;
    }
    if (this.#connection.isCloseRequested && this.#input.length === 0) {
      this.#closeGracefully();
      return;
    }
    this.#setTimeout(Timeout.KeepAlive, this.#limits.keepAliveTimeout);
  }

  // ---- errors and closing -----------------------------------------------------------

  #onProtocolError(error: unknown): void {
    const bad = error instanceof BadHttpRequestError ? error : null;
    if (bad === null) {
      this.#logger.error({ connectionId: this.#connection.id, err: error }, "Unexpected error while processing the connection");
      this.#abort();
      return;
    }
    switch (this.#state) {
      case State.Head:
        this.#rejectRequest(bad);
        break;
      case State.Request:
        this.#failBody(bad);
        break;
      default:
        this.#logger.debug({ connectionId: this.#connection.id, err: bad }, "Bad request data while draining");
        this.#closeGracefully();
        break;
    }
  }

  #failBody(error: BadHttpRequestError): void {
    if (this.#bodyError !== null) return;
    this.#bodyError = error;
    this.#keepAlive = false;
    this.#input.reset();
    this.#body?.fail(error);
    this.#logger.debug({ connectionId: this.#connection.id, err: error }, `Bad request body: ${error.message}`);
  }

  /** Answers a request the server rejects before the app sees it, then closes. */
  #rejectRequest(error: BadHttpRequestError): void {
    this.#logger.debug({ connectionId: this.#connection.id, reason: error.reason, status: error.statusCode }, `Connection bad request data: ${error.message}`);
    const hadBytes = !this.#parser.isIdle || this.#input.length > 0;
    if ((hadBytes || error.statusCode !== 408) && this.#handOverRejected(error)) return;
    if (hadBytes || error.statusCode !== 408) {
      let head = `${statusLine(error.statusCode, undefined)}content-length: 0\r\nconnection: close\r\ndate: ${this.dateHeader}\r\n`;
      if (this.serverHeader !== null) head += this.serverHeader;
      this.writeRaw(`${head}\r\n`);
      this.#logAccess(error.statusCode, 0, true);
    }
    this.#input.reset();
    this.#closeGracefully();
  }

  /**
   * A `ClientErrorFeature` handler (node:http's 'clientError') may answer the
   * rejected request itself: then nothing of ours is written, the stream is
   * handed over as on an upgrade, and the handler closes it.
   */
  #handOverRejected(error: BadHttpRequestError): boolean {
    const handler = this.#connection.features.get(ClientErrorFeature);
    if (handler === undefined || !handler.active || this.#state !== State.Head) return false;
    const received = Buffer.from(this.#input.buf.subarray(this.#input.start, this.#input.end));
    this.#input.reset();
    this.#state = State.Upgraded;
    this.#timeout = Timeout.None;
    this.#readRate = this.#writeRate = null;
    this.#service.heartbeat.remove(this);
    this.#paused = false;
    this.#logAccess(error.statusCode, 0, true);
    const stream = handOverSocket(this.#socket, HTTP_LISTENERS, null);
    try {
      handler.onRejectedRequest(error, stream, received);
    } catch (e) {
      this.#logger.error({ connectionId: this.#connection.id, err: e }, "The client error handler threw");
      this.#abort();
    }
    return true;
  }

  #logAccess(status: number, bytes: number, rejected: boolean): void {
    const log = this.#accessLog;
    if (log === null || log.sink === null) return;
    writeAccessLog(log, this.#head, this.#headStartedAt, this.connectionInfo, { status, bytes, rejected, aborted: this.#aborted });
  }

  /** Sends FIN after pending writes, keeps reading (and discarding) briefly so the peer sees our response, not a reset. */
  #closeGracefully(): void {
    if (this.#state >= State.Upgraded) return;
    this.#state = State.Closing;
    this.#setTimeout(Timeout.Closing, CLOSE_LINGER_MS);
    this.#output.flush();
    if (this.#clientEnded) {
      this.#socket.end(() => this.#abort());
    } else {
      this.#socket.end();
    }
    this.#updateReadPause();
  }

  #abort(): void {
    if (this.#aborted && this.#state === State.Closed) return;
    this.#aborted = true;
    this.#output.discard();
    this.#ctx?.signalAborted();
    this.#connection.abort();
  }

  #setTimeout(reason: Timeout, ms: number): void {
    this.#timeout = reason;
    this.#deadline = deadlineAfter(this.#service.heartbeat, ms);
  }

  /** Pauses reading while too much is buffered: the app's unread body, or pipelined requests waiting. */
  #updateReadPause(): void {
    if (this.#state === State.Upgraded) return;
    const max = this.#limits.maxRequestBufferSize;
    let shouldPause = false;
    if (max !== null && this.#state === State.Request) {
      shouldPause = (this.#body?.queuedBytes ?? 0) > max || (this.#bodyDone && this.#input.length > max);
    }
    if (shouldPause !== this.#paused) {
      this.#paused = shouldPause;
      if (shouldPause) this.#socket.pause();
      else this.#socket.resume();
    }
  }
}

function noop(): void {}

/** Handles one connection with HTTP/1.1 until it closes. */
export function processHttp1Connection(
  connection: ConnectionContext,
  service: ServiceContext,
  app: RequestDelegate,
  options?: Http1ConnectionOptions,
): Promise<void> {
  return new Http1Connection(connection, service, app, options).process();
}
