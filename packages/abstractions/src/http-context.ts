/**
 * The request and response the application sees, whatever the protocol.
 *
 * @module
 */
import type { FeatureCollection } from "./features.js";
import type { HeaderMap } from "./header-map.js";

/** The request body: an async iterable of chunks with helpers to read it whole. */
export interface RequestBody extends AsyncIterable<Buffer> {
  /** The next chunk, or `null` at the end of the body. */
  read(): Promise<Buffer | null>;
  /** The whole body (subject to the max request body size). */
  buffer(): Promise<Buffer>;
  /** The whole body decoded as UTF-8. */
  text(): Promise<string>;
  /** The whole body parsed as JSON. */
  json<T = unknown>(): Promise<T>;
  /** True once the end of the body has been read. */
  readonly isCompleted: boolean;
}

/** The request side of an {@link HttpContext}. */
export interface HttpRequest {
  readonly method: string;
  /** `http` or `https`. Forwarded-headers middleware may rewrite it. */
  scheme: string;
  /** `HTTP/1.0`, `HTTP/1.1` or `HTTP/2`. */
  readonly protocol: string;
  /** The Host header (HTTP/1.1) or `:authority` (HTTP/2); may be rewritten by middleware. */
  host: string;
  /** The part of the path the app is mounted at (empty by default). */
  pathBase: string;
  /** The percent-decoded path, starting with `/` (`%2F` is kept encoded, as Kestrel does). */
  path: string;
  /** The query including its leading `?`, or empty. */
  queryString: string;
  /** The request target exactly as received. */
  readonly rawTarget: string;
  readonly headers: HeaderMap;
  /** Content-Length when the request announced one. */
  readonly contentLength: number | null;
  readonly body: RequestBody;
}

/** A callback run when the response starts or completes; may be async. */
export type ResponseCallback = () => void | Promise<void>;

/** The response side of an {@link HttpContext}. */
export interface HttpResponse {
  /** Defaults to 200. Throws once the response has started. */
  statusCode: number;
  /** Overrides the reason phrase of HTTP/1.x status lines. */
  reasonPhrase: string | undefined;
  readonly headers: HeaderMap;
  /** True once the status line and headers have been sent (or committed). */
  readonly hasStarted: boolean;
  /** Content-Length as a number, backed by the header. */
  contentLength: number | null;
  /** Content-Type, backed by the header. */
  contentType: string | undefined;
  /**
   * Writes a body chunk. The promise resolves once the chunk is buffered
   * below maxResponseBufferSize, so awaiting it applies backpressure.
   */
  write(chunk: string | Uint8Array): Promise<void>;
  /** Writes an optional last chunk and completes the response. */
  end(chunk?: string | Uint8Array): Promise<void>;
  /** Sends the headers now. */
  start(): Promise<void>;
  /** Whether trailers can be sent on this response (HTTP/1.1 chunked, HTTP/2). */
  readonly supportsTrailers: boolean;
  /** Adds a name to the `Trailer` response header; must precede the start of the response. */
  declareTrailer(name: string): void;
  /** Adds a trailer field, sent after the body. Throws when `supportsTrailers` is false. */
  appendTrailer(name: string, value: string): void;
  /** Runs just before the headers are sent, last registered first. */
  onStarting(callback: ResponseCallback): void;
  /** Runs after the response has been sent. */
  onCompleted(callback: ResponseCallback): void;
}

/** Addresses of the connection a request arrived on. */
export interface ConnectionInfo {
  readonly id: string;
  readonly remoteAddress: string | null;
  readonly remotePort: number;
  readonly localAddress: string | null;
  readonly localPort: number;
}

/** One HTTP request and its response, as the app sees it (ASP.NET Core's `HttpContext`). */
export interface HttpContext {
  readonly request: HttpRequest;
  readonly response: HttpResponse;
  readonly features: FeatureCollection;
  /**
   * The connection's addresses as this request sees them. Forwarded-headers
   * middleware replaces it for the one request (the client's address behind a
   * proxy); other requests on the connection keep the real peer.
   */
  connection: ConnectionInfo;
  /** Fires when the client disconnects or the request is aborted. */
  readonly requestAborted: AbortSignal;
  /** Aborts the request: HTTP/1.1 closes the connection, HTTP/2 resets the stream. */
  abort(): void;
  /** Per-request state for middleware. */
  readonly items: Map<unknown, unknown>;
  /** `{connectionId}:{requestNumber}`, as Kestrel's TraceIdentifier. */
  readonly traceIdentifier: string;
}

/** The application: handles one request. */
export type RequestDelegate = (context: HttpContext) => Promise<void> | void;
