/**
 * Application lifetime events (`IHostApplicationLifetime`): started,
 * stopping and stopped, each an `AbortSignal` that fires once, plus
 * `stopApplication()` to ask the host to shut down.
 *
 * @module
 */

export class ApplicationLifetime {
  readonly #started = new AbortController();
  readonly #stopping = new AbortController();
  readonly #stopped = new AbortController();
  #stopRequested: (() => void) | null = null;
  readonly #stopRequest: Promise<void>;

  constructor() {
    this.#stopRequest = new Promise((resolve) => {
      this.#stopRequested = resolve;
    });
  }

  /** Fires once the server has started and is listening. */
  get applicationStarted(): AbortSignal {
    return this.#started.signal;
  }

  /** Fires when graceful shutdown begins. */
  get applicationStopping(): AbortSignal {
    return this.#stopping.signal;
  }

  /** Fires once the shutdown is complete. */
  get applicationStopped(): AbortSignal {
    return this.#stopped.signal;
  }

  /** Asks the host to stop (as SIGTERM does). */
  stopApplication(): void {
    this.#stopRequested?.();
  }

  /** @internal Resolves when `stopApplication` has been called. */
  get stopRequested(): Promise<void> {
    return this.#stopRequest;
  }

  /** @internal */
  notifyStarted(): void {
    this.#started.abort();
  }

  /** @internal */
  notifyStopping(): void {
    this.#stopping.abort();
  }

  /** @internal */
  notifyStopped(): void {
    this.#stopped.abort();
  }
}
