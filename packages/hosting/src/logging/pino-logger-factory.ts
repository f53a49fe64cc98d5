/**
 * A `LoggerFactory` over pino: one child logger per category, cached, with
 * the category's level from `Logging:LogLevel`. Levels are re-applied when
 * configuration reloads.
 *
 * @module
 */
import { type Logger, type LoggerFactory, OptionsValidationError } from "@x/abstractions";
import pino from "pino";
import pinoPretty from "pino-pretty";
import type { Configuration } from "../configuration/index.js";
import { LogLevelRules, type PinoLevel, toPinoLevel } from "./log-levels.js";

/** How log lines are written: JSON lines, or human-readable lines (pino-pretty). */
export type LogFormat = "json" | "pretty";

/** Options of {@link PinoLoggerFactory}. */
export interface PinoLoggerFactoryOptions {
  /** An existing pino logger to derive categories from; default: a logger to stdout. */
  root?: pino.Logger;
  /** Where lines go when no root is given (default stdout). */
  destination?: pino.DestinationStream;
  /**
   * `json` (default) or `pretty`; the host picks `pretty` in Development and
   * `json` otherwise, unless `Logging:Console:FormatterName` says
   * (`json`, or `simple` for pretty). Ignored when `root` is given.
   */
  format?: LogFormat;
}

/** Reads `Logging:Console:FormatterName` (.NET's console formatters: `json`, `simple`, `systemd`). */
export function readLogFormat(configuration: Configuration, isDevelopment: boolean): LogFormat {
  const key = "Logging:Console:FormatterName";
  const name = configuration.get(key);
  if (name === undefined || name.trim() === "") return isDevelopment ? "pretty" : "json";
  switch (name.trim().toLowerCase()) {
    case "json":
      return "json";
    case "simple":
    case "systemd":
      return "pretty";
    default:
      throw new OptionsValidationError(`'${name}' at '${key}' is not a console formatter; use json, simple or systemd`, key);
  }
}

function createRoot(options: PinoLoggerFactoryOptions): pino.Logger {
  const destination = options.destination ?? pino.destination({ dest: 1, sync: true });
  if (options.format !== "pretty") return pino({ level: "trace", base: { pid: process.pid } }, destination);
  // Development: one readable line per entry, the category before the message, as .NET's
  // simple console formatter. prettyFactory formats synchronously into any { write() }
  // destination (pino-pretty's stream form needs a full Node stream).
  const prettify = pinoPretty.prettyFactory({
    colorize: options.destination === undefined && process.stdout.isTTY === true,
    translateTime: "SYS:HH:MM:ss.l",
    ignore: "pid,hostname,category",
    messageFormat: "{if category}{category}: {end}{msg}",
    singleLine: true,
  });
  const pretty = { write: (line: string) => destination.write(prettify(line)) };
  return pino({ level: "trace", base: { pid: process.pid } }, pretty);
}

/** Reads `Logging:LogLevel:Default` and `Logging:LogLevel:{Category}`. */
export function readLogLevelRules(configuration: Configuration): LogLevelRules {
  const section = configuration.getSection("Logging:LogLevel");
  const rules: Array<[string, PinoLevel]> = [];
  let defaultLevel: PinoLevel = "info";
  for (const child of section.getChildren()) {
    if (child.value === undefined) continue;
    const level = toPinoLevel(child.value, child.path);
    if (child.key.toLowerCase() === "default") defaultLevel = level;
    else rules.push([child.key, level]);
  }
  return new LogLevelRules(rules, defaultLevel);
}

/** A `LoggerFactory` over pino: one child logger per category, with the category's level from `Logging:LogLevel`. */
export class PinoLoggerFactory implements LoggerFactory {
  /** The pino logger every category logger is a child of. */
  readonly root: pino.Logger;
  readonly #loggers = new Map<string, pino.Logger>();
  #rules: LogLevelRules;

  /** `rules` give each category its level; `options` choose the root logger or its destination and format. */
  constructor(rules: LogLevelRules = new LogLevelRules([]), options: PinoLoggerFactoryOptions = {}) {
    this.#rules = rules;
    this.root = options.root ?? createRoot(options);
  }

  /** The logger for `category` (e.g. `X.Server.Kestrel`), created once and reused. */
  createLogger(category: string): Logger {
    let logger = this.#loggers.get(category);
    if (logger === undefined) {
      logger = this.root.child({ category }, { level: this.#rules.levelFor(category) });
      this.#loggers.set(category, logger);
    }
    return logger as unknown as Logger;
  }

  /** Applies new rules to every category logger already handed out. */
  updateRules(rules: LogLevelRules): void {
    this.#rules = rules;
    for (const [category, logger] of this.#loggers) logger.level = rules.levelFor(category);
  }
}
