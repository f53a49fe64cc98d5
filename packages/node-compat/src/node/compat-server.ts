/**
 * node:http's `Server`, served by our stack: `listen` in node's forms
 * (binding synchronously, so `address()` answers right away, as node's
 * does), `close`, `closeAllConnections`, `closeIdleConnections`,
 * `setTimeout` and node's timeouts mapped onto Kestrel's limits, and the
 * events `request`, `upgrade`, `checkContinue`, `checkExpectation`,
 * `dropRequest`, `clientError`, `connection`, `listening`, `close`, `error`.
 *
 * @module
 */
import { type HttpContext, type LoggerFactory, nullLoggerFactory, type RequestDelegate } from "@x/abstractions";
import { type HttpProtocols, type ListenOptions, Server, ServerOptions } from "@x/server";
import type { ServerCertificate } from "@x/https-sni";
import { SocketTransportFactory } from "@x/transport-sockets";
import { EventEmitter } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from "node:net";
import { clientErrorMiddleware } from "./client-error.js";
import type { Exchange } from "./exchange.js";
import { exchangeOptions, isUpgradeRequest, type NodeHandlerOptions, runExchange, runUpgrade } from "./from-node-handler.js";
import { type ListenCall, parseListenArguments } from "./listen-arguments.js";
import { serverAlreadyListening, serverNotRunning } from "./node-errors.js";
import { createLimits, fromNodeValue, type ServerLimitsInit, toNodeValue } from "./server-settings.js";

/** `createServer`'s options: node:http's, plus our limits, protocols and TLS. */
export interface CreateServerOptions extends Omit<NodeHandlerOptions, "onUpgrade"> {
  /** node: idle time of a keep-alive connection (ms; 0 = none). Default: Kestrel's 130 s. */
  keepAliveTimeout?: number;
  /** node: time to receive the request head (ms). Default: Kestrel's RequestHeadersTimeout, 30 s. */
  headersTimeout?: number;
  /**
   * node: time to receive the whole request. Accepted and reported; the
   * request body is bounded by Kestrel's MinRequestBodyDataRate instead.
   */
  requestTimeout?: number;
  /** node: the largest request head (bytes): Kestrel's MaxRequestHeadersTotalSize. */
  maxHeaderSize?: number;
  /** node: requests served per keep-alive connection before it closes (0 = no limit). */
  maxRequestsPerSocket?: number;
  /** node: TCP_NODELAY (default true). */
  noDelay?: boolean;
  /** node: TCP keep-alive on accepted sockets. */
  keepAlive?: boolean;
  /** node: initial TCP keep-alive delay (ms). */
  keepAliveInitialDelay?: number;
  /** Kestrel's limits by their names (`maxRequestBodySize`, `minRequestBodyDataRate`, `http2: {...}`, ...). */
  limits?: ServerLimitsInit;
  /** HTTP versions: `Http1`, `Http2` or `Http1AndHttp2` (the default: HTTP/2 by ALPN with TLS, by prior knowledge without). */
  protocols?: HttpProtocols;
  /** Serve HTTPS with this certificate (PEM `{ cert, key }` or `{ pfx, passphrase }`), as `https.createServer`. */
  https?: ServerCertificate;
  /** https.createServer's PEM certificate and key; the same as `https: { cert, key }`. */
  cert?: string | Buffer;
  /** https.createServer's private key. */
  key?: string | Buffer;
  /** https.createServer's PFX/PKCS#12 certificate. */
  pfx?: string | Buffer;
  /** Passphrase of `key` or `pfx`. */
  passphrase?: string;
  /** Send `Server: X` on responses (default false: node:http sends no Server header). */
  addServerHeader?: boolean;
  /** Logs of the server (connection errors, app failures answered with 500). Default: none. */
  loggerFactory?: LoggerFactory;
  /** Last word on the server's options (endpoints are added by `listen`). */
  configureServer?: (options: ServerOptions) => void;
  /** Last word on the endpoint `listen` creates (connection middleware, `useConnectionLogging()`, ...). */
  configureEndpoint?: (listenOptions: ListenOptions) => void;
}

/** A `request` listener. */
export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

const NO_SHUTDOWN_TIMEOUT = 2_147_483_647;

