/**
 * One HTTP/2 request stream (RFC 9113 §5.1, §8.1) as the application sees it:
 * the `HttpContext`, its request (headers from HEADERS, body from DATA with
 * the window replenished as the app reads), its response, and Kestrel's
 * HTTP/2 features. Frames and flow control stay in the connection.
 *
 * @module
 */
import {
  BadHttpRequestError,
  ConnectionAbortedError,
  FeatureCollection,
  emptyHeaderMap,
  type HeaderMap,
  HttpConnectionFeature,
  HttpMaxRequestBodySizeFeature,
  HttpMinRequestBodyDataRateFeature,
  HttpRequestBodyDetectionFeature,
  HttpRequestLifetimeFeature,
  HttpRequestTrailersFeature,
  HttpResetFeature,
  HttpInformationalResponseFeature,
  HttpResponseTrailersFeature,
  NotSupportedError,
  UserError,
  type ConnectionInfo,
  type HttpContext,
  type HttpRequest,
  type MinDataRate,
  type RequestBody,
} from "@x/abstractions";
import { type BodyOwner, emptyBody, Http1RequestBody, normalizePath } from "@x/http1";
import type { HeaderField } from "./hpack.js";
import type { RequestHead } from "./request-headers.js";
import { Http2Response, type ResponseOwner } from "./response.js";

/** What a stream needs from its connection. */
export interface StreamOwner {
  readonly connectionInfo: ConnectionInfo;
  readonly connectionFeatures: FeatureCollection;
  readonly dateHeader: string;
  readonly addServerHeader: boolean;
  readonly scheme: string;
  sendHeaders(stream: Http2Stream, fields: HeaderField[], endStream: boolean): void;
  sendData(stream: Http2Stream, chunk: Buffer, endStream: boolean): Promise<void>;
  sendTrailers(stream: Http2Stream, fields: HeaderField[]): void;
  resetStream(stream: Http2Stream, errorCode: number): void;
  /** The app read `bytes` of the body: the windows may be replenished. */
  onBodyConsumed(stream: Http2Stream, bytes: number): void;
}

/** Shared by every request without trailers: read-only, so one app's write cannot reach another request. */
const EMPTY_TRAILERS = emptyHeaderMap();

/** The 413 a body over maxRequestBodySize fails with, as on HTTP/1.1 (Kestrel's RequestBodyTooLarge). */
function bodyTooLarge(message: string): BadHttpRequestError {
  return new BadHttpRequestError(message, 413, "RequestBodyTooLarge");
}

class Http2Request implements HttpRequest {
  readonly protocol = "HTTP/2";
  scheme: string;
  host: string;
  pathBase = "";
  path: string;
  queryString: string;
  readonly method: string;
  readonly rawTarget: string;
  readonly headers: HeaderMap;
  readonly contentLength: number | null;
  body: RequestBody;

  constructor(head: RequestHead, scheme: string, body: RequestBody) {
    this.method = head.method;
    this.scheme = scheme;
    this.host = head.authority;
    this.rawTarget = head.path;
    const q = head.path.indexOf("?");
    const rawPath = q === -1 ? head.path : head.path.slice(0, q);
    // HPACK strings arrive as latin1 (one char per byte), the form the path decoder expects.
    this.path = rawPath === "*" ? "*" : normalizePath(rawPath);
    this.queryString = q === -1 ? "" : head.path.slice(q);
    this.headers = head.headers;
    this.contentLength = head.contentLength;
    this.body = body;
  }
}

/** One HTTP/2 stream (RFC 9113 §5.1): the request, its response and its features, as the app's `HttpContext`. */
export class Http2Stream implements HttpContext, BodyOwner, ResponseOwner {
  /** The stream identifier. */
  readonly id: number;
  /** The request, from the HEADERS block. */
  readonly request: Http2Request;
  /** The response, written as HEADERS and DATA frames. */
  readonly response: Http2Response;
  readonly #owner: StreamOwner;
  readonly #body: Http1RequestBody | null;
  #features: FeatureCollection | undefined;
  /** Set when middleware rewrites the addresses for this request (forwarded headers). */
  #connectionOverride: ConnectionInfo | undefined;
  #items: Map<unknown, unknown> | undefined;
  #abortController: AbortController | undefined;
  #aborted = false;
  #maxRequestBodySize: number | null;
  #bodyRejected = false;
  #bodyReadStarted = false;
  #receivedBodyBytes = 0;
  #trailers: HeaderMap | null = null;
  /** The client sent END_STREAM (or reset): no more frames will arrive for this request. */
  clientDone = false;
  /** The application's request delegate has returned (or thrown). */
  appDone = false;
  /** When the request's headers were complete, for the access log; -1 while the log is off. */
  accessLogStartedAt = -1;
  /** The server sent END_STREAM or RST_STREAM. */
  serverDone = false;
  /** The client reset the stream (RST_STREAM received): any later frame of its on it is an error (RFC 9113 §5.1). */
  resetByPeer = false;
  /** Flow-control window for our DATA frames on this stream (§6.9). */
  sendWindow: number;
  /** Bytes the client may still send on this stream before we replenish. */
  receiveWindow: number;
  /** Bytes the app has read but we have not yet returned with WINDOW_UPDATE. */
  unackedConsumed = 0;

