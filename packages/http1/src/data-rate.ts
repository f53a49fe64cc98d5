/**
 * Minimum data rates (Kestrel's `MinRequestBodyDataRate` and
 * `MinResponseDataRate`), sampled on heartbeat ticks: there is no timer of
 * their own.
 *
 * Reads are timed only while the app is waiting for body bytes, so an app
 * that is slow to read is not blamed on the client (Kestrel times reads the
 * same way). Writes are timed while bytes sit in the socket's buffer, so a
 * client that stops reading the response is cut off.
 *
 * @module
 */
import type { MinDataRate } from "@x/abstractions";

/** Times request-body reads: bytes received over the time the app spent waiting for them. */
export class ReadRateTimer {
  rate: MinDataRate | null = null;
  #elapsed = 0;
  #bytes = 0;
  #lastTick = -1;

  /** Starts over for a new request body. */
  reset(rate: MinDataRate | null): void {
    this.rate = rate;
    this.#elapsed = 0;
    this.#bytes = 0;
    this.#lastTick = -1;
  }

  addBytes(n: number): void {
    this.#bytes += n;
  }

  /**
   * One heartbeat. `waiting` says the app is blocked on a read right now.
   * Returns true when the rate has fallen below the minimum after the grace period.
   */
  tick(now: number, waiting: boolean): boolean {
    const rate = this.rate;
    if (rate === null || rate.bytesPerSecond === 0 || !waiting) {
      this.#lastTick = -1;
      return false;
    }
    if (this.#lastTick !== -1) this.#elapsed += now - this.#lastTick;
    this.#lastTick = now;
    if (this.#elapsed <= rate.gracePeriod) return false;
    return this.#bytes / (this.#elapsed / 1000) < rate.bytesPerSecond;
  }
}

/** Times response writes: bytes the peer took from the socket buffer while some were waiting. */
export class WriteRateTimer {
  rate: MinDataRate | null = null;
  #since = -1;
  #sentAtStart = 0;

  /**
   * One heartbeat. `sent` is every byte the socket has handed to the kernel
   * so far, `queued` what still waits in its buffer. Returns true when the
   * peer is reading slower than the minimum after the grace period.
   */
  tick(now: number, sent: number, queued: number): boolean {
    const rate = this.rate;
    if (rate === null || rate.bytesPerSecond === 0 || queued === 0) {
      this.#since = -1;
      return false;
    }
    if (this.#since === -1) {
      this.#since = now;
      this.#sentAtStart = sent;
      return false;
    }
    const elapsed = now - this.#since;
    if (elapsed <= rate.gracePeriod) return false;
    return (sent - this.#sentAtStart) / (elapsed / 1000) < rate.bytesPerSecond;
  }
}
