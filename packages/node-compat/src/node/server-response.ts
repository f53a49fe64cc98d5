/**
 * The response as a real `http.ServerResponse`. node's own `writeHead`,
 * `setHeader`, `getHeader(s)`, `appendHeader`, `removeHeader`, `hasHeader`,
 * `getHeaderNames` and `flushHeaders` run unchanged (they validate and keep
 * headers exactly as node:http does); what would put bytes on a socket is
 * replaced, with own properties that survive Express's prototype swap:
 *
 * - `_storeHeader` (called by node's `writeHead`, also for an implicit
 *   head) hands status, reason and headers to `ctx.response`; our protocol
 *   handler frames the message (Content-Length or chunked on HTTP/1.1,
 *   HEADERS/DATA on HTTP/2);
 * - `write`, `end` and `_send` follow node's `OutgoingMessage` step by step
 *   (argument forms, errors, callbacks, return values and `drain`) and
 *   write to `ctx.response`;
 * - `writeContinue`, `writeProcessing`, `writeEarlyHints` send 1xx
 *   responses through `HttpInformationalResponseFeature`; `addTrailers`
 *   sets response trailers; `destroy` aborts the request.
 *
 * @module
 */
import { HttpInformationalResponseFeature, type HeaderMap, reasonPhrase } from "@x/abstractions";
import { type IncomingMessage, type ServerResponse, validateHeaderName, validateHeaderValue } from "node:http";
import type { Duplex } from "node:stream";
import { bindExchange, type Exchange, exchangeOf } from "./exchange.js";
import { alreadyFinished, contentLengthMismatch, invalidArgValue, invalidChunk, nullValues, streamDestroyed, writeAfterEnd } from "./node-errors.js";
import { kNeedDrain, kOutHeaders, type OutHeaders } from "./node-internals.js";
import type { StreamSocket } from "./stream-socket.js";

/** A class usable as node's `createServer({ ServerResponse })`. */
export type ServerResponseClass = new (req: IncomingMessage) => ServerResponse;

/** The fields of node's `OutgoingMessage` the overrides keep as node keeps them. */
export interface ResponseInternals {
  _header: string | null;
  _headerSent: boolean;
  _hasBody: boolean;
  _contentLength: number | null;
  _removedContLen: boolean;
  _sent100: boolean;
  _closed: boolean;
  chunkedEncoding: boolean;
  finished: boolean;
  destroyed: boolean;
  shouldKeepAlive: boolean;
  strictContentLength: boolean;
  statusMessage: string;
  maxRequestsOnConnectionReached: boolean;
  _implicitHeader(): void;
  [kNeedDrain]: boolean;
}
type Res = ServerResponse & ResponseInternals;

function nop(): void {}

function byteLength(chunk: string | Uint8Array, encoding: BufferEncoding | null | undefined): number {
  return typeof chunk === "string" ? Buffer.byteLength(chunk, encoding ?? "utf8") : chunk.byteLength;
}

/** What `ctx.response` takes: utf8 strings as they are, other encodings as bytes. */
function toBody(chunk: string | Uint8Array, encoding: BufferEncoding | null | undefined): string | Uint8Array {
  if (typeof chunk !== "string") return chunk;
  return encoding === undefined || encoding === null || encoding === "utf8" || encoding === "utf-8" ? chunk : Buffer.from(chunk, encoding);
}

function checkChunk(chunk: unknown): asserts chunk is string | Uint8Array {
  if (chunk === null) throw nullValues();
  if (typeof chunk !== "string" && !(chunk instanceof Uint8Array)) throw invalidChunk(chunk);
}

/** node's `onError`: callback and 'error' on the next tick, unless destroyed. */
function onError(res: Res, error: Error, callback: (error?: Error | null) => void): void {
  if (res.destroyed) return;
  process.nextTick(() => {
    callback(error);
    if (!res.destroyed) res.emit("error", error);
  });
}

function appendHeader(headers: HeaderMap, lowerName: string, value: unknown): void {
  if (Array.isArray(value)) for (const v of value) headers.appendTrusted(lowerName, String(v));
  else headers.appendTrusted(lowerName, String(value));
}