  /** Created by the connection when a request's HEADERS arrive; `endStream` when it has no body. */
  constructor(owner: StreamOwner, id: number, head: RequestHead, endStream: boolean, windows: { send: number; receive: number }, maxRequestBodySize: number | null) {
    this.#owner = owner;
    this.id = id;
    this.sendWindow = windows.send;
    this.receiveWindow = windows.receive;
    this.#maxRequestBodySize = maxRequestBodySize;
    this.#body = endStream ? null : new Http1RequestBody(this);
    this.clientDone = endStream;
    this.request = new Http2Request(head, owner.scheme, this.#body ?? emptyBody);
    this.response = new Http2Response(this);
  }

  // ---- HttpContext ----------------------------------------------------------------

  /** The connection's id and addresses. */
  get connection(): ConnectionInfo {
    return this.#connectionOverride ?? this.#owner.connectionInfo;
  }

  set connection(value: ConnectionInfo) {
    this.#connectionOverride = value;
    this.#features?.set(HttpConnectionFeature, value);
  }

  /** The request's features, over the connection's. */
  get features(): FeatureCollection {
    if (this.#features === undefined) {
      const f = new FeatureCollection(this.#owner.connectionFeatures);
      f.set(HttpConnectionFeature, this.connection);
      f.set(HttpRequestLifetimeFeature, this);
      f.set(HttpMaxRequestBodySizeFeature, this);
      f.set(HttpRequestBodyDetectionFeature, this);
      f.set(HttpRequestTrailersFeature, this);
      f.set(HttpResponseTrailersFeature, this.response);
      f.set(HttpResetFeature, this);
      f.set(HttpInformationalResponseFeature, this.response);
      // Kestrel: on HTTP/2 the request rate is per connection; the feature accepts only null.
      f.set(HttpMinRequestBodyDataRateFeature, new NullOnlyDataRate());
      // The response rate feature is absent on HTTP/2, as in Kestrel.
      this.#features = f;
    }
    return this.#features;
  }

  /** Per-request state for middleware. */
  get items(): Map<unknown, unknown> {
    return (this.#items ??= new Map());
  }

  /** `{connection id}:{stream id in hex}`, as Kestrel forms it. */
  get traceIdentifier(): string {
    return `${this.#owner.connectionInfo.id}:${this.id.toString(16).toUpperCase().padStart(8, "0")}`;
  }

  /** Aborted when the stream is reset or the connection closes. */
  get requestAborted(): AbortSignal {
    if (this.#abortController === undefined) {
      this.#abortController = new AbortController();
      if (this.#aborted) this.#abortController.abort(new ConnectionAbortedError("The stream was reset"));
    }
    return this.#abortController.signal;
  }

  /** Kestrel: aborting an HTTP/2 request resets its stream with INTERNAL_ERROR. */
  abort(): void {
    this.reset(0x2);
  }

  /** `IHttpResetFeature.Reset`: RST_STREAM with `errorCode` (RFC 9113 §6.4). */
  reset(errorCode: number): void {
    if (!Number.isInteger(errorCode) || errorCode < 0 || errorCode > 0xffffffff) throw new UserError(`Invalid error code ${errorCode}`, "ERR_X_HTTP2_INVALID_ERROR_CODE");
    if (this.serverDone) return;
    this.#owner.resetStream(this, errorCode);
  }

  /** The stream ended abnormally (client reset, connection lost): the app's reads and writes fail. */
  markAborted(reason: Error = new ConnectionAbortedError("The stream was reset")): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#body?.fail(reason);
    this.#abortController?.abort(reason);
  }

  /** Whether the stream has been reset or its connection closed. */
  get isAborted(): boolean {
    return this.#aborted;
  }

  // ---- request body (from the connection) --------------------------------------------

  /** Bytes of body received so far, for content-length checks (§8.1.1). */
  get receivedBodyBytes(): number {
    return this.#receivedBodyBytes;
  }

  /** Whether the app is waiting on a body read (the time the minimum request rate counts). */
  get isReadPending(): boolean {
    return this.#body?.isReadPending ?? false;
  }

  /** Queued body bytes the app has not read yet. */
  get queuedBodyBytes(): number {
    return this.#body?.queuedBytes ?? 0;
  }

  /**
   * DATA payload for the app. @returns false when the body exceeds
   * maxRequestBodySize: as in Kestrel, the app's read then fails with a 413
   * `BadHttpRequestError` (the app answers it, or the server answers 413),
   * and the rest of the body is discarded.
   */
  pushBody(data: Buffer): boolean {
    this.#receivedBodyBytes += data.length;
    if (this.#bodyRejected) return false;
    const max = this.#maxRequestBodySize;
    if (max !== null && this.#receivedBodyBytes > max) {
      this.#bodyRejected = true;
      this.#body?.fail(bodyTooLarge(`Request body too large: more than the limit of ${max} bytes`));
      return false;
    }
    if (data.length > 0) this.#body?.push(Buffer.from(data));
    return true;
  }

  /** The client ended the stream: the body is complete, with optional trailers. */
  endBody(trailers: HeaderMap | null): void {
    this.#trailers = trailers;
    this.clientDone = true;
    this.#body?.end();
  }

  // BodyOwner
  /** First body read: checks Content-Length against the size limit; may throw. */
  onBodyReadStart(): void {
    this.#bodyReadStarted = true;
    const max = this.#maxRequestBodySize;
    const length = this.request.contentLength;
    if (max !== null && length !== null && length > max) {
      throw bodyTooLarge(`Request body too large: Content-Length ${length} exceeds the limit of ${max} bytes`);
    }
  }

  /** The app read `bytes` of the body: the connection may replenish the windows. */
  onBodyConsumed(bytes: number): void {
    this.#owner.onBodyConsumed(this, bytes);
  }

  // ---- features ----------------------------------------------------------------------

  /** `HttpMaxRequestBodySize`: read-only once the body is being read. */
  get isReadOnly(): boolean {
    return this.#bodyReadStarted;
  }

  /** `HttpMaxRequestBodySize`: the body size limit in bytes, or null for none. */
  get maxRequestBodySize(): number | null {
    return this.#maxRequestBodySize;
  }

  set maxRequestBodySize(value: number | null) {
    if (this.isReadOnly) {
      throw new UserError("The maximum request body size cannot be modified after the app has already started reading the request body.", "ERR_X_HTTP_BODY_SIZE_READ_ONLY");
    }
    if (value !== null && (!Number.isSafeInteger(value) || value < 0)) throw new UserError(`Invalid max request body size ${value}`, "ERR_X_HTTP_INVALID_LIMIT");
    this.#maxRequestBodySize = value;
  }

  /** `HttpRequestBodyDetection`: whether the request can have a body. */
  get canHaveBody(): boolean {
    return this.#body !== null;
  }

  /** `HttpRequestTrailers`: whether the trailers can be read (the body has ended). */
  get available(): boolean {
    return this.clientDone && this.#body?.isEnded !== false;
  }

  /** `HttpRequestTrailers`: the request trailers. Throws until they are available. */
  get trailers(): HeaderMap {
    if (!this.available) throw new UserError("The request trailers are not available yet; read the whole body first", "ERR_X_HTTP_TRAILERS_NOT_AVAILABLE");
    return this.#trailers ?? EMPTY_TRAILERS;
  }

  // ---- ResponseOwner -----------------------------------------------------------------

  /** Whether the request is a HEAD request. */
  get isHeadRequest(): boolean {
    return this.request.method === "HEAD";
  }

  /** The current `Date` header value. */
  get dateHeader(): string {
    return this.#owner.dateHeader;
  }

  /** Whether the response carries a `Server` header. */
  get addServerHeader(): boolean {
    return this.#owner.addServerHeader;
  }

  /** Sends the response's HEADERS through the connection. */
  sendHeaders(fields: HeaderField[], endStream: boolean): void {
    if (this.#aborted || this.serverDone) return;
    this.#owner.sendHeaders(this, fields, endStream);
  }

  /** Sends response DATA through the connection; rejects once the stream is reset. */
  sendData(chunk: Buffer, endStream: boolean): Promise<void> {
    if (this.#aborted || this.serverDone) return Promise.reject(new ConnectionAbortedError("The stream was reset"));
    return this.#owner.sendData(this, chunk, endStream);
  }

  /** Sends the response trailers through the connection. */
  sendTrailers(fields: HeaderField[]): void {
    if (this.#aborted || this.serverDone) return;
    this.#owner.sendTrailers(this, fields);
  }
}

/**
 * `IHttpMinRequestBodyDataRateFeature` on HTTP/2, as Kestrel documents it:
 * setting null turns the read rate limit off for the request; reading the
 * value, or setting anything else, throws NotSupportedException (the rate
 * is the connection's on HTTP/2).
 */
class NullOnlyDataRate {
  get minDataRate(): MinDataRate | null {
    throw new NotSupportedError("HTTP/2 applies the minimum request body data rate to the connection; the per-request value cannot be read (only set to null)");
  }

  set minDataRate(value: MinDataRate | null) {
    if (value !== null) {
      throw new NotSupportedError("HTTP/2 applies the minimum request body data rate to the connection; the per-request value can only be null");
    }
  }
}
