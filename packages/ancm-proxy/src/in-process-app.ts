/**
 * In-process hosting: the front loads the app's entry module into its own
 * process and calls its pipeline directly, with no loopback hop. The module
 * exports (default, `host` or `app`) one of:
 *
 * - a request delegate, `(context) => ...`;
 * - an application builder (`{ build(): RequestDelegate }`);
 * - a built, not started `AppHost` from `@x/hosting` (its `createApplication()`
 *   builds the pipeline and raises its lifetime events without a server of its own).
 *
 * A failure to load or start gives the 500.30 page until the app is taken
 * offline and back (`app_offline.htm`), as ANCM keeps it until a recycle.
 *
 * @module
 */
import { extname, isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Logger, RequestDelegate } from "@x/abstractions";
import { copyProcessOutput } from "./in-process-output.js";
import type { AncmSettings } from "./settings/ancm-settings.js";

interface HostLike {
  createApplication(): Promise<RequestDelegate>;
  stop(): Promise<void>;
}

const SCRIPT_EXTENSIONS = new Set([".js", ".mjs", ".cjs"]);

/** The entry module: `processPath` when it is a script, else the first argument (`node app.js`). */
export function entryModuleOf(settings: AncmSettings): string {
  const candidates = [settings.processPath, settings.argumentList[0] ?? ""];
  for (const candidate of candidates) {
    if (SCRIPT_EXTENSIONS.has(extname(candidate).toLowerCase())) return isAbsolute(candidate) ? candidate : resolve(settings.siteRoot, candidate);
  }
  throw new Error(`In-process hosting needs a JavaScript entry module: processPath ('${settings.processPath}') or the first of arguments must end in .js, .mjs or .cjs`);
}

function isHostLike(value: unknown): value is HostLike {
  return typeof value === "object" && value !== null && typeof (value as HostLike).createApplication === "function" && typeof (value as HostLike).stop === "function";
}

/** The app's pipeline for in-process hosting: loads the entry module on the first request and calls it directly. */
export class InProcessApp {
  readonly #settings: AncmSettings;
  readonly #logger: Logger;
  #loading: Promise<RequestDelegate> | null = null;
  #loaded: RequestDelegate | null = null;
  #host: HostLike | null = null;
  #loads = 0;
  #error: Error | null = null;
  #output: ReturnType<typeof copyProcessOutput> | null = null;

  /** The entry module comes from `settings` (see {@link entryModuleOf}); nothing is loaded yet. */
  constructor(settings: AncmSettings, logger: Logger) {
    this.#settings = settings;
    this.#logger = logger;
  }

  /** The app's pipeline once loaded (requests then call it without awaiting anything first). */
  get loaded(): RequestDelegate | null {
    return this.#loaded;
  }

  /** Why the last load failed, while that failure stands. */
  get error(): Error | null {
    return this.#error;
  }

  /** The app's pipeline, loading the module on first use; rejects with the load failure. */
  application(): Promise<RequestDelegate> {
    if (this.#error !== null) return Promise.reject(this.#error);
    this.#loading ??= this.#load().then(
      (app) => {
        this.#loaded = app;
        return app;
      },
      (error: unknown) => {
      this.#error = error instanceof Error ? error : new Error(String(error));
        this.#logger.error({ err: this.#error }, "Application startup failed (in-process)");
        throw this.#error;
      },
    );
    return this.#loading;
  }

  /** Stops the app's host (if it exported one) and forgets it; the next request loads a fresh instance. */
  async unload(): Promise<void> {
    const host = this.#host;
    this.#host = null;
    this.#loading = null;
    this.#loaded = null;
    this.#error = null;
    try {
      if (host !== null) await host.stop();
    } finally {
      const output = this.#output;
      this.#output = null;
      await output?.close();
    }
  }

  async #load(): Promise<RequestDelegate> {
    // In-process, the app shares the front's environment: the configured variables apply to it.
    for (const [name, value] of Object.entries(this.#settings.environmentVariables)) process.env[name] = value;
    const entry = entryModuleOf(this.#settings);
    if (this.#settings.stdoutLogEnabled && this.#output === null) {
      // ANCM in-process: the app's output (the process's) goes to the stdout log file.
      this.#output = copyProcessOutput(this.#settings.stdoutLogFile);
      if (this.#output.fileError !== null) this.#logger.warn({ err: this.#output.fileError }, "Could not open the stdout log file");
      else this.#logger.info({ file: this.#output.fileName }, "Writing the application's output to the stdout log file");
    }
    // A fresh module instance per load: an app that was taken offline starts anew.
    const url = `${pathToFileURL(entry).href}${this.#loads++ === 0 ? "" : `?x-ancm-load=${this.#loads}`}`;
    this.#logger.info({ entry }, "Loading the application in-process");
    const module = (await import(url)) as Record<string, unknown>;
    const exported = module.default ?? module.host ?? module.app;
    if (typeof exported === "function") return exported as RequestDelegate;
    if (isHostLike(exported)) {
      this.#host = exported;
      return exported.createApplication();
    }
    if (typeof exported === "object" && exported !== null && typeof (exported as { build?: unknown }).build === "function") {
      return (exported as { build(): RequestDelegate }).build();
    }
    throw new Error(`${entry} exports no application: export a request delegate, an ApplicationBuilder or a built AppHost (default, 'host' or 'app')`);
  }
}
