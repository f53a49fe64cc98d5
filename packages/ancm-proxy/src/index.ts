/**
 * `@x/ancm-proxy`: the ASP.NET Core Module's job for Node apps built with
 * `@x/hosting`. The `x-ancm` front process reads `web.config` (or
 * `ancm.json`), starts the app, proxies to it over loopback with a pairing
 * token (out-of-process) or calls it directly (in-process), restarts it when
 * it crashes, and takes it offline while `app_offline.htm` exists.
 *
 * @module
 */
export { AncmModule } from "./ancm-module.js";
export { APP_OFFLINE_FILE, APP_OFFLINE_POLL_MS, AppOfflineWatcher } from "./app-offline.js";
export type { AppOfflineEvents } from "./app-offline.js";
export { ERROR_PAGES, renderErrorPage } from "./error-pages.js";
export type { ErrorPage } from "./error-pages.js";
export { createFront } from "./front-host.js";
export type { Front, FrontOptions } from "./front-host.js";
export { entryModuleOf, InProcessApp } from "./in-process-app.js";
export { STARTUP_OUTPUT_LIMIT, stdoutLogFileName } from "./process/app-output.js";
export type { AppOutput } from "./process/app-output.js";
export { AppProcess, AppStartError, READY_POLL_MS } from "./process/app-process.js";
export type { AppProcessInit, ExitInfo } from "./process/app-process.js";
export { configuredPort } from "./process/ports.js";
export { ProcessManager } from "./process/process-manager.js";
export type { Acquired, ProcessManagerInit } from "./process/process-manager.js";
export { AppForwarder } from "./proxy/app-forwarder.js";
export type { ForwardFailure } from "./proxy/app-forwarder.js";
export { CLIENT_CERT_HEADER, forwardedFor, TOKEN_HEADER } from "./proxy/forward-headers.js";
export * from "./settings/index.js";
