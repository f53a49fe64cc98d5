/**
 * ASP.NET Core log levels (`Logging:LogLevel:*`) and their pino equivalents,
 * with the longest-prefix category match .NET uses for per-category levels.
 *
 * @module
 */
import { OptionsValidationError } from "@x/abstractions";

/** A pino level name, or `silent` for ASP.NET Core's `None`. */
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

/**
 * Per-category minimum levels, matched as .NET's `LoggerRuleSelector` does:
 * a rule matches a category that starts with it, ignoring case (`X.Server`
 * matches `X.Server.Http1`); one `*` in a rule stands for anything
 * (`X.*.Https`). Of the matching rules the longest wins; else `Default`.
 */
export class LogLevelRules {
  readonly #rules: Array<{ readonly prefix: string; readonly suffix: string; readonly length: number; readonly level: PinoLevel }>;
  readonly #default: PinoLevel;

  /** `rules` map category prefixes (one `*` allowed) to levels; the longest matching rule wins, else `defaultLevel` (default `info`). */
  constructor(rules: Iterable<[string, PinoLevel]>, defaultLevel: PinoLevel = "info") {
    this.#rules = [...rules]
      .map(([category, level]) => {
        const lower = category.toLowerCase();
        const star = lower.indexOf("*");
        return {
          prefix: star === -1 ? lower : lower.slice(0, star),
          suffix: star === -1 ? "" : lower.slice(star + 1),
          length: category.length,
          level,
        };
      })
      .sort((a, b) => b.length - a.length);
    this.#default = defaultLevel;
  }

  /** The level for a logger category, matched case-insensitively. */
  levelFor(category: string): PinoLevel {
    const lower = category.toLowerCase();
    for (const rule of this.#rules) {
      if (lower.startsWith(rule.prefix) && lower.endsWith(rule.suffix) && lower.length >= rule.prefix.length + rule.suffix.length) return rule.level;
    }
    return this.#default;
  }
}