/** `_storeHeader(statusLine, headers)`: node's `writeHead` calls it once the status and headers are final. */
function storeHeader(this: Res, firstLine: string, headers: unknown): void {
  const exchange = exchangeOf(this);
  const response = exchange.ctx.response;
  this._header = `${firstLine}\r\n`;
  this._headerSent = false;
  // Our protocol handler frames the body; node's chunked framing must stay off.
  this.chunkedEncoding = false;
  if (exchange.handedOff || exchange.aborted || response.hasStarted) return;
  response.statusCode = this.statusCode;
  const message = this.statusMessage;
  // node's status line carries statusMessage, by default node's STATUS_CODES
  // phrase (418 "I'm a Teapot", 413 "Payload Too Large"); ours only where it
  // differs from what our protocol layer would write.
  if (message !== undefined && message !== reasonPhrase(this.statusCode)) response.reasonPhrase = message;
  const map = response.headers;
  if (headers !== null && headers !== undefined && headers === (this as unknown as Record<symbol, OutHeaders>)[kOutHeaders]) {
    const entries = headers as Record<string, [string, unknown]>;
    for (const key in entries) appendHeader(map, key, entries[key]![1]);
  } else if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0])) {
      for (const [name, value] of headers as [string, unknown][]) addValidated(map, name, value);
    } else {
      if (headers.length % 2 !== 0) throw invalidArgValue("headers", headers);
      for (let i = 0; i < headers.length; i += 2) addValidated(map, headers[i] as string, headers[i + 1]);
    }
  } else if (headers !== null && typeof headers === "object") {
    for (const name of Object.keys(headers)) addValidated(map, name, (headers as Record<string, unknown>)[name]);
  }
  if (!this.shouldKeepAlive && exchange.keepAliveByDefault) map.set("connection", "close");
  else if (this.maxRequestsOnConnectionReached) map.set("connection", "close");
}

function addValidated(map: HeaderMap, name: string, value: unknown): void {
  validateHeaderName(name);
  validateHeaderValue(name, value as string);
  appendHeader(map, name.toLowerCase(), value);
}

/** node's `write_`, writing to `ctx.response`. */
function writeChunk(res: Res, chunk: unknown, encoding: BufferEncoding | null | undefined, callback: ((error?: Error | null) => void) | undefined, fromEnd: boolean): boolean {
  const cb = typeof callback === "function" ? callback : nop;
  checkChunk(chunk);
  const error = res.finished ? writeAfterEnd() : res.destroyed ? streamDestroyed("write") : null;
  if (error !== null) {
    if (!res.destroyed) onError(res, error, cb);
    else process.nextTick(cb, error);
    return false;
  }
  if (!res._header) {
    if (fromEnd) res._contentLength = byteLength(chunk, encoding);
    res._implicitHeader();
  }
  const exchange = exchangeOf(res);
  // 1xx, 204 and 304 have no body (node: `_hasBody` false): writes are dropped. HEAD goes on, so
  // the protocol handler can still send the Content-Length a GET would get (RFC 9110 §9.3.2).
  if (!res._hasBody && exchange.req.method !== "HEAD") {
    process.nextTick(cb);
    return true;
  }
  if (fromEnd) return true;
  return exchange.writer.write(toBody(chunk, encoding), cb);
}

/** `res.write(chunk[, encoding][, callback])`. */
function write(this: Res, chunk: unknown, encoding?: BufferEncoding | ((error?: Error | null) => void), callback?: (error?: Error | null) => void): boolean {
  if (typeof encoding === "function") {
    callback = encoding;
    encoding = undefined;
  }
  const ret = writeChunk(this, chunk, encoding, callback, false);
  if (!ret) this[kNeedDrain] = true;
  return ret;
}

/** `res.end([chunk][, encoding][, callback])`. */
function end(this: Res, chunk?: unknown, encoding?: BufferEncoding | (() => void), callback?: () => void): Res {
  if (typeof chunk === "function") {
    callback = chunk as () => void;
    chunk = undefined;
    encoding = undefined;
  } else if (typeof encoding === "function") {
    callback = encoding;
    encoding = undefined;
  }
  let last: string | Uint8Array | undefined;
  if (chunk) {
    if (this.finished) {
      onError(this, writeAfterEnd(), typeof callback === "function" ? callback : nop);
      return this;
    }
    writeChunk(this, chunk, encoding, undefined, true);
    if (this._hasBody || exchangeOf(this).req.method === "HEAD") last = toBody(chunk as string | Uint8Array, encoding);
  } else if (this.finished) {
    if (typeof callback === "function") {
      if (!this.writableFinished) this.on("finish", callback);
      else (callback as (error: Error) => void).call(this, alreadyFinished("end"));
    }
    return this;
  } else if (!this._header) {
    this._contentLength = 0;
    this._implicitHeader();
  }
  if (typeof callback === "function") this.once("finish", callback);
  const exchange = exchangeOf(this);
  if (this.strictContentLength && this._contentLength !== null && this._hasBody && !this._removedContLen && !this.hasHeader("transfer-encoding")) {
    const written = exchange.writer.bytesWritten + (last === undefined ? 0 : byteLength(last, undefined));
    if (written !== this._contentLength) throw contentLengthMismatch(written, this._contentLength);
  }
  this.finished = true;
  this.emit("prefinish");
  exchange.writer.end(last);
  return this;
}

