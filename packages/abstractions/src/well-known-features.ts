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

/** `IHttpUpgradeFeature`: opaque upgrades such as WebSockets. */
export interface HttpUpgrade {
  /** True for a request with `Connection: Upgrade` and an `Upgrade` header, on a protocol that supports it. */
  readonly isUpgradableRequest: boolean;
  /** Sends 101 and hands over the raw connection stream. */
  upgrade(): Promise<Duplex>;
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
