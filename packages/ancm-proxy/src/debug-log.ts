/**
 * The module's own diagnostic log (`handlerSettings` `debugLevel` /
 * `debugFile`, or `ASPNETCORE_MODULE_DEBUG` / `ASPNETCORE_MODULE_DEBUG_FILE`):
 * the module's log lines at the chosen level also go to the debug file as
 * JSON, next to the front's own logging.
 *
 * @module
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { Logger, LogLevel } from "@x/abstractions";
import pino from "pino";
import type { DebugLevel, DebugLogSettings } from "./settings/ancm-settings.js";

const PINO_LEVELS: Record<DebugLevel, LogLevel> = { error: "error", warning: "warn", info: "info", trace: "trace" };
const METHODS: readonly LogLevel[] = ["trace", "debug", "info", "warn", "error", "fatal"];

/** A logger writing to the debug file, or null when the debug log is off or goes only to the console. */
export function createDebugFileLogger(settings: DebugLogSettings): pino.Logger | null {
  if (settings.level === null || !settings.toFile) return null;
  mkdirSync(dirname(settings.file), { recursive: true });
  return pino({ level: PINO_LEVELS[settings.level], base: { pid: process.pid, category: "X.Ancm" } }, pino.destination({ dest: settings.file, sync: true, mkdir: true }));
}

/** A logger that writes each line to both `a` and `b`. */
export function teeLogger(a: Logger, b: Logger): Logger {
  const tee = {} as Logger;
  for (const method of METHODS) {
    (tee as unknown as Record<string, unknown>)[method] = (objOrMsg: object | string, msg?: string) => {
      (a[method] as (o: object | string, m?: string) => void)(objOrMsg, msg);
      (b[method] as (o: object | string, m?: string) => void)(objOrMsg, msg);
    };
  }
  tee.isLevelEnabled = (level) => a.isLevelEnabled(level) || b.isLevelEnabled(level);
  tee.child = (bindings) => teeLogger(a.child(bindings), b.child(bindings));
  return tee;
}