/** `_send(data, encoding, callback)`: node's `flushHeaders` sends `''` to push the head out. */
function send(this: Res, data: string | Uint8Array, encoding?: BufferEncoding | null, callback?: (error?: Error | null) => void): boolean {
  this._headerSent = true;
  const exchange = exchangeOf(this);
  if (data.length === 0) {
    exchange.writer.start();
    if (typeof callback === "function") process.nextTick(callback);
    return true;
  }
  return exchange.writer.write(toBody(data, encoding), typeof callback === "function" ? callback : nop);
}

function sendInformational(res: Res, status: number, headers?: [string, string | string[]][]): void {
  const exchange = exchangeOf(res);
  if (exchange.handedOff || exchange.aborted) return;
  exchange.ctx.features.get(HttpInformationalResponseFeature)?.sendInformational(status, headers);
}

/** `res.writeContinue([callback])`: `100 Continue` now (our server otherwise sends it on the first body read). */
function writeContinue(this: Res, callback?: () => void): void {
  sendInformational(this, 100);
  this._sent100 = true;
  if (typeof callback === "function") process.nextTick(callback);
}

/** `res.writeProcessing([callback])`: `102 Processing`. */
function writeProcessing(this: Res, callback?: () => void): void {
  sendInformational(this, 102);
  if (typeof callback === "function") process.nextTick(callback);
}

// node's validateLinkHeaderValue: `<uri-reference>` then `; param[=value]` pairs (RFC 8288 §3).
const LINK = /^<[^>]*>(?:\s*;\s*[^;"\s]+(?:=(")?[^;"\s]*\1)?)*$/;

/** `res.writeEarlyHints(hints[, callback])`: `103 Early Hints` (RFC 8297) with `Link` and the other hints. */
function writeEarlyHints(this: Res, hints: Record<string, string | string[]>, callback?: () => void): void {
  if (hints === null || typeof hints !== "object") throw invalidArgValue("hints", hints, "must be an object");
  const link = hints.link;
  if (link === null || link === undefined) return;
  const links = Array.isArray(link) ? link : [link];
  for (const l of links) {
    if (typeof l !== "string" || !LINK.test(l.trim())) throw invalidArgValue("hints.link", link, "must be an array or string of format \"</styles.css>; rel=preload; as=style\"");
  }
  if (links.length === 0) return;
  const headers: [string, string | string[]][] = [["link", links.join(", ")]];
  for (const key of Object.keys(hints)) if (key !== "link") headers.push([key, hints[key]!]);
  sendInformational(this, 103, headers);
  if (typeof callback === "function") process.nextTick(callback);
}

/** `res.addTrailers(headers)`: trailer fields after the body (chunked HTTP/1.1, HTTP/2); ignored where they cannot be sent, as node ignores them without chunked framing. */
function addTrailers(this: Res, headers: Record<string, string | string[]> | [string, string][]): void {
  const isArray = Array.isArray(headers);
  const entries: [string, unknown][] = isArray ? (headers as [string, string][]) : Object.entries(headers);
  const exchange = exchangeOf(this);
  const response = exchange.ctx.response;
  for (const [field, value] of entries) {
    (validateHeaderName as (name: string, label?: string) => void)(field, "Trailer name");
    validateHeaderValue(field, value as string);
    if (exchange.handedOff || !response.supportsTrailers) continue;
    if (Array.isArray(value)) for (const v of value) response.appendTrailer(field, String(v));
    else response.appendTrailer(field, String(value));
  }
}

/** `res.destroy([error])`: aborts the request, as node destroys the socket. */
// node passes `error` on to `socket.destroy(error)`; ours aborts the request, which has no error to carry.
function destroy(this: Res, _error?: Error): Res {
  if (this.destroyed) return this;
  this.destroyed = true;
  const exchange = exchangeOf(this);
  if (!exchange.responseEnded && !exchange.aborted && !exchange.handedOff) exchange.ctx.abort();
  return this;
}

/** Builds the `ServerResponse` of `exchange` for `req`. */
export function createServerResponse(options: { ServerResponse: ServerResponseClass }, req: IncomingMessage, socket: Duplex | StreamSocket, exchange: Exchange): ServerResponse {
  const res = new options.ServerResponse(req) as Res;
  (res as { socket: unknown }).socket = socket;
  bindExchange(res, exchange);
  // Own properties, in one order (one hidden class); plain functions shared by every response.
  const own = res as unknown as Record<string, unknown>;
  own._storeHeader = storeHeader;
  own._send = send;
  own.write = write;
  own.end = end;
  own.writeContinue = writeContinue;
  own.writeProcessing = writeProcessing;
  own.writeEarlyHints = writeEarlyHints;
  own.addTrailers = addTrailers;
  own.destroy = destroy;
  return res;
}
