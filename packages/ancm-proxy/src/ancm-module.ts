/**
 * The module itself: what ANCM does inside IIS, as the request delegate of
 * the front's server. It answers from `app_offline.htm` while that file
 * exists; otherwise it hands each request to the app: out-of-process by
 * proxying to one of the app processes (started, restarted and stopped by
 * the `ProcessManager`), in-process by calling the app's pipeline directly.
 *
 * @module
 */
import type { HttpContext, Logger, RequestDelegate } from "@x/abstractions";
import { AppOfflineWatcher } from "./app-offline.js";
import { ERROR_PAGES, sendErrorPage, showsDetailedErrors } from "./error-pages.js";
import { InProcessApp } from "./in-process-app.js";
import type { AppProcess } from "./process/app-process.js";
import { ProcessManager } from "./process/process-manager.js";
import { AppForwarder } from "./proxy/app-forwarder.js";
import type { AncmSettings } from "./settings/ancm-settings.js";

/** The module: the front's request delegate. Serves `app_offline.htm` while it exists, else forwards each request to the app (out-of-process) or calls it (in-process). */
export class AncmModule {
  #settings: AncmSettings;
  readonly #logger: Logger;
  readonly #offline: AppOfflineWatcher;
  #processes: ProcessManager | null = null;
  #forwarder: AppForwarder | null = null;
  #inProcess: InProcessApp | null = null;
  #detailedErrors = false;
  #tunnelTimer: NodeJS.Timeout | null = null;
  /** A recycle in progress (web.config changed): requests wait for it. */
  #recycling: Promise<void> | null = null;

