/**
 * ANCM's own debug log: `handlerSettings` `debugLevel` / `debugFile`, and the
 * `ASPNETCORE_MODULE_DEBUG` / `ASPNETCORE_MODULE_DEBUG_FILE` environment variables.
 *
 * @module
 */
import type { DebugLevel, DebugLogSettings } from "./ancm-settings.js";
import { ANCM_DEFAULTS } from "./ancm-settings.js";
import { attributeError, ENVIRONMENT_SOURCE, quote } from "./errors.js";
import { resolveSitePath } from "./paths.js";

export const DEBUG_LEVEL_ATTRIBUTE = "handlerSettings/handlerSetting[@name=debugLevel]";
export const DEBUG_FILE_ATTRIBUTE = "handlerSettings/handlerSetting[@name=debugFile]";
/** The environment variable that turns on the module's debug log (ANCM's `ASPNETCORE_MODULE_DEBUG`). */
export const DEBUG_ENV = "ASPNETCORE_MODULE_DEBUG";
/** The environment variable naming the debug log file (ANCM's `ASPNETCORE_MODULE_DEBUG_FILE`). */
export const DEBUG_FILE_ENV = "ASPNETCORE_MODULE_DEBUG_FILE";

const LEVELS: readonly DebugLevel[] = ["error", "warning", "info", "trace"];
const DESTINATIONS = ["file", "console", "eventlog"] as const;
type Destination = (typeof DESTINATIONS)[number];

/** A `debugLevel` value split into its words. */
export interface DebugLevelWords {
  /** The most detailed level named, or null when none is. */
  readonly level: DebugLevel | null;
  readonly destinations: ReadonlySet<Destination>;
}

/**
 * Splits a `debugLevel` value (`FILE,TRACE`, `console, info`): comma-separated
 * words in any order and case, each a level (`ERROR`, `WARNING`, `INFO`,
 * `TRACE`) or a destination (`FILE`, `CONSOLE`, `EVENTLOG`). When several
 * levels are named the most detailed wins (ANCM ORs them, and each includes
 * the ones before it). Empty words are skipped.
 *
 * @throws {AncmSettingsError} on any other word (ANCM would ignore it silently)
 */
export function parseDebugLevel(value: string, attribute: string, source: string): DebugLevelWords {
  let level: DebugLevel | null = null;
  const destinations = new Set<Destination>();
  for (const raw of value.split(",")) {
    const word = raw.trim().toLowerCase();
    if (word === "") continue;
    const asLevel = LEVELS.find((l) => l === word);
    if (asLevel !== undefined) {
      if (level === null || LEVELS.indexOf(asLevel) > LEVELS.indexOf(level)) level = asLevel;
      continue;
    }
    const asDestination = DESTINATIONS.find((d) => d === word);
    if (asDestination !== undefined) {
      destinations.add(asDestination);
      continue;
    }
    throw attributeError(
      source,
      attribute,
      `${quote(raw.trim())} in ${quote(value)} is neither a level (ERROR, WARNING, INFO, TRACE) nor a destination (FILE, CONSOLE, EVENTLOG)`,
    );
  }
  return { level, destinations };
}

/**
 * The debug log settings. `ASPNETCORE_MODULE_DEBUG` replaces `debugLevel` and
 * `ASPNETCORE_MODULE_DEBUG_FILE` replaces `debugFile` when set and not empty.
 *
 * - Nothing named (no level, no destination) → off (`level: null`), even with a `debugFile`.
 * - Only destinations → level `info` (as ANCM).
 * - Only a level → written to the file: ANCM would send it to the Windows
 *   debugger (`OutputDebugString`), which Node has no equivalent of, and the
 *   documented default file is the closest thing.
 * - An explicit `debugFile` (or `ASPNETCORE_MODULE_DEBUG_FILE`) turns the file
 *   on as well, as ANCM opens it whenever it is given.
 * - `EVENTLOG` is accepted but there is no event log: a warning is added, and
 *   when it is the only destination the log is off.
 * - `file` is always set: `debugFile` resolved against the site root, default `aspnetcore-debug.log`.
 */
export function resolveDebugLog(
  handlerSettings: { readonly debugLevel?: string; readonly debugFile?: string },
  siteRoot: string,
  source: string,
  env: NodeJS.ProcessEnv,
  warnings: string[],
): DebugLogSettings {
  const envLevel = env[DEBUG_ENV];
  const envFile = env[DEBUG_FILE_ENV];
  const fromEnvLevel = envLevel !== undefined && envLevel.trim() !== "";
  const fromEnvFile = envFile !== undefined && envFile.trim() !== "";

  const levelValue = fromEnvLevel ? envLevel : (handlerSettings.debugLevel ?? "");
  const levelAttribute = fromEnvLevel ? DEBUG_ENV : DEBUG_LEVEL_ATTRIBUTE;
  const levelSource = fromEnvLevel ? ENVIRONMENT_SOURCE : source;
  const fileValue = fromEnvFile ? envFile.trim() : (handlerSettings.debugFile ?? "").trim();

  const words = parseDebugLevel(levelValue, levelAttribute, levelSource);
  const file = resolveSitePath(fileValue === "" ? ANCM_DEFAULTS.debugFile : fileValue, siteRoot);

  if (words.level === null && words.destinations.size === 0) {
    return { level: null, toFile: false, toConsole: false, file };
  }
  if (words.destinations.has("eventlog")) {
    warnings.push(`${levelAttribute === DEBUG_ENV ? DEBUG_ENV : `aspNetCore/${levelAttribute}`}: EVENTLOG is not supported (there is no Windows event log); ignored`);
  }
  const toConsole = words.destinations.has("console");
  const toFile = words.destinations.has("file") || fileValue !== "" || words.destinations.size === 0;
  if (!toFile && !toConsole) return { level: null, toFile: false, toConsole: false, file };
  return { level: words.level ?? "info", toFile, toConsole, file };
}
