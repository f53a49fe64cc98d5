/**
 * A `LoggerFactory` over pino: one child logger per category, cached, with
 * the category's level from `Logging:LogLevel`. Levels are re-applied when
 * configuration reloads.
 *
 * @module
 */
import type { Logger, LoggerFactory } from "@x/abstractions";
import pino from "pino";
import type { Configuration } from "../configuration/index.js";
import { LogLevelRules, type PinoLevel, toPinoLevel } from "./log-levels.js";

export interface PinoLoggerFactoryOptions {
  /** An existing pino logger to derive categories from; default: JSON to stdout. */
  root?: pino.Logger;
  /** Where JSON lines go when no root is given (default stdout). */
  destination?: pino.DestinationStream;
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

export class PinoLoggerFactory implements LoggerFactory {
  readonly root: pino.Logger;
  readonly #loggers = new Map<string, pino.Logger>();
  #rules: LogLevelRules;

  constructor(rules: LogLevelRules = new LogLevelRules([]), options: PinoLoggerFactoryOptions = {}) {
    this.#rules = rules;
    this.root = options.root ?? pino({ level: "trace", base: { pid: process.pid } }, options.destination ?? pino.destination({ dest: 1, sync: true }));
  }

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