  /** Sets up the offline watcher and, by `hostingModel`, the process manager and forwarder or the in-process app. */
  constructor(settings: AncmSettings, logger: Logger) {
    this.#settings = settings;
    this.#logger = logger;
    this.#build(settings);
    this.#offline = new AppOfflineWatcher(settings.siteRoot, {
      onOffline: () => this.#goOffline().catch((error: unknown) => this.#logger.error({ err: error }, "Taking the application offline failed")),
      onOnline: () => this.#goOnline(),
    });
  }

  /** The resolved settings it runs with (the newest, after a recycle). */
  get settings(): AncmSettings {
    return this.#settings;
  }

  #build(settings: AncmSettings): void {
    this.#detailedErrors = showsDetailedErrors(settings.environmentVariables);
    if (settings.hostingModel === "outofprocess") {
      const forwarder = new AppForwarder(settings.requestTimeoutMs, this.#logger, settings.forwardingPipeline);
      this.#forwarder = forwarder;
      this.#processes = new ProcessManager({ settings, logger: this.#logger, onProcessExit: (p) => forwarder.release(p) });
      this.#inProcess = null;
    } else {
      this.#forwarder = null;
      this.#processes = null;
      this.#inProcess = new InProcessApp(settings, this.#logger);
    }
  }

  /**
   * Recycles the app with new settings, as ANCM recycles when `web.config`
   * changes: the running app stops gracefully (within its
   * shutdownTimeLimit), then the next request starts the app as the new
   * settings say. Requests that come meanwhile wait for it. While
   * `app_offline.htm` exists the app stays offline.
   */
  recycle(settings: AncmSettings): Promise<void> {
    const previous = this.#recycling ?? Promise.resolve();
    const recycling = previous.then(async () => {
      this.#logger.info({ source: settings.source, hostingModel: settings.hostingModel, processPath: settings.processPath }, "The site's settings changed: recycling the application");
      await this.#stopApp();
      this.#settings = settings;
      this.#build(settings);
      if (this.#offline.content !== null) await this.#processes?.stopAll();
    });
    const settled = recycling.catch((error: unknown) => this.#logger.error({ err: error }, "Recycling the application failed"));
    this.#recycling = settled;
    void settled.then(() => {
      if (this.#recycling === settled) this.#recycling = null;
    });
    return settled;
  }

  async #stopApp(): Promise<void> {
    if (this.#tunnelTimer !== null) clearTimeout(this.#tunnelTimer);
    await this.#processes?.stopAll();
    await this.#forwarder?.close();
    await this.#inProcess?.unload().catch((error: unknown) => this.#logger.error({ err: error }, "Stopping the in-process application failed"));
  }

  /** The running app processes (out-of-process). */
  get processes(): ProcessManager | null {
    return this.#processes;
  }

  /** Starts watching for `app_offline.htm`. The app itself starts with the first request, as in ANCM. */
  start(): Promise<void> {
    return this.#offline.start();
  }

  /** Stops the app gracefully (shutdown event, then signals, within shutdownTimeLimit). */
  async stop(): Promise<void> {
    this.#offline.stop();
    await this.#recycling;
    await this.#stopApp();
  }

  /** Kills the app processes at once (the front is exiting without a graceful stop). */
  kill(): void {
    this.#processes?.killAll();
  }

  /** The request delegate the front's server runs. */
  readonly handle: RequestDelegate = (context) => {
    if (this.#recycling !== null) return this.#recycling.then(() => this.handle(context));
    // In-process and online, once loaded: straight into the app's pipeline, nothing awaited first.
    const app = this.#inProcess?.loaded;
    if (app != null && this.#offline.content === null) return app(context);
    // Out-of-process with the app running and online: forward at once.
    const ready = this.#offline.content === null ? (this.#processes?.tryAcquire() ?? null) : null;
    if (ready !== null) return this.#forward(context, ready);
    return this.#handle(context);
  };

  async #forward(context: HttpContext, process: AppProcess): Promise<void> {
    const failure = await this.#forwarder!.forward(context, process);
    if (failure !== null) await sendErrorPage(context, ERROR_PAGES.requestTimeout);
  }

  async #handle(context: HttpContext): Promise<void> {
    const offline = this.#offline.content;
    if (offline !== null) return this.#serveOffline(context, offline);
    if (this.#inProcess !== null) {
      let app: RequestDelegate;
      try {
        app = await this.#inProcess.application();
      } catch (error) {
        return sendErrorPage(context, ERROR_PAGES.inProcessStartupFailure, {
          bare: this.settings.disableStartUpErrorPage,
          output: this.#detailedErrors ? String((error as Error).stack ?? error) : undefined,
        });
      }
      return app(context);
    }
    let acquired = await this.#processes!.acquire();
    if (!("process" in acquired) && acquired.failure === "stopped" && this.#offline.content === null) {
      // app_offline.htm was removed while the app was still stopping: once that is done the
      // app is resumed, and this request starts it rather than getting a 503.
      await this.#offline.settled;
      acquired = await this.#processes!.acquire();
    }
    if ("process" in acquired) {
      return this.#forward(context, acquired.process);
    }
    switch (acquired.failure) {
      case "startup":
        return sendErrorPage(context, ERROR_PAGES.outOfProcessStartupFailure, {
          bare: this.settings.disableStartUpErrorPage,
          output: this.#detailedErrors ? acquired.error.output : undefined,
        });
      case "rapid-fail":
        return sendErrorPage(context, ERROR_PAGES.rapidFailLockout);
      case "stopped": {
        const content = this.#offline.content;
        if (content !== null) return this.#serveOffline(context, content);
        return sendErrorPage(context, ERROR_PAGES.rapidFailLockout);
      }
    }
  }

  async #serveOffline(context: HttpContext, content: Buffer): Promise<void> {
    const { response } = context;
    response.statusCode = 503;
    response.contentType = "text/html";
    response.headers.set("cache-control", "no-cache, no-store");
    await response.end(content);
  }

  async #goOffline(): Promise<void> {
    this.#logger.info(`${this.#offline.path} found: taking the application offline`);
    const limit = this.settings.shutdownTimeLimitMs;
    // Open WebSocket tunnels do not keep the app alive past shutdownTimeLimit.
    if (this.#forwarder !== null && this.#forwarder.tunnelCount > 0) {
      this.#tunnelTimer = setTimeout(() => this.#forwarder?.closeTunnels(), limit);
      this.#tunnelTimer.unref();
    }
    await this.#processes?.stopAll();
    await this.#inProcess?.unload().catch((error: unknown) => this.#logger.error({ err: error }, "Stopping the in-process application failed"));
    this.#logger.info("The application is offline");
  }

  #goOnline(): void {
    this.#logger.info(`${this.#offline.path} removed: the next request starts the application`);
    this.#processes?.resume();
  }
}
