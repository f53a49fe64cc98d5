/**
 * The features servers and protocols expose, with the names ASP.NET Core
 * users know (`IServerAddressesFeature`, `IHttpMaxRequestBodySizeFeature`, ...).
 *
 * @module
 */
import type { Duplex } from "node:stream";
import type { ConnectionInfo } from "./http-context.js";
import type { HeaderMap } from "./header-map.js";
import type { MinDataRate } from "./limits.js";
import { featureKey } from "./features.js";

/** The addresses a server actually bound (`IServerAddressesFeature`). */
export interface ServerAddresses {
  /** Before start: the URLs to bind; after start: the URLs bound. */
  readonly addresses: string[];
  /** When true, URLs from hosting override endpoints configured in code. */
  preferHostingUrls: boolean;
}
/** Key of the {@link ServerAddresses} server feature. */
export const ServerAddressesFeature = featureKey<ServerAddresses>("ServerAddresses");

/** Connection addresses for a request (`IHttpConnectionFeature`). */
export const HttpConnectionFeature = featureKey<ConnectionInfo>("HttpConnection");

/** `IHttpRequestLifetimeFeature`. */
export interface HttpRequestLifetime {
  readonly requestAborted: AbortSignal;
  abort(): void;
}
/** Key of the {@link HttpRequestLifetime} request feature. */
export const HttpRequestLifetimeFeature = featureKey<HttpRequestLifetime>("HttpRequestLifetime");

/** `IHttpMaxRequestBodySizeFeature`: per-request override, read-only once the body is being read. */
export interface HttpMaxRequestBodySize {
  readonly isReadOnly: boolean;
  /** null = unlimited. Setting it once read-only throws. */
  maxRequestBodySize: number | null;
}
/** Key of the {@link HttpMaxRequestBodySize} request feature. */
export const HttpMaxRequestBodySizeFeature = featureKey<HttpMaxRequestBodySize>("HttpMaxRequestBodySize");

/** `IHttpMinRequestBodyDataRateFeature`. */
export interface HttpMinRequestBodyDataRate {
  minDataRate: MinDataRate | null;
}
/** Key of the {@link HttpMinRequestBodyDataRate} request feature. */
export const HttpMinRequestBodyDataRateFeature = featureKey<HttpMinRequestBodyDataRate>("HttpMinRequestBodyDataRate");

/** `IHttpMinResponseDataRateFeature` (absent on HTTP/2). */
export interface HttpMinResponseDataRate {
  minDataRate: MinDataRate | null;
}
/** Key of the {@link HttpMinResponseDataRate} request feature. */
export const HttpMinResponseDataRateFeature = featureKey<HttpMinResponseDataRate>("HttpMinResponseDataRate");

/** How {@link HttpUpgrade.upgrade} hands the connection over. */
export interface UpgradeOptions {
  /**
   * `true` (the default, as Kestrel): the server writes `101 Switching
   * Protocols` with the response's headers first. `false`: nothing is
   * written; the app gets the raw stream before any response and writes
   * the 101 (or a refusal) itself, as node:http's `'upgrade'` event does
   * (`ws`'s `handleUpgrade` works this way). The connection still takes a
   * slot of `maxConcurrentUpgradedConnections` and leaves HTTP for good.
   */
  writeResponse?: boolean;
}

/** `IHttpUpgradeFeature`: opaque upgrades such as WebSockets. */
export interface HttpUpgrade {
  /** True for a request with `Connection: Upgrade` and an `Upgrade` header, on a protocol that supports it. */
  readonly isUpgradableRequest: boolean;
  /** Sends 101 (unless `options.writeResponse` is false) and hands over the raw connection stream. */
  upgrade(options?: UpgradeOptions): Promise<Duplex>;
}
/** Key of the {@link HttpUpgrade} request feature. */
export const HttpUpgradeFeature = featureKey<HttpUpgrade>("HttpUpgrade");

/** `IHttpResponseTrailersFeature`. */
export interface HttpResponseTrailers {
  readonly trailers: HeaderMap;
}
/** Key of the {@link HttpResponseTrailers} request feature. */
export const HttpResponseTrailersFeature = featureKey<HttpResponseTrailers>("HttpResponseTrailers");

