/**
 * Tracks open connections so the server can cap them
 * (maxConcurrentConnections) and close them all on shutdown.
 *
 * @module
 */
import { type ConnectionContext, createResourceCounter, type ResourceCounter } from "@x/abstractions";

export class ConnectionManager {
  readonly #connections = new Set<ConnectionContext>();
  readonly #counter: ResourceCounter;
  /** Connections that gave their slot back early (upgraded); they must not release it twice. */
  readonly #released = new Set<ConnectionContext>();
  readonly isCapped: boolean;
  #drained: (() => void) | null = null;

  constructor(maxConcurrentConnections: number | null) {
    this.#counter = createResourceCounter(maxConcurrentConnections);
    this.isCapped = maxConcurrentConnections !== null;
  }

  get count(): number {
    return this.#connections.size;
  }

  /** Admits a connection, or returns false when the cap is reached. */
  tryAdd(connection: ConnectionContext): boolean {
    if (!this.#counter.tryLockOne()) return false;
    this.#connections.add(connection);
    return true;
  }

  remove(connection: ConnectionContext): void {
    if (!this.#connections.delete(connection)) return;
    if (!this.#released.delete(connection)) this.#counter.releaseOne();
    if (this.#connections.size === 0) this.#drained?.();
  }

  /** An upgraded connection stops counting toward maxConcurrentConnections (Kestrel). */
  releaseSlot(connection: ConnectionContext): void {
    if (!this.#connections.has(connection) || this.#released.has(connection)) return;
    this.#released.add(connection);
    this.#counter.releaseOne();
  }

  /** Asks every connection to finish what is in flight and close. */
  requestCloseAll(): void {
    for (const c of this.#connections) c.requestClose();
  }

  abortAll(): void {
    for (const c of this.#connections) c.abort();
  }

  /** Resolves when no connection is left, or after `ms`; returns whether all closed. */
  waitForDrain(ms: number): Promise<boolean> {
    if (this.#connections.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#drained = null;
        resolve(false);
      }, ms);
      this.#drained = () => {
        clearTimeout(timer);
        this.#drained = null;
        resolve(true);
      };
    });
  }
}
