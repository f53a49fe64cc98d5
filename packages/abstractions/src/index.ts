/**
 * `@x/abstractions`: the contracts shared by every `@x` package. No runtime dependencies.
 *
 * @module
 */
export { ApplicationBuilder, SERVER_FEATURES_KEY } from "./application-builder.js";
export type { Middleware } from "./application-builder.js";
export { ManualClock, systemClock } from "./clock.js";
export type { Clock } from "./clock.js";
export { ConnectionContext, composeConnectionMiddleware, connectionInfoOf } from "./connection-context.js";
export type { ConnectionContextInit, ConnectionDelegate, ConnectionMiddleware, EndPointSource } from "./connection-context.js";
export { formatEndPoint, ipEndPoint, unixEndPoint } from "./endpoints.js";
export type { EndPoint, IPEndPoint, UnixEndPoint } from "./endpoints.js";
export {
  BadHttpRequestError,
  ConnectionAbortedError,
  createErrorClass,
  InvalidHeaderError,
  isXError,
  NotSupportedError,
  OptionsValidationError,
  ResponseStartedError,
  UserError,
  XError,
} from "./errors.js";
export type { XErrorClass } from "./errors.js";
export { FeatureCollection, featureKey } from "./features.js";
export type { FeatureKey } from "./features.js";
export { emptyHeaderMap, HeaderMap, isToken } from "./header-map.js";
export type { HeaderValue } from "./header-map.js";
export type {
  ConnectionInfo,
  HttpContext,
  HttpRequest,
  HttpResponse,
  RequestBody,
  RequestDelegate,
  ResponseCallback,
} from "./http-context.js";
export { freezeLimits, Http2Limits, minDataRate, ServerLimits } from "./limits.js";
export type { MinDataRate, ReadonlyServerLimits } from "./limits.js";
export { nullLogger, nullLoggerFactory } from "./logger.js";
export type { LogFn, Logger, LoggerFactory, LogLevel } from "./logger.js";
export { AccessLog } from "./access-log.js";
export type { AccessLogEntry, AccessLogSink } from "./access-log.js";
export { createResourceCounter, unlimitedCounter } from "./service-context.js";
export { createServiceContext } from "./create-service-context.js";
export type { OwnedServiceContext, ServiceContextOptions } from "./create-service-context.js";
export { DateHeaderValue, deadlineAfter, elapsedSince, HEARTBEAT_INTERVAL_MS, HeartbeatTimer } from "./heartbeat-timer.js";
export type { DateHeaderSource, Heartbeat, HeartbeatHandler, ResourceCounter, ServiceContext } from "./service-context.js";
export { reasonPhrase } from "./status-codes.js";
export {
  ClientErrorFeature,
  ConnectionTransportFeature,
  DecrementConcurrentConnectionCountFeature,
  HttpConnectionFeature,
  HttpInformationalResponseFeature,
  HttpMaxRequestBodySizeFeature,
  HttpMinRequestBodyDataRateFeature,
  HttpMinResponseDataRateFeature,
  HttpRequestBodyDetectionFeature,
  HttpRequestLifetimeFeature,
  HttpRequestTrailersFeature,
  HttpResetFeature,
  HttpResponseTrailersFeature,
  HttpUpgradeFeature,
  ServerAddressesFeature,
} from "./well-known-features.js";
export type {
  ClientErrorHandler,
  ConnectionTransport,
  DecrementConcurrentConnectionCount,
  HttpInformationalResponse,
  HttpMaxRequestBodySize,
  HttpMinRequestBodyDataRate,
  HttpMinResponseDataRate,
  HttpRequestBodyDetection,
  HttpRequestLifetime,
  HttpRequestTrailers,
  HttpReset,
  HttpResponseTrailers,
  HttpUpgrade,
  ServerAddresses,
  UpgradeOptions,
} from "./well-known-features.js";
export { runCompletedCallbacks } from "./response-callbacks.js";
