/**
 * The request as a real `http.IncomingMessage` (`instanceof` holds, and so
 * does every method of its prototype and of `Readable`). What differs from
 * node:http is set as own properties, which survive Express replacing the
 * prototype on every request: `_read` pulls from our body queue, `_destroy`
 * aborts our request. Headers go in as `rawHeaders` through node's own
 * `_addHeaderLines`, so `headers`, `headersDistinct` and duplicate handling
 * are node's, computed only when read.
 *
 * @module
 */
import { BadHttpRequestError, type HttpContext } from "@x/abstractions";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { Exchange } from "./exchange.js";
import { bindExchange, exchangeOf } from "./exchange.js";
import type { StreamSocket } from "./stream-socket.js";

/** A class usable as node's `createServer({ IncomingMessage })`. */
export type IncomingMessageClass = new (socket: never) => IncomingMessage;

interface RequestInternals {
  _addHeaderLines(lines: string[], n: number): void;
  _consuming: boolean;
  _readableState: { readingMore: boolean };
  _read(size: number): void;
  _destroy(error: Error | null, callback: (error?: Error | null) => void): void;
  joinDuplicateHeaders: boolean;
}

/** `req._read`: node's marks the message as consumed, then lets the socket flow; ours pulls the next chunk. */
function readBody(this: IncomingMessage & RequestInternals): void {
  if (!this._consuming) {
    this._readableState.readingMore = false;
    this._consuming = true;
  }
  exchangeOf(this).pull();
}

/**
 * `req._destroy`, as node's: a request destroyed before it was complete
 * emits 'aborted' and takes the connection down (HTTP/2: the stream); the
 * error is emitted only when someone listens for it, so nobody crashes on
 * a client that left. A rejected body (413, 400, 408) is not an abort.
 */
function destroyRequest(this: IncomingMessage & RequestInternals, error: Error | null, callback: (error?: Error | null) => void): void {
  const exchange = exchangeOf(this);
  const rejected = error instanceof BadHttpRequestError;
  if (!rejected && (!this.readableEnded || !this.complete)) {
    this.aborted = true;
    this.emit("aborted");
    if (!exchange.aborted && !exchange.responseEnded) exchange.ctx.abort();
  }
  process.nextTick(finishDestroy, this, error, callback);
}

function finishDestroy(req: IncomingMessage, error: Error | null, callback: (error?: Error | null) => void): void {
  callback(req.listenerCount("error") === 0 ? null : error);
}

/** `HTTP/1.1` → `1.1`; `HTTP/2` → `2.0` (node's http2 compatibility API says `2.0`). */
function versionOf(protocol: string): [string, number, number] {
  switch (protocol) {
    case "HTTP/1.1":
      return ["1.1", 1, 1];
    case "HTTP/1.0":
      return ["1.0", 1, 0];
    default:
      return ["2.0", 2, 0];
  }
}

/**
 * `req.url` is the target as received (node: the request line's target).
 * Under a path base (the app mounted below a prefix, ASP.NET Core's
 * PathBase) the prefix is cut off, as ASP.NET Core cuts it off `Path`.
 */
function urlOf(ctx: HttpContext): string {
  const { rawTarget, pathBase } = ctx.request;
  if (pathBase === "") return rawTarget;
  const rest = `${encodeURI(ctx.request.path)}${ctx.request.queryString}`;
  return rest.startsWith("/") ? rest : `/${rest}`;
}

/** Builds the `IncomingMessage` of `exchange` on `socket`. */
export function createIncomingMessage(
  options: { IncomingMessage: IncomingMessageClass; joinDuplicateHeaders: boolean },
  ctx: HttpContext,
  socket: Duplex | StreamSocket,
  exchange: Exchange,
): IncomingMessage {
  const req = new options.IncomingMessage(socket as never) as IncomingMessage & RequestInternals;
  const request = ctx.request;
  const [version, major, minor] = versionOf(request.protocol);
  req.httpVersion = version;
  req.httpVersionMajor = major;
  req.httpVersionMinor = minor;
  req.method = request.method;
  req.url = urlOf(ctx);
  if (options.joinDuplicateHeaders) req.joinDuplicateHeaders = true;
  const raw: string[] = [];
  let hasHost = false;
  for (const [name, value] of request.headers) {
    if (name === "host") hasHost = true;
    if (typeof value === "string") raw.push(name, value);
    else for (const v of value) raw.push(name, v);
  }
  // HTTP/2 carries the host in :authority (RFC 9113 §8.3.1); node apps read `headers.host`.
  if (!hasHost && request.host !== "") raw.unshift("host", request.host);
  req._addHeaderLines(raw, raw.length);
  bindExchange(req, exchange);
  req._read = readBody;
  req._destroy = destroyRequest;
  return req;
}