/** node:http's `Server`, on our stack. */
export class CompatServer extends EventEmitter {
  readonly #options: CreateServerOptions;
  readonly #exchangeOptions;
  readonly #limits;
  #net: NetServer | null = null;
  #server: Server | null = null;
  #starting: Promise<void> | null = null;
  #closing: Promise<void> | null = null;
  /** node's `server.timeout`: idle socket timeout (0 = none). */
  timeout = 0;
  /** node's `requestTimeout` (see {@link CreateServerOptions.requestTimeout}). */
  requestTimeout: number;
  /** node's `maxRequestsPerSocket` (0 or null = no limit). */
  maxRequestsPerSocket: number | null;

  /** As `createServer(options, requestListener)`: the listener, if given, handles `'request'`. Nothing is bound until `listen`. */
  constructor(options: CreateServerOptions = {}, requestListener?: RequestListener) {
    super();
    this.#options = options;
    this.#exchangeOptions = exchangeOptions(options);
    this.#limits = createLimits(options.limits);
    if (options.keepAliveTimeout !== undefined) this.keepAliveTimeout = options.keepAliveTimeout;
    if (options.headersTimeout !== undefined) this.headersTimeout = options.headersTimeout;
    if (options.maxHeaderSize !== undefined) this.#limits.maxRequestHeadersTotalSize = fromNodeValue("maxHeaderSize", options.maxHeaderSize);
    this.requestTimeout = options.requestTimeout ?? 300_000;
    this.maxRequestsPerSocket = options.maxRequestsPerSocket ?? 0;
    if (requestListener !== undefined) this.on("request", requestListener);
  }