/** `IHttpRequestTrailersFeature`: readable once the body has been read. */
export interface HttpRequestTrailers {
  readonly available: boolean;
  readonly trailers: HeaderMap;
}
/** Key of the {@link HttpRequestTrailers} request feature. */
export const HttpRequestTrailersFeature = featureKey<HttpRequestTrailers>("HttpRequestTrailers");

/**
 * `IDecrementConcurrentConnectionCountFeature`: set by the server when it caps
 * connections; an upgraded (opaque) connection calls it to stop counting
 * toward maxConcurrentConnections, as Kestrel does.
 */
export interface DecrementConcurrentConnectionCount {
  releaseConnection(): void;
}
/** Key of the {@link DecrementConcurrentConnectionCount} connection feature. */
export const DecrementConcurrentConnectionCountFeature = featureKey<DecrementConcurrentConnectionCount>("DecrementConcurrentConnectionCount");

/** `IHttpRequestBodyDetectionFeature`. */
export interface HttpRequestBodyDetection {
  readonly canHaveBody: boolean;
}
/** Key of the {@link HttpRequestBodyDetection} request feature. */
export const HttpRequestBodyDetectionFeature = featureKey<HttpRequestBodyDetection>("HttpRequestBodyDetection");

/** `IHttpResetFeature`: resets an HTTP/2 stream with an error code (RFC 9113 §6.4). */
export interface HttpReset {
  reset(errorCode: number): void;
}
/** Key of the {@link HttpReset} request feature (HTTP/2 only). */
export const HttpResetFeature = featureKey<HttpReset>("HttpReset");

/**
 * Interim (1xx) responses before the final one (RFC 9110 §15.2): `100
 * Continue` on demand, `102 Processing`, `103 Early Hints` (RFC 8297).
 * Not a Kestrel interface; node:http's `writeContinue`/`writeEarlyHints`
 * need it.
 */
export interface HttpInformationalResponse {
  /**
   * Sends a 1xx response with `headers` at once. Throws once the final
   * response has started. HTTP/1.0 clients get nothing ("A server MUST NOT
   * send a 1xx response to an HTTP/1.0 client", RFC 9110 §15.2); a `100`
   * also stops the server from sending its own on the first body read.
   */
  sendInformational(statusCode: number, headers?: Iterable<readonly [string, string | readonly string[]]>): void;
}
/** Key of the {@link HttpInformationalResponse} request feature. */
export const HttpInformationalResponseFeature = featureKey<HttpInformationalResponse>("HttpInformationalResponse");

/**
 * `IConnectionTransportFeature` with `IConnectionLifetimeFeature`: the
 * connection's byte stream (the TLS stream once TLS middleware ran), when it
 * closes, and abort. A connection feature, so every request of the
 * connection sees it. Writing to the stream while a protocol handler owns it
 * corrupts the connection: it is for addresses, TLS details and socket
 * options (node:http compatibility's `req.socket`).
 */
export interface ConnectionTransport {
  /** The current byte stream (`ConnectionContext.transport`). */
  readonly transport: Duplex;
  /** The stream the transport accepted (a `net.Socket` for TCP and Unix sockets). */
  readonly rawTransport: Duplex;
  /** Resolves once the underlying stream has closed. */
  readonly closed: Promise<void>;
  /** Tears the connection down at once. */
  abort(reason?: Error): void;
}
/** Key of the {@link ConnectionTransport} connection feature; the server's connections always have it. */
export const ConnectionTransportFeature = featureKey<ConnectionTransport>("ConnectionTransport");

/**
 * A handler for requests the server rejects before any app sees them (a
 * malformed head, one too large, too slow): node:http's `'clientError'`. While
 * `active`, the HTTP/1.x layer writes nothing for such a request: it hands
 * the raw stream over, as on an upgrade, and the handler answers (or not)
 * and closes it. While not, the server answers itself (400, 408, 414, 431, 505).
 */
export interface ClientErrorHandler {
  /** Whether the handler takes rejected requests now (node: a 'clientError' listener exists). */
  readonly active: boolean;
  /** `error` says why (its `statusCode` is what the server would answer); `stream` is the connection's, past any TLS; `received` the bytes read so far. */
  onRejectedRequest(error: Error & { readonly statusCode: number; readonly reason: string }, stream: Duplex, received: Buffer): void;
}
/** Key of the {@link ClientErrorHandler} connection feature. */
export const ClientErrorFeature = featureKey<ClientErrorHandler>("ClientError");
