/**
 * The front process: a host built with `@x/hosting` (its endpoints from
 * `--urls`, `ASPNETCORE_URLS` or its `Kestrel` configuration; HTTP/1.1,
 * HTTP/2 and TLS as any host; logging through pino) whose application is
 * the module.
 *
 * @module
 */
import { resolve } from "node:path";
import type { Logger } from "@x/abstractions";
import { type AppHost, Host, type HostBuilder } from "@x/hosting";
import { AncmModule } from "./ancm-module.js";
import { SettingsWatcher } from "./settings-watcher.js";
import { createDebugFileLogger, teeLogger } from "./debug-log.js";
import type { AncmSettings } from "./settings/ancm-settings.js";
import { loadAncmSettings } from "./settings/index.js";

/** Options of {@link createFront}. */
export interface FrontOptions {
  /** The site root (default: the current directory). */
  readonly siteRoot?: string;
  /** The front host's own command-line arguments (`--urls`, `--Kestrel:...`). */
  readonly args?: readonly string[];
  /** The environment (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
  /** Adjusts the front's host builder (logging destination in tests, ...). */
  readonly configureHost?: (builder: HostBuilder) => void;
}

/** A created front: the host that runs it, the module that handles its requests and the settings they use. */
export interface Front {
  readonly host: AppHost;
  readonly module: AncmModule;
  /** The settings read at creation; `module.settings` has the newest once web.config changed. */
  readonly settings: AncmSettings;
}

/** Variables that describe a module in front of a process: the front itself is not behind one. */
const MODULE_VARIABLES = ["ASPNETCORE_PORT", "ASPNETCORE_TOKEN", "ASPNETCORE_APPL_PATH"];

/**
 * Builds the front: reads the site's settings (web.config or ancm.json),
 * creates the module and the host serving it. Throws `AncmSettingsError`
 * naming the attribute for invalid settings. Start it with `host.start()` /
 * `host.run()`; the module's app is stopped when the host stops.
 */
export function createFront(options: FrontOptions = {}): Front {
  const siteRoot = resolve(options.siteRoot ?? ".");
  const env = { ...(options.env ?? process.env) };
  // The settings read the module's variables; a reload (web.config changed) reads the same ones.
  const settingsEnv = { ...env };
  const settings = loadAncmSettings(siteRoot, settingsEnv);
  for (const name of MODULE_VARIABLES) delete env[name];
  let module: AncmModule | null = null;
  const builder = Host.createDefaultBuilder(options.args ?? [], env).configureWebHostDefaults((web) =>
    web.configure((app) => app.run((context) => module!.handle(context))),
  );
  options.configureHost?.(builder);
  const host = builder.build();
  const logger = moduleLogger(host.loggerFactory.createLogger("X.Ancm"), settings);
  for (const warning of settings.warnings) logger.warn({ source: settings.source }, warning);
  logger.info({ source: settings.source, hostingModel: settings.hostingModel, processPath: settings.processPath }, "ASP.NET Core Module settings loaded");
  module = new AncmModule(settings, logger);
  const created = module;
  // ANCM recycles the app when web.config changes.
  const watcher = new SettingsWatcher({
    siteRoot,
    logger,
    load: () => loadAncmSettings(siteRoot, settingsEnv),
    current: () => created.settings,
    recycle: (next) => created.recycle(next),
  });
  host.lifetime.onStarted(() => {
    watcher.start();
    return created.start();
  });
  host.lifetime.onStopped(async () => {
    await watcher.stop();
    await created.stop();
  });
  return { host, module: created, settings };
}

/** pino's numeric levels, for the CONSOLE destination of the debug log. */
const PINO_VALUES: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };
const DEBUG_TO_PINO = { error: "error", warning: "warn", info: "info", trace: "trace" } as const;

function moduleLogger(logger: Logger, settings: AncmSettings): Logger {
  const { level, toConsole } = settings.debugLog;
  // CONSOLE: the module's own lines reach the front's console output down to the debug level.
  if (toConsole && level !== null && "level" in logger && typeof (logger as { level: unknown }).level === "string") {
    const wanted = DEBUG_TO_PINO[level];
    const current = (logger as unknown as { level: string }).level;
    if ((PINO_VALUES[wanted] ?? 30) < (PINO_VALUES[current] ?? 30)) (logger as unknown as { level: string }).level = wanted;
  }
  const file = createDebugFileLogger(settings.debugLog);
  if (file === null) return logger;
  return teeLogger(logger, file as unknown as Logger);
}
