/**
 * The `aspNetCore` element's settings (the ASP.NET Core Module's
 * configuration reference), resolved: defaults applied, paths made absolute
 * against the site root, time spans in milliseconds.
 *
 * @module
 */
import type { ForwardingPipelineSettings } from "./forwarding-pipeline.js";

/** `hostingModel`: the app in the front's own process, or in processes of its own behind it. */
export type HostingModel = "inprocess" | "outofprocess";

/** ANCM's debug log levels, most to least severe; each includes the ones before it. */
export type DebugLevel = "error" | "warning" | "info" | "trace";

/** Where the module's own debug log goes (`handlerSettings` `debugLevel`, `ASPNETCORE_MODULE_DEBUG`). */
export interface DebugLogSettings {
  /** Null when the debug log is off. */
  readonly level: DebugLevel | null;
  readonly toFile: boolean;
  readonly toConsole: boolean;
  /** Absolute path of the debug log file (`debugFile`, default `aspnetcore-debug.log` at the site root). */
  readonly file: string;
}

/** The module's settings, resolved from `web.config` or `ancm.json`: defaults applied, paths absolute, times in milliseconds. */
export interface AncmSettings {
  /** The site root every relative path starts at (absolute). */
  readonly siteRoot: string;
  /** Where the settings were read from (absolute path of `web.config` or `ancm.json`). */
  readonly source: string;
  /**
   * The program to start. A value with a path separator or starting with `.`
   * is resolved against the site root; a bare name (`node`) is looked up on PATH.
   * `%NAME%` references to environment variables are expanded.
   */
  readonly processPath: string;
  /** `arguments` as written (after `%NAME%` expansion). */
  readonly arguments: string;
  /** `arguments` split into argv as Windows command lines are (double quotes group, `\"` escapes). */
  readonly argumentList: readonly string[];
  /** `inprocess` (default) or `outofprocess`, read case-insensitively. */
  readonly hostingModel: HostingModel;
  /** `environmentVariables`: set for the app, overriding the front process's environment. */
  readonly environmentVariables: Readonly<Record<string, string>>;
  /** 1 (default) to 100; must be 1 in-process. */
  readonly processesPerApplication: number;
  /** `startupTimeLimit` seconds (default 120, max 3600), in ms. */
  readonly startupTimeLimitMs: number;
  /** `shutdownTimeLimit` seconds (default 10, max 600), in ms. */
  readonly shutdownTimeLimitMs: number;
  /** `requestTimeout` `hh:mm:ss` (default 00:02:00, max 360 h), in ms; out-of-process only. */
  readonly requestTimeoutMs: number;
  /** Default 10; out-of-process only. */
  readonly rapidFailsPerMinute: number;
  readonly stdoutLogEnabled: boolean;
  /** `stdoutLogFile` resolved to an absolute path prefix (`.\logs\stdout` → `{siteRoot}/logs/stdout`); default `aspnetcore-stdout`. */
  readonly stdoutLogFile: string;
  readonly disableStartUpErrorPage: boolean;
  readonly debugLog: DebugLogSettings;
  /** x-ancm's own `handlerSettings` `forwardingPipelineDepth` / `forwardingPipelinePatience` (out-of-process only). */
  readonly forwardingPipeline: ForwardingPipelineSettings;
  /** Every `handlerSetting` as given (names as written). */
  readonly handlerSettings: Readonly<Record<string, string>>;
  /**
   * What was read but ignored or is not supported (unknown attributes,
   * `forwardWindowsAuthToken="true"`, the `EVENTLOG` debug destination, ...),
   * one sentence each, naming the attribute but not the file, for the front to log.
   */
  readonly warnings: readonly string[];
}

/** ANCM's documented defaults. */
export const ANCM_DEFAULTS = {
  hostingModel: "inprocess",
  processesPerApplication: 1,
  startupTimeLimitSeconds: 120,
  shutdownTimeLimitSeconds: 10,
  requestTimeout: "00:02:00",
  rapidFailsPerMinute: 10,
  stdoutLogEnabled: false,
  stdoutLogFile: "aspnetcore-stdout",
  disableStartUpErrorPage: false,
  debugFile: "aspnetcore-debug.log",
} as const;
