/**
 * The services a protocol handler needs, for a server composed by hand
 * (`@x/transport-sockets` + `@x/http1` or `@x/http2`, without `@x/server`):
 * frozen limits, a running heartbeat that drives every connection timeout
 * (keep-alive, request headers, body and response data rates) and keeps the
 * `Date` header current, and the upgraded-connection cap. `@x/server` builds
 * the same thing for its endpoints.
 *
 * @module
 */
import type { AccessLog } from "./access-log.js";
import { type Clock, systemClock } from "./clock.js";
import { HeartbeatTimer } from "./heartbeat-timer.js";
import { freezeLimits, ServerLimits } from "./limits.js";
import { type LoggerFactory, nullLoggerFactory } from "./logger.js";
import { createResourceCounter, type ServiceContext } from "./service-context.js";

/** What {@link createServiceContext} is built from; everything is optional. */
export interface ServiceContextOptions {
  /** Kestrel's limits (default `new ServerLimits()`); validated and frozen. */
  readonly limits?: ServerLimits;
  /** Default: no logging. */
  readonly loggerFactory?: LoggerFactory;
  /** Default: the system clock. */
  readonly clock?: Clock;
  /** `Server: X` on responses (Kestrel's AddServerHeader, default true). */
  readonly addServerHeader?: boolean;
  /** Kestrel's DisableStringReuse (default false). */
  readonly disableStringReuse?: boolean;
  /** One entry per request when given. */
  readonly accessLog?: AccessLog;
}

/** A {@link ServiceContext} that owns its heartbeat: `close()` stops it. */
export interface OwnedServiceContext extends ServiceContext {
  readonly heartbeat: HeartbeatTimer;
  /** Stops the heartbeat (it does not keep the process alive meanwhile). */
  close(): void;
}

/**
 * A service context with its heartbeat started (unref'd, once a second).
 *
 * @throws {OptionsValidationError} when the limits are invalid
 */
export function createServiceContext(options: ServiceContextOptions = {}): OwnedServiceContext {
  const limits = freezeLimits(options.limits ?? new ServerLimits());
  const loggerFactory = options.loggerFactory ?? nullLoggerFactory;
  const clock = options.clock ?? systemClock;
  const heartbeat = new HeartbeatTimer(clock, loggerFactory.createLogger("X.Server.Heartbeat"));
  heartbeat.start();
  return {
    limits,
    loggerFactory,
    clock,
    dateHeader: heartbeat.dateHeader,
    heartbeat,
    addServerHeader: options.addServerHeader ?? true,
    disableStringReuse: options.disableStringReuse ?? false,
    accessLog: options.accessLog,
    upgradedConnections: createResourceCounter(limits.maxConcurrentUpgradedConnections),
    close: () => heartbeat.stop(),
  };
}