  /** Kestrel's KeepAliveTimeout (ms); set before `listen` (or in the same turn). */
  get keepAliveTimeout(): number {
    return toNodeValue(this.#limits.keepAliveTimeout);
  }
  set keepAliveTimeout(ms: number) {
    this.#limits.keepAliveTimeout = fromNodeValue("keepAliveTimeout", ms);
  }
  /** Kestrel's RequestHeadersTimeout (ms). */
  get headersTimeout(): number {
    return toNodeValue(this.#limits.requestHeadersTimeout);
  }
  set headersTimeout(ms: number) {
    this.#limits.requestHeadersTimeout = fromNodeValue("headersTimeout", ms);
  }
  /** Kestrel's MaxRequestHeaderCount (over it the request gets 431). */
  get maxHeadersCount(): number | null {
    return this.#limits.maxRequestHeaderCount;
  }
  set maxHeadersCount(count: number | null) {
    this.#limits.maxRequestHeaderCount = count === null ? 2_147_483_647 : fromNodeValue("maxHeadersCount", count);
  }
  /** Kestrel's MaxConcurrentConnections (Infinity, as set or when unset, = no limit). */
  get maxConnections(): number {
    return this.#limits.maxConcurrentConnections ?? Number.POSITIVE_INFINITY;
  }
  set maxConnections(count: number) {
    this.#limits.maxConcurrentConnections = count === null || count === undefined || count === Number.POSITIVE_INFINITY ? null : Math.floor(count);
  }
  /** The limits the server starts with (Kestrel's names); change them before `listen`. */
  get limits() {
    return this.#limits;
  }

  /**
   * node's deprecated `server.connections` (DEP0020; `getConnections(cb)` is
   * the supported form): the open connections. Also what makes a
   * `CompatServer` fit where types ask for node's `http.Server`
   * (Fastify's `serverFactory`, `ws`, socket.io).
   */
  get connections(): number {
    return (this.#net as unknown as { _connections?: number } | null)?._connections ?? 0;
  }

  /** Whether the server is listening. */
  get listening(): boolean {
    return this.#net?.listening === true && this.#closing === null;
  }

  /** The server underneath, once `listen` was called (null before). */
  get server(): Server | null {
    return this.#server;
  }

  /** node's `listen`: `()`, `(port[, host][, backlog][, cb])`, `(path[, backlog][, cb])`, `(options[, cb])`. */
  listen(...args: unknown[]): this {
    if (this.#net !== null && this.#closing === null) throw serverAlreadyListening();
    const call = parseListenArguments(args);
    this.#closing = null;
    const net = createNetServer({ allowHalfOpen: true, noDelay: this.#options.noDelay ?? true, keepAlive: this.#options.keepAlive, keepAliveInitialDelay: this.#options.keepAliveInitialDelay });
    this.#net = net;
    net.on("connection", (socket: Socket) => this.#onConnection(socket));
    if (call.callback !== undefined) this.once("listening", call.callback);
    // Bound now, as node binds: address() answers before 'listening'.
    net.listen(call.target.kind === "unix" ? { path: call.target.path } : { port: call.target.port, host: call.target.host, ipv6Only: call.target.ipv6Only });
    call.signal?.addEventListener("abort", () => this.close(), { once: true });
    // The limits are read on the next tick, so `server.keepAliveTimeout = ...` right after listen() still applies.
    process.nextTick(() => this.#start(net, call));
    return this;
  }

  #start(net: NetServer, call: ListenCall): void {
    if (this.#net !== net || this.#closing !== null) return;
    const options = new ServerOptions();
    options.addServerHeader = this.#options.addServerHeader ?? false;
    Object.assign(options.limits, this.#limits);
    Object.assign(options.limits.http2, this.#limits.http2);
    const clientErrors = clientErrorMiddleware(
      () => this.listenerCount("clientError") > 0,
      (error, socket) => this.emit("clientError", error, socket),
    );
    const configure = (lo: ListenOptions) => {
      if (this.#options.protocols !== undefined) lo.protocols = this.#options.protocols;
      lo.use(clientErrors);
      const certificate = this.#certificate();
      if (certificate !== undefined) lo.useHttps(certificate);
      this.#options.configureEndpoint?.(lo);
    };
    // The endpoint is whatever `net` bound; the adopted listener reports the real address.
    if (call.target.kind === "unix") options.listenUnixSocket(call.target.path, configure);
    else options.listen("::", call.target.port, configure);
    this.#options.configureServer?.(options);
    const transportFactory = new SocketTransportFactory();
    const server = new Server(options, {
      loggerFactory: this.#options.loggerFactory ?? nullLoggerFactory,
      transport: { bind: (_endPoint, onConnection) => transportFactory.adopt(net, onConnection) },
    });
    this.#server = server;
    this.#starting = server.start(this.#handle).then(
      () => {
        if (this.#net === net && this.#closing === null) this.emit("listening");
      },
      (error: unknown) => {
        this.#net = null;
        this.#server = null;
        net.close();
        this.emit("error", nodeBindError(error));
      },
    );
  }

  #certificate(): ServerCertificate | undefined {
    const o = this.#options;
    if (o.https !== undefined) return o.https;
    if (o.pfx !== undefined) return { pfx: o.pfx, passphrase: o.passphrase } as ServerCertificate;
    if (o.cert !== undefined && o.key !== undefined) return { cert: o.cert, key: o.key, passphrase: o.passphrase } as ServerCertificate;
    return undefined;
  }

  #onConnection(socket: Socket): void {
    // node forwards a connection's socket errors to 'clientError' (ECONNRESET, ...), where
    // listened for; the socket is destroyed by the error either way.
    socket.on("error", (error) => {
      if (this.listenerCount("clientError") > 0) this.emit("clientError", error, socket);
    });
    if (this.timeout > 0) {
      socket.setTimeout(this.timeout, () => {
        if (!this.emit("timeout", socket)) socket.destroy();
      });
    }
    this.emit("connection", socket);
  }

  /** The request delegate: node's dispatch of a parsed request to the events. */
  readonly #handle: RequestDelegate = (ctx: HttpContext) => {
    if (this.listenerCount("upgrade") > 0 && ctx.request.protocol !== "HTTP/2" && isUpgradeRequest(ctx)) {
      return runUpgrade(ctx, this.#exchangeOptions, (req, socket, head) => this.emit("upgrade", req, socket, head));
    }
    return runExchange(ctx, this.#exchangeOptions, (exchange) => this.#dispatch(exchange));
  };

  #dispatch(exchange: Exchange): void {
    const { req, res } = exchange;
    if (!exchange.isHttp2 && req.httpVersionMinor === 1) {
      const max = this.maxRequestsPerSocket;
      if (typeof max === "number" && max > 0) {
        const count = ++exchange.connection.requests;
        (res as ServerResponse & { maxRequestsOnConnectionReached: boolean }).maxRequestsOnConnectionReached = max <= count;
        if (max < count) {
          this.emit("dropRequest", req, exchange.socket);
          res.writeHead(503);
          res.end();
          return;
        }
      }
      const expect = req.headers.expect;
      if (expect !== undefined) {
        // RFC 9110 §10.1.1; node: 'checkContinue' when listened for, else 'request' (our
        // server sends the 100 when the body is first read); other expectations → 417.
        if (/^100-continue$/i.test(expect.trim())) {
          this.emit(this.listenerCount("checkContinue") > 0 ? "checkContinue" : "request", req, res);
        } else if (this.listenerCount("checkExpectation") > 0) {
          this.emit("checkExpectation", req, res);
        } else {
          res.writeHead(417);
          res.end();
        }
        return;
      }
    }
    this.emit("request", req, res);
  }

  /** node's `address()`: `{ address, family, port }`, the socket path, or null before binding. */
  address(): AddressInfo | string | null {
    return this.#net?.address() ?? null;
  }

  /**
   * node's `close([cb])`: stops accepting; idle keep-alive connections close
   * at once, busy ones after their response (with `Connection: close`);
   * `cb` and 'close' once every connection is gone.
   */
  close(callback?: (error?: Error) => void): this {
    const net = this.#net;
    if (net === null || this.#closing !== null) {
      if (callback !== undefined) process.nextTick(callback, serverNotRunning());
      return this;
    }
    const server = this.#server;
    const starting = this.#starting;
    this.#closing = (async () => {
      if (server === null) net.close();
      else {
        await starting;
        await server.stop(NO_SHUTDOWN_TIMEOUT);
      }
    })();
    this.#closing.then(() => {
      if (this.#net === net) {
        this.#net = null;
        this.#server = null;
      }
      this.emit("close");
      callback?.();
    });
    return this;
  }

  /** node's `closeAllConnections()`: aborts every connection, requests in flight included. */
  closeAllConnections(): void {
    this.#server?.abortConnections();
  }

  /** node's `closeIdleConnections()`: idle keep-alive connections close now; busy ones close after their response. */
  closeIdleConnections(): void {
    this.#server?.requestCloseConnections();
  }

  /** node's `setTimeout([ms][, callback])`: idle socket timeout; 'timeout' with the socket, else the socket is destroyed. */
  setTimeout(ms?: number | ((socket: Socket) => void), callback?: (socket: Socket) => void): this {
    if (typeof ms === "function") {
      callback = ms;
      ms = 0;
    }
    this.timeout = ms ?? 0;
    if (callback !== undefined) this.on("timeout", callback);
    return this;
  }

  /** node's `getConnections(cb)`. */
  getConnections(callback: (error: Error | null, count: number) => void): this {
    if (this.#net === null) process.nextTick(callback, null, 0);
    else this.#net.getConnections(callback);
    return this;
  }

  /** node's `server.ref()`: the listening socket keeps the process alive (the default). */
  ref(): this {
    this.#net?.ref();
    return this;
  }

  /** node's `server.unref()`: the listening socket alone does not keep the process alive. */
  unref(): this {
    this.#net?.unref();
    return this;
  }

  /** `await using server = createServer(...)`: closes it. */
  [Symbol.asyncDispose](): Promise<void> {
    return new Promise((resolve) => {
      if (!this.listening) resolve();
      else this.close(() => resolve());
    });
  }
}

/** A bind failure as node reports it: the system error (`EADDRINUSE`, ...) where there is one. */
function nodeBindError(error: unknown): unknown {
  // Ours wraps it (server start → AddressInUseError → the system error).
  for (let at = error, depth = 0; at instanceof Error && depth < 5; at = at.cause, depth++) {
    if (typeof (at as NodeJS.ErrnoException).syscall === "string") return at;
  }
  return error;
}

/** node:http's `createServer([options][, requestListener])`, on our stack. */
export function createServer(options?: CreateServerOptions | RequestListener, requestListener?: RequestListener): CompatServer {
  if (typeof options === "function") return new CompatServer({}, options);
  return new CompatServer(options ?? {}, requestListener);
}
