/**
 * Time source. Every timeout reads the clock through this interface so tests
 * can move time forward without sleeping.
 *
 * @module
 */

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** The real clock: `Date.now`. */
export const systemClock: Clock = { now: Date.now };

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  #now: number;
  /** Starts at `start` (ms since the epoch; default 2026-01-01T00:00:00Z). */
  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }
  /** The current time, in milliseconds since the epoch. */
  now(): number {
    return this.#now;
  }
  /** Moves the clock forward by `ms` milliseconds. */
  advance(ms: number): void {
    this.#now += ms;
  }
}
