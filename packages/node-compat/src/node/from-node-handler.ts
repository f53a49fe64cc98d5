/**
 * Node-style apps inside our pipeline: `fromNodeHandler(app)` is a
 * `RequestDelegate` that runs a `(req, res)` handler (an Express or Connect
 * app, Koa's `app.callback()`, a plain node:http listener) on real
 * `IncomingMessage`/`ServerResponse` objects; `fromNodeMiddleware(mw)` is a
 * `Middleware` whose `next()` falls through to the rest of our pipeline.
 * Both sit behind whatever runs before them: host filtering, forwarded
 * headers, the access log, Kestrel's limits, HTTPS and HTTP/2.
 *
 * @module
 */
import { HttpUpgradeFeature, type HttpContext, type Middleware, type RequestDelegate } from "@x/abstractions";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { DefaultIncomingMessage, DefaultServerResponse, Exchange, type ExchangeOptions } from "./exchange.js";
import type { IncomingMessageClass } from "./incoming-message.js";
import { outHeadersOf } from "./node-internals.js";
import type { ServerResponseClass } from "./server-response.js";

/** A node:http request listener. */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => unknown;
/** Connect/Express-style middleware: `next()` passes the request on; `next(error)` fails it. */
export type NodeMiddleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => unknown;
/** node:http's `'upgrade'` listener: the raw stream before any response, and the bytes read past the head. */
export type NodeUpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => unknown;

/** Options of {@link fromNodeHandler} and {@link fromNodeMiddleware}. */
export interface NodeHandlerOptions {
  /** The request class, as node's `createServer({ IncomingMessage })`; must extend `http.IncomingMessage`. */
  IncomingMessage?: IncomingMessageClass;
  /** The response class, as node's `createServer({ ServerResponse })`; must extend `http.ServerResponse`. */
  ServerResponse?: ServerResponseClass;
  /** node's `joinDuplicateHeaders`: repeated headers joined with `, ` instead of node's per-header rules. */
  joinDuplicateHeaders?: boolean;
  /**
   * Serves HTTP/1.1 upgrade requests (`Connection: Upgrade`) as node:http's
   * `'upgrade'` event: for `ws`, `(req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => ...)`.
   * The stream counts toward `maxConcurrentUpgradedConnections`. Without it,
   * upgrade requests reach the handler as ordinary requests, as on node:http
   * without an 'upgrade' listener.
   */
  onUpgrade?: NodeUpgradeHandler;
}

const EMPTY_HEAD = Buffer.alloc(0);

/** Resolves the options once, for every request. */
export function exchangeOptions(options: NodeHandlerOptions | undefined): ExchangeOptions {
  return {
    IncomingMessage: options?.IncomingMessage ?? (DefaultIncomingMessage as unknown as IncomingMessageClass),
    ServerResponse: options?.ServerResponse ?? (DefaultServerResponse as unknown as ServerResponseClass),
    joinDuplicateHeaders: options?.joinDuplicateHeaders === true,
  };
}

/**
 * Runs `invoke` on a new exchange; the promise settles when the response is
 * done or the client left. A handler that throws, or returns a promise that
 * rejects, before the response started gets the server's 500.
 */
export function runExchange(ctx: HttpContext, options: ExchangeOptions, invoke: (exchange: Exchange) => unknown): Promise<void> {
  const exchange = new Exchange(ctx, options);
  try {
    const result = invoke(exchange);
    if (result !== null && typeof result === "object" && typeof (result as PromiseLike<unknown>).then === "function") {
      (result as PromiseLike<unknown>).then(undefined, (error: unknown) => exchange.fail(error));
    }
  } catch (error) {
    exchange.fail(error);
  }
  exchange.endIfBodiless();
  return exchange.done;
}

/** Whether `ctx` asks for an HTTP/1.1 upgrade the server can grant. */
export function isUpgradeRequest(ctx: HttpContext): boolean {
  // The header check first: reading features allocates them.
  return ctx.request.headers.has("upgrade") && ctx.features.get(HttpUpgradeFeature)?.isUpgradableRequest === true;
}

/**
 * Hands `ctx`'s connection to `handler` as node:http's 'upgrade' event
 * does: no 101 is written, the request object's `socket` is the raw stream.
 */
export async function runUpgrade(ctx: HttpContext, options: ExchangeOptions, handler: NodeUpgradeHandler): Promise<void> {
  const socket = await ctx.features.get(HttpUpgradeFeature)!.upgrade({ writeResponse: false });
  const exchange = new Exchange(ctx, options, socket);
  const req = exchange.req;
  (req as IncomingMessage & { upgrade: boolean }).upgrade = true;
  exchange.endIfBodiless();
  handler(req, socket, EMPTY_HEAD);
}

/**
 * A `RequestDelegate` that runs a node:http request listener, such as an
 * Express app.
 *
 * @example
 * app.run(fromNodeHandler(expressApp));
 */
export function fromNodeHandler(handler: NodeHandler, options?: NodeHandlerOptions): RequestDelegate {
  const resolved = exchangeOptions(options);
  const onUpgrade = options?.onUpgrade;
  return (ctx) => {
    if (onUpgrade !== undefined && isUpgradeRequest(ctx)) return runUpgrade(ctx, resolved, onUpgrade);
    return runExchange(ctx, resolved, (exchange) => handler(exchange.req, exchange.res));
  };
}

/** Puts what node middleware set on `res` (status, headers) onto `ctx.response` before our pipeline goes on. */
function carryOver(exchange: Exchange): void {
  const { res, ctx } = exchange;
  if (res.headersSent || ctx.response.hasStarted) return;
  if (res.statusCode !== 200) ctx.response.statusCode = res.statusCode;
  const headers = outHeadersOf(res);
  if (headers === null) return;
  for (const key in headers) {
    const value = headers[key]![1];
    ctx.response.headers.set(key, Array.isArray(value) ? value.map(String) : String(value));
  }
}

/**
 * A `Middleware` from Connect/Express-style middleware (or a whole Express
 * app, which calls `next()` when no route matched): `next()` carries the
 * status and headers it set over to `ctx.response` and runs the rest of our
 * pipeline; `next(error)` fails the request (500 unless the response started).
 *
 * @example
 * app.use(fromNodeMiddleware(helmet())).run(myDelegate);
 */
export function fromNodeMiddleware(middleware: NodeMiddleware, options?: NodeHandlerOptions): Middleware {
  const resolved = exchangeOptions(options);
  const onUpgrade = options?.onUpgrade;
  return (ctx, next) => {
    if (onUpgrade !== undefined && isUpgradeRequest(ctx)) return runUpgrade(ctx, resolved, onUpgrade);
    return runExchange(ctx, resolved, (exchange) =>
      middleware(exchange.req, exchange.res, (error?: unknown) => {
        // Express's router uses next('route') / next('router') to skip; both mean "not handled here".
        if (error !== undefined && error !== null && error !== "route" && error !== "router") {
          exchange.fail(error);
          return;
        }
        if (exchange.responseEnded || exchange.aborted || exchange.handedOff) return;
        carryOver(exchange);
        exchange.handOff(next(ctx));
      }),
    );
  };
}
