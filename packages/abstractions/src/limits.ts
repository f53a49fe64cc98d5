/**
 * Server limits: Kestrel's `KestrelServerLimits` as one options object.
 * Every default below is Kestrel's documented default. Durations are in
 * milliseconds. The server validates and freezes a snapshot at startup.
 *
 * @module
 */
import { OptionsValidationError } from "./errors.js";

/** A minimum data rate: below `bytesPerSecond` after `gracePeriod` ms the request or response is cut off. */
export interface MinDataRate {
  readonly bytesPerSecond: number;
  readonly gracePeriod: number;
}

/** A minimum data rate: `bytesPerSecond` (>= 0) after a `gracePeriod` in milliseconds (> 1000). Throws `OptionsValidationError` otherwise. */
export function minDataRate(bytesPerSecond: number, gracePeriod: number): MinDataRate {
  if (!(bytesPerSecond >= 0)) throw new OptionsValidationError("bytesPerSecond must be >= 0", "BytesPerSecond");
  // Kestrel: the grace period must be longer than the heartbeat interval (1 s).
  if (!(gracePeriod > 1000)) throw new OptionsValidationError("gracePeriod must be greater than 1 second", "GracePeriod");
  return Object.freeze({ bytesPerSecond, gracePeriod });
}

/** HTTP/2 limits (Kestrel's `Http2Limits`); the defaults are Kestrel's. */
export class Http2Limits {
  /** Kestrel: 100. Streams beyond it are refused. */
  maxStreamsPerConnection = 100;
  /** Kestrel: 4096. HPACK decoder table size. */
  headerTableSize = 4096;
  /** Kestrel: 2^14. */
  maxFrameSize = 16_384;
  /** Kestrel: 32 KiB (compressed and decompressed). */
  maxRequestHeaderFieldSize = 32_768;
  /** Kestrel: 1 MiB. */
  initialConnectionWindowSize = 1_048_576;
  /** Kestrel: 768 KiB. */
  initialStreamWindowSize = 786_432;
  /** Kestrel: off (`null`). */
  keepAlivePingDelay: number | null = null;
  /** Kestrel: 20 s. */
  keepAlivePingTimeout = 20_000;
}

/** Server-wide limits (Kestrel's `KestrelServerLimits`); the defaults are Kestrel's, times in milliseconds. */
export class ServerLimits {
  /** Kestrel: null (unlimited). */
  maxConcurrentConnections: number | null = null;
  /** Kestrel: null (unlimited). */
  maxConcurrentUpgradedConnections: number | null = null;
  /** Kestrel: 30,000,000 bytes; null = unlimited. */
  maxRequestBodySize: number | null = 30_000_000;
  /** Kestrel: 1 MiB; null = unlimited. */
  maxRequestBufferSize: number | null = 1_048_576;
  /** Kestrel: 100. */
  maxRequestHeaderCount = 100;
  /** Kestrel: 32 KiB. */
  maxRequestHeadersTotalSize = 32_768;
  /** Kestrel: 8 KiB. */
  maxRequestLineSize = 8_192;
  /** Kestrel: 64 KiB; null = unlimited. */
  maxResponseBufferSize: number | null = 65_536;
  /** Kestrel: 130 s. */
  keepAliveTimeout = 130_000;
  /** Kestrel: 30 s. */
  requestHeadersTimeout = 30_000;
  /** Kestrel: 240 bytes/s after 5 s; null disables. */
  minRequestBodyDataRate: MinDataRate | null = minDataRate(240, 5_000);
  /** Kestrel: 240 bytes/s after 5 s; null disables. */
  minResponseDataRate: MinDataRate | null = minDataRate(240, 5_000);
  /** The HTTP/2 limits. */
  readonly http2 = new Http2Limits();
}

/** {@link ServerLimits} as connections see them once the server starts (see `freezeLimits`). */
export type ReadonlyServerLimits = Readonly<Omit<ServerLimits, "http2">> & { readonly http2: Readonly<Http2Limits> };

function positiveOrNull(name: string, v: number | null, allowZero = false): void {
  if (v === null) return;
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0) || !Number.isInteger(v)) {
    throw new OptionsValidationError(`Limits.${name} must be a ${allowZero ? "non-negative" : "positive"} integer or null; got ${v}`, `Limits:${name}`);
  }
}

function positive(name: string, v: number): void {
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
    throw new OptionsValidationError(`Limits.${name} must be a positive number; got ${v}`, `Limits:${name.replaceAll(".", ":")}`);
  }
}

function inRange(name: string, v: number, min: number, max: number): void {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new OptionsValidationError(`Limits.Http2.${name} must be an integer from ${min} to ${max}; got ${v}`, `Limits:Http2:${name}`);
  }
}

/** Checks every limit and returns a frozen copy. Throws `OptionsValidationError` naming the key at fault. */
export function freezeLimits(limits: ServerLimits): ReadonlyServerLimits {
  positiveOrNull("MaxConcurrentConnections", limits.maxConcurrentConnections);
  positiveOrNull("MaxConcurrentUpgradedConnections", limits.maxConcurrentUpgradedConnections, true);
  positiveOrNull("MaxRequestBodySize", limits.maxRequestBodySize, true);
  positiveOrNull("MaxRequestBufferSize", limits.maxRequestBufferSize);
  positiveOrNull("MaxResponseBufferSize", limits.maxResponseBufferSize, true);
  positive("MaxRequestHeaderCount", limits.maxRequestHeaderCount);
  positive("MaxRequestHeadersTotalSize", limits.maxRequestHeadersTotalSize);
  positive("MaxRequestLineSize", limits.maxRequestLineSize);
  positive("KeepAliveTimeout", limits.keepAliveTimeout);
  positive("RequestHeadersTimeout", limits.requestHeadersTimeout);
  if (limits.maxRequestBufferSize !== null && limits.maxRequestBufferSize < limits.maxRequestLineSize) {
    throw new OptionsValidationError("Limits.MaxRequestBufferSize must be at least MaxRequestLineSize", "Limits:MaxRequestBufferSize");
  }
  if (limits.maxRequestBufferSize !== null && limits.maxRequestBufferSize < limits.maxRequestHeadersTotalSize) {
    throw new OptionsValidationError("Limits.MaxRequestBufferSize must be at least MaxRequestHeadersTotalSize", "Limits:MaxRequestBufferSize");
  }
  const h2 = limits.http2;
  inRange("MaxStreamsPerConnection", h2.maxStreamsPerConnection, 1, 2 ** 31 - 1);
  inRange("HeaderTableSize", h2.headerTableSize, 1, 2 ** 31 - 1);
  inRange("MaxFrameSize", h2.maxFrameSize, 2 ** 14, 2 ** 24 - 1);
  inRange("MaxRequestHeaderFieldSize", h2.maxRequestHeaderFieldSize, 1, 2 ** 31 - 1);
  inRange("InitialConnectionWindowSize", h2.initialConnectionWindowSize, 65_535, 2 ** 31 - 1);
  inRange("InitialStreamWindowSize", h2.initialStreamWindowSize, 65_535, 2 ** 31 - 1);
  if (h2.keepAlivePingDelay !== null) positive("Http2.KeepAlivePingDelay", h2.keepAlivePingDelay);
  positive("Http2.KeepAlivePingTimeout", h2.keepAlivePingTimeout);
  const { http2, ...rest } = limits;
  return Object.freeze({ ...rest, http2: Object.freeze({ ...http2 }) });
}
