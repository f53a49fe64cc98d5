/**
 * The logging contract. It is the subset of pino's API the packages use, so a
 * pino logger fits as is; packages never write to the console.
 *
 * @module
 */

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal";

/** A log method: a message, or an object of structured fields with an optional message (pino's shape). */
export interface LogFn {
  (msg: string): void;
  (obj: object, msg?: string): void;
}

/** A structured logger with pino's methods; each `@x` component gets one per category. */
export interface Logger {
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal: LogFn;
  isLevelEnabled(level: LogLevel): boolean;
  child(bindings: Record<string, unknown>): Logger;
}

/** Hands out one logger per category (`X.Server`, `X.Server.Http1`, ...). */
export interface LoggerFactory {
  createLogger(category: string): Logger;
}

const noop = () => {};

/** A logger that discards everything. */
export const nullLogger: Logger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  fatal: noop,
  isLevelEnabled: () => false,
  child: () => nullLogger,
};

/** A logger factory whose loggers discard everything. */
export const nullLoggerFactory: LoggerFactory = { createLogger: () => nullLogger };
