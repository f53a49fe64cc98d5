/**
 * Handshake deadlines. With the server's heartbeat (Kestrel's `Heartbeat`),
 * pending handshakes are checked once per tick and no timer is created per
 * connection; a deadline then fires up to one tick late, as every Kestrel
 * timeout does. Without a heartbeat (the middleware used on its own), each
 * handshake gets one unref'd timer that is always cleared.
 *
 * @module
 */
import { deadlineAfter, type Heartbeat, type HeartbeatHandler } from "@x/abstractions";

/** A pending deadline; pass it back to {@link HandshakeTimeouts.stop}. */
export interface PendingHandshake {
  deadline: number;
  readonly onTimeout: () => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export class HandshakeTimeouts implements HeartbeatHandler {
  readonly #timeoutMs: number;
  readonly #heartbeat: Heartbeat | undefined;
  readonly #pending = new Set<PendingHandshake>();

  constructor(timeoutMs: number, heartbeat?: Heartbeat) {
    this.#timeoutMs = timeoutMs;
    this.#heartbeat = heartbeat;
  }

  /** Number of handshakes with a running deadline. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  start(onTimeout: () => void): PendingHandshake {
    const entry: PendingHandshake = { deadline: 0, onTimeout, timer: undefined };
    const heartbeat = this.#heartbeat;
    if (heartbeat === undefined) {
      entry.timer = setTimeout(onTimeout, this.#timeoutMs);
      entry.timer.unref();
      return entry;
    }
    entry.deadline = deadlineAfter(heartbeat, this.#timeoutMs);
    // Registered only while handshakes are pending, so an idle endpoint costs the heartbeat nothing.
    if (this.#pending.size === 0) heartbeat.add(this);
    this.#pending.add(entry);
    return entry;
  }

  stop(entry: PendingHandshake): void {
    if (entry.timer !== undefined) {
      clearTimeout(entry.timer);
      entry.timer = undefined;
      return;
    }
    if (this.#pending.delete(entry) && this.#pending.size === 0) this.#heartbeat?.remove(this);
  }

  onHeartbeat(now: number): void {
    for (const entry of this.#pending) {
      if (now >= entry.deadline) {
        this.stop(entry);
        entry.onTimeout();
      }
    }
  }
}
