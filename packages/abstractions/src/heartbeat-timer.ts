/**
 * The server's one timer (Kestrel's `Heartbeat`). Once a second it refreshes
 * the cached Date header and calls every registered connection, which checks
 * its own deadline. No connection or request owns a timer of its own.
 * `@x/server` runs one per server (exported there as `Heartbeat`); a server
 * composed by hand gets one from `createServiceContext`.
 *
 * @module
 */
import type { Clock } from "./clock.js";
import type { Logger } from "./logger.js";
import type { DateHeaderSource, Heartbeat, HeartbeatHandler } from "./service-context.js";

/** Kestrel ticks once a second. */
export const HEARTBEAT_INTERVAL_MS = 1_000;

/**
 * The tick time from which `ms` has surely passed, counted from now.
 * `heartbeat.now` is the last tick, up to one interval old, so a deadline of
 * `now + ms` could fire up to a second early; Kestrel's TimeoutControl adds
 * one heartbeat interval to every deadline so a timeout never fires before
 * its time (it may fire up to one interval late). Compare with `tick >= deadline`.
 */
export function deadlineAfter(heartbeat: Heartbeat, ms: number): number {
  return heartbeat.now + ms + HEARTBEAT_INTERVAL_MS;
}

/**
 * Whether `ms` has surely passed since `since`, a tick time (`heartbeat.now`
 * when it began): the same one-interval margin as {@link deadlineAfter}.
 */
export function elapsedSince(since: number, now: number, ms: number): boolean {
  return now - since >= ms + HEARTBEAT_INTERVAL_MS;
}

/** The `Date` header value (RFC 9110 §6.6.1), recomputed at most once a second. */
export class DateHeaderValue implements DateHeaderSource {
  /** The current value, e.g. `Tue, 01 Jan 2026 00:00:00 GMT`. */
  value: string;
  #second = -1;

  /** The value for `now` (ms since the epoch). */
  constructor(now: number) {
    this.value = new Date(now).toUTCString();
    this.#second = Math.floor(now / 1000);
  }

  /** RFC 9110 §5.6.7 IMF-fixdate; `toUTCString` produces exactly that format. */
  update(now: number): void {
    const second = Math.floor(now / 1000);
    if (second === this.#second) return;
    this.#second = second;
    this.value = new Date(now).toUTCString();
  }
}

/** Kestrel's heartbeat: once a second, updates the `Date` header and calls each handler (connection timeouts). */
export class HeartbeatTimer implements Heartbeat {
  readonly #handlers = new Set<HeartbeatHandler>();
  readonly #clock: Clock;
  readonly #logger: Logger;
  /** The `Date` header value it updates. */
  readonly dateHeader: DateHeaderValue;
  #timer: NodeJS.Timeout | null = null;
  /** The time of the last tick. */
  now: number;

  /** Reads the time from `clock`; logs handler errors and slow ticks to `logger`. */
  constructor(clock: Clock, logger: Logger) {
    this.#clock = clock;
    this.#logger = logger;
    this.now = clock.now();
    this.dateHeader = new DateHeaderValue(this.now);
  }

  /** The number of registered handlers. */
  get handlerCount(): number {
    return this.#handlers.size;
  }

  /** Calls `handler` on each tick. */
  add(handler: HeartbeatHandler): void {
    this.#handlers.add(handler);
  }

  /** Stops calling `handler`. */
  remove(handler: HeartbeatHandler): void {
    this.#handlers.delete(handler);
  }

  /** Starts ticking every `intervalMs` (default {@link HEARTBEAT_INTERVAL_MS}); no-op when started. */
  start(intervalMs = HEARTBEAT_INTERVAL_MS): void {
    if (this.#timer !== null) return;
    this.#timer = setInterval(this.tick, intervalMs);
    this.#timer.unref();
  }

  /** Stops ticking. */
  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** One beat. Public so tests with a manual clock can drive time. */
  tick = (): void => {
    const now = this.#clock.now();
    this.now = now;
    this.dateHeader.update(now);
    for (const handler of this.#handlers) {
      try {
        handler.onHeartbeat(now);
      } catch (error) {
        this.#logger.error({ err: error }, "A heartbeat handler failed");
      }
    }
  };
}
