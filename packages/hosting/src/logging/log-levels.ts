/**
 * ASP.NET Core log levels (`Logging:LogLevel:*`) and their pino equivalents,
 * with the longest-prefix category match .NET uses for per-category levels.
 *
 * @module
 */
import { OptionsValidationError } from "@x/abstractions";

export type PinoLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";

const LEVELS: Record<string, PinoLevel> = {
  trace: "trace",
  debug: "debug",
  information: "info",
  info: "info",
  warning: "warn",
  warn: "warn",
  error: "error",
  critical: "fatal",
  fatal: "fatal",
  none: "silent",
  silent: "silent",
};

/** `Information` -> `info`; throws naming the key for an unknown level. */
export function toPinoLevel(value: string, key: string): PinoLevel {
  const level = LEVELS[value.trim().toLowerCase()];
  if (level === undefined) {
    throw new OptionsValidationError(`'${value}' at '${key}' is not a log level; use Trace, Debug, Information, Warning, Error, Critical or None`, key);
  }
  return level;
}

/** Per-category minimum levels: the longest matching category prefix wins, else `Default`. */
export class LogLevelRules {
  readonly #rules: Array<[prefix: string, level: PinoLevel]>;
  readonly #default: PinoLevel;

  constructor(rules: Iterable<[string, PinoLevel]>, defaultLevel: PinoLevel = "info") {
    this.#rules = [...rules].sort((a, b) => b[0].length - a[0].length);
    this.#default = defaultLevel;
  }

  levelFor(category: string): PinoLevel {
    const lower = category.toLowerCase();
    for (const [prefix, level] of this.#rules) {
      const p = prefix.toLowerCase();
      if (lower === p || lower.startsWith(`${p}.`)) return level;
    }
    return this.#default;
  }
}
