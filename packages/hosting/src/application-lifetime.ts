/**
 * Application lifetime events (`IHostApplicationLifetime`): started,
 * stopping and stopped, each an `AbortSignal` that fires once, callbacks
 * registered with `onStarted` / `onStopping` / `onStopped` (ASP.NET Core's
 * `token.Register`), and `stopApplication()` to ask the host to shut down.
 *
 * @module
 */
import { type Logger, nullLogger } from "@x/abstractions";

/** A lifetime callback; a returned promise is awaited (bounded by the host's shutdown timeout). */
export type LifetimeCallback = () => void | Promise<void>;

type Phase = "started" | "stopping" | "stopped";

/** The host's lifetime events (ASP.NET Core's `IHostApplicationLifetime`). */
export class ApplicationLifetime {
  readonly #controllers: Record<Phase, AbortController> = {
    started: new AbortController(),
    stopping: new AbortController(),
    stopped: new AbortController(),
  };
  readonly #callbacks: Record<Phase, LifetimeCallback[]> = { started: [], stopping: [], stopped: [] };
  #stopRequested: (() => void) | null = null;
  readonly #stopRequest: Promise<void>;
  /** @internal Where callback failures are logged; the host sets its `X.Hosting.Lifetime` logger. */
  logger: Logger = nullLogger;

  constructor() {
    this.#stopRequest = new Promise((resolve) => {
      this.#stopRequested = resolve;
    });
  }

  /** Fires once the server has started and is listening. */
  get applicationStarted(): AbortSignal {
    return this.#controllers.started.signal;
  }

  /**
   * Fires when graceful shutdown begins. A listener added with
   * `addEventListener` that throws is an uncaught exception, as with any
   * EventTarget in Node; use {@link onStopping} for cleanup that may fail.
   */
  get applicationStopping(): AbortSignal {
    return this.#controllers.stopping.signal;
  }

  /** Fires once the shutdown is complete. */
  get applicationStopped(): AbortSignal {
    return this.#controllers.stopped.signal;
  }

  /** Runs `callback` once the host has started (at once if it already has). Returns the unsubscribe function. */
  onStarted(callback: LifetimeCallback): () => void {
    return this.#register("started", callback);
  }

  /**
   * Runs `callback` when graceful shutdown begins, before the server stops
   * accepting; a returned promise is awaited. An error is logged and the
   * shutdown goes on, as in ASP.NET Core.
   *
   * @example
   * host.lifetime.onStopping(async () => { await registry.deregister(); });
   */
  onStopping(callback: LifetimeCallback): () => void {
    return this.#register("stopping", callback);
  }

  /** Runs `callback` once the shutdown is complete. */
  onStopped(callback: LifetimeCallback): () => void {
    return this.#register("stopped", callback);
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
  notifyStarted(): Promise<void> {
    return this.#notify("started", Number.POSITIVE_INFINITY);
  }

  /** @internal `timeoutMs` bounds how long async callbacks may hold the shutdown. */
  notifyStopping(timeoutMs = Number.POSITIVE_INFINITY): Promise<void> {
    return this.#notify("stopping", timeoutMs);
  }

  /** @internal */
  notifyStopped(): Promise<void> {
    return this.#notify("stopped", Number.POSITIVE_INFINITY);
  }

  #register(phase: Phase, callback: LifetimeCallback): () => void {
    if (typeof callback !== "function") throw new TypeError("callback must be a function");
    if (this.#controllers[phase].signal.aborted) {
      void this.#run(phase, [callback], Number.POSITIVE_INFINITY);
      return () => {};
    }
    const list = this.#callbacks[phase];
    list.push(callback);
    return () => {
      const at = list.indexOf(callback);
      if (at !== -1) list.splice(at, 1);
    };
  }

  async #notify(phase: Phase, timeoutMs: number): Promise<void> {
    if (this.#controllers[phase].signal.aborted) return;
    this.#controllers[phase].abort();
    await this.#run(phase, this.#callbacks[phase].splice(0), timeoutMs);
  }

  async #run(phase: Phase, callbacks: readonly LifetimeCallback[], timeoutMs: number): Promise<void> {
    const pending: Promise<void>[] = [];
    for (const callback of callbacks) {
      try {
        const result = callback();
        if (result instanceof Promise) pending.push(result.catch((error: unknown) => this.#failed(phase, error)));
      } catch (error) {
        this.#failed(phase, error);
      }
    }
    if (pending.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const all = Promise.all(pending).then(() => {});
    if (!Number.isFinite(timeoutMs)) return all;
    const expired = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.logger.warn(`The application ${phase} callbacks did not finish within ${timeoutMs} ms; going on`);
        resolve();
      }, timeoutMs);
    });
    await Promise.race([all, expired]);
    clearTimeout(timer);
  }

  #failed(phase: Phase, error: unknown): void {
    this.logger.error({ err: error }, `An error occurred in an application ${phase} callback`);
  }
}
