/**
 * What the server hands to every protocol handler: frozen limits, logging,
 * the clock, the cached Date header and the one heartbeat.
 *
 * @module
 */
import type { AccessLog } from "./access-log.js";
import type { Clock } from "./clock.js";
import type { ReadonlyServerLimits } from "./limits.js";
import type { LoggerFactory } from "./logger.js";

/** Something the heartbeat calls once a second. */
export interface HeartbeatHandler {
  onHeartbeat(now: number): void;
}

/** The server's single timer (Kestrel's `Heartbeat`): one tick a second drives every timeout. */
export interface Heartbeat {
  /**
   * The time of the last tick (ms since the epoch). Deadlines are computed
   * from it rather than from a clock read per request: timeouts are only
   * checked once a second anyway (Kestrel's TimeoutControl does the same).
   */
  readonly now: number;
  add(handler: HeartbeatHandler): void;
  remove(handler: HeartbeatHandler): void;
}

/** The `Date` header value, refreshed by the heartbeat once a second. */
export interface DateHeaderSource {
  /** e.g. `Sun, 22 Nov 2026 03:17:32 GMT` (RFC 9110 §5.6.7 IMF-fixdate). */
  readonly value: string;
}

/** A shared counter with a cap (maxConcurrentConnections, upgraded connections). */
export interface ResourceCounter {
  tryLockOne(): boolean;
  releaseOne(): void;
}

/** The services every connection handler shares: limits, loggers, clock, `Date` header and heartbeat (Kestrel's `ServiceContext`). */
export interface ServiceContext {
  readonly limits: ReadonlyServerLimits;
  readonly loggerFactory: LoggerFactory;
  readonly clock: Clock;
  readonly dateHeader: DateHeaderSource;
  readonly heartbeat: Heartbeat;
  /** Whether responses carry `Server: X` (Kestrel's AddServerHeader, default true). */
  readonly addServerHeader: boolean;
  /**
   * Kestrel's DisableStringReuse: when true, strings parsed from one request's
   * head are not reused for the next request on the same connection.
   */
  readonly disableStringReuse?: boolean;
  /** Caps upgraded (opaque) connections: maxConcurrentUpgradedConnections. */
  readonly upgradedConnections: ResourceCounter;
  /** One entry per request while a sink is set; absent in hand-built contexts (tests). */
  readonly accessLog?: AccessLog;
}

/** A counter without a cap. */
export const unlimitedCounter: ResourceCounter = { tryLockOne: () => true, releaseOne: () => {} };

/** A counter that refuses once `max` resources are held; `null` means unlimited. */
export function createResourceCounter(max: number | null): ResourceCounter {
  if (max === null) return unlimitedCounter;
  let count = 0;
  return {
    tryLockOne() {
      if (count >= max) return false;
      count++;
      return true;
    },
    releaseOne() {
      if (count > 0) count--;
    },
  };
}
