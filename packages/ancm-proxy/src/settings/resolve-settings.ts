/**
 * Validation and defaults: {@link RawAncmSettings} → {@link AncmSettings}.
 *
 * @module
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { ANCM_DEFAULTS, type AncmSettings, type HostingModel } from "./ancm-settings.js";
import { splitArguments, translateWindowsPathArguments } from "./arguments.js";
import { resolveDebugLog } from "./debug-log.js";
import { attributeError, quote } from "./errors.js";
import { resolveForwardingPipeline } from "./forwarding-pipeline.js";
import { expandEnvironmentVariables, resolveProcessPath, resolveSitePath } from "./paths.js";
import { canonicalAttribute, type KnownAttribute, type RawAncmSettings, type RawNameValue } from "./raw-settings.js";
import { parseRequestTimeout } from "./time-span.js";

/** Integer attributes: ANCM's ranges (`aspnetcore_schema_v2.xml`) and the unit for messages. */
const INTEGER_RANGES = {
  processesPerApplication: { min: 1, max: 100, unit: "" },
  rapidFailsPerMinute: { min: 0, max: 100, unit: "" },
  shutdownTimeLimit: { min: 0, max: 600, unit: " seconds" },
  startupTimeLimit: { min: 0, max: 3600, unit: " seconds" },
} as const;

/**
 * Validates the raw settings and applies ANCM's defaults.
 *
 * - `processPath` is required; `%NAME%` is expanded from `env`, then a value
 *   with a slash or backslash, or starting with `.`, is resolved against the
 *   site root and anything else kept as a bare command.
 * - `arguments` is expanded and split ({@link splitArguments}).
 * - `hostingModel` `inprocess` (default) or `outofprocess`, any case;
 *   `processesPerApplication` 1 to 100 and 1 in-process; `startupTimeLimit`
 *   0 to 3600 s (120); `shutdownTimeLimit` 0 to 600 s (10); `rapidFailsPerMinute`
 *   0 to 100 (10); `requestTimeout` `hh:mm:ss` up to 360 hours (00:02:00);
 *   booleans `true`/`false`, any case.
 * - `stdoutLogFile` (default `aspnetcore-stdout`) is expanded and resolved against the site root.
 * - `forwardWindowsAuthToken` is validated and ignored (a warning when `true`);
 *   unknown attributes are ignored with a warning.
 * - The debug log: see {@link resolveDebugLog}.
 * - x-ancm's `forwardingPipelineDepth` / `forwardingPipelinePatience`: see {@link resolveForwardingPipeline}.
 *
 * @param siteRoot the site root (made absolute)
 * @param source the file the settings came from, kept in `source` and used in messages
 * @param env the front process's environment, for `%NAME%` and `ASPNETCORE_MODULE_DEBUG*`
 * @throws {AncmSettingsError} naming the first invalid attribute
 */
export function resolveAncmSettings(
  raw: RawAncmSettings,
  siteRoot: string,
  source: string,
  env: NodeJS.ProcessEnv = process.env,
): AncmSettings {
  const root = path.resolve(siteRoot);
  const warnings: string[] = [...raw.warnings];
  const given = collectAttributes(raw, source, warnings);

  const hostingModel = parseHostingModel(given.get("hostingModel"), source);
  const inProcess = hostingModel === "inprocess";

  const processPathRaw = given.get("processPath");
  if (processPathRaw === undefined) throw attributeError(source, "processPath", "is required");
  if (processPathRaw.trim() === "") throw attributeError(source, "processPath", "must not be empty");
  const expandedProcessPath = expandEnvironmentVariables(processPathRaw.trim(), env);
  if (expandedProcessPath.trim() === "") {
    throw attributeError(source, "processPath", `${quote(processPathRaw)} is empty once environment variables are expanded`);
  }
  const processPath = resolveProcessPath(expandedProcessPath.trim(), root);

  const args = expandEnvironmentVariables(given.get("arguments") ?? "", env);

  const processesPerApplication = parseInteger(given, "processesPerApplication", ANCM_DEFAULTS.processesPerApplication, source);
  if (inProcess && processesPerApplication !== 1) {
    throw attributeError(
      source,
      "processesPerApplication",
      `${quote(given.get("processesPerApplication") ?? "")} is not allowed in-process: it must be 1 with hostingModel inprocess`,
    );
  }
  const startupTimeLimit = parseInteger(given, "startupTimeLimit", ANCM_DEFAULTS.startupTimeLimitSeconds, source);
  const shutdownTimeLimit = parseInteger(given, "shutdownTimeLimit", ANCM_DEFAULTS.shutdownTimeLimitSeconds, source);
  const rapidFailsPerMinute = parseInteger(given, "rapidFailsPerMinute", ANCM_DEFAULTS.rapidFailsPerMinute, source);
  const requestTimeoutMs = parseRequestTimeout(given.get("requestTimeout") ?? ANCM_DEFAULTS.requestTimeout, "requestTimeout", source);
  if (inProcess) {
    for (const name of ["requestTimeout", "rapidFailsPerMinute"] as const) {
      if (given.has(name)) warnings.push(`aspNetCore/@${name}: does not apply in-process; ignored by hostingModel inprocess`);
    }
  }

  const stdoutLogEnabled = parseBoolean(given, "stdoutLogEnabled", ANCM_DEFAULTS.stdoutLogEnabled, source);
  const disableStartUpErrorPage = parseBoolean(given, "disableStartUpErrorPage", ANCM_DEFAULTS.disableStartUpErrorPage, source);
  if (parseBoolean(given, "forwardWindowsAuthToken", false, source)) {
    warnings.push("aspNetCore/@forwardWindowsAuthToken: Windows authentication tokens are not forwarded by x-ancm; ignored");
  }

  const stdoutLogFileRaw = given.get("stdoutLogFile") ?? ANCM_DEFAULTS.stdoutLogFile;
  const stdoutLogFileExpanded = expandEnvironmentVariables(stdoutLogFileRaw.trim(), env);
  if (stdoutLogFileExpanded.trim() === "") throw attributeError(source, "stdoutLogFile", "must not be empty");
  const stdoutLogFile = resolveSitePath(stdoutLogFileExpanded.trim(), root);

  const environmentVariables = toRecord(raw.environmentVariables, "environmentVariables", "environmentVariable", source);
  const handlerSettings = toRecord(raw.handlerSettings, "handlerSettings", "handlerSetting", source);
  const debugLog = resolveDebugLog(
    {
      debugLevel: findSetting(raw.handlerSettings, "debugLevel"),
      debugFile: findSetting(raw.handlerSettings, "debugFile"),
    },
    root,
    source,
    env,
    warnings,
  );

  const forwardingPipeline = resolveForwardingPipeline((name) => findSetting(raw.handlerSettings, name), source);

  return {
    siteRoot: root,
    source,
    processPath,
    arguments: args,
    argumentList: translateWindowsPathArguments(splitArguments(args), root, existsSync),
    hostingModel,
    environmentVariables,
    processesPerApplication,
    startupTimeLimitMs: startupTimeLimit * 1000,
    shutdownTimeLimitMs: shutdownTimeLimit * 1000,
    requestTimeoutMs,
    rapidFailsPerMinute,
    stdoutLogEnabled,
    stdoutLogFile,
    disableStartUpErrorPage,
    debugLog,
    forwardingPipeline,
    handlerSettings,
    warnings,
  };
}

/** The known attributes by canonical name; unknown ones become warnings, one given twice (in two spellings) an error. */
function collectAttributes(raw: RawAncmSettings, source: string, warnings: string[]): Map<KnownAttribute, string> {
  const given = new Map<KnownAttribute, string>();
  const spelling = new Map<KnownAttribute, string>();
  for (const [name, value] of Object.entries(raw.attributes)) {
    const canonical = canonicalAttribute(name);
    if (canonical === null) {
      warnings.push(`aspNetCore/@${name}: unknown attribute; ignored`);
      continue;
    }
    const earlier = spelling.get(canonical);
    if (earlier !== undefined) {
      throw attributeError(source, canonical, `given twice (as '${earlier}' and '${name}')`);
    }
    spelling.set(canonical, name);
    given.set(canonical, value);
  }
  return given;
}

function parseHostingModel(value: string | undefined, source: string): HostingModel {
  const v = value?.trim().toLowerCase() ?? "";
  if (v === "") return ANCM_DEFAULTS.hostingModel;
  if (v === "inprocess" || v === "outofprocess") return v;
  throw attributeError(source, "hostingModel", `${quote(value ?? "")} is not a hosting model (inprocess or outofprocess)`);
}

function parseInteger(given: Map<KnownAttribute, string>, name: keyof typeof INTEGER_RANGES, fallback: number, source: string): number {
  const value = given.get(name);
  if (value === undefined) return fallback;
  const { min, max, unit } = INTEGER_RANGES[name];
  const range = `(${min} to ${max}${unit})`;
  const text = value.trim();
  if (!/^[+-]?\d+$/.test(text)) throw attributeError(source, name, `${quote(value)} is not an integer ${range}`);
  const n = Number(text);
  if (n < min || n > max) throw attributeError(source, name, `${quote(value)} is out of range ${range}`);
  return n;
}

function parseBoolean(given: Map<KnownAttribute, string>, name: KnownAttribute, fallback: boolean, source: string): boolean {
  const value = given.get(name);
  if (value === undefined) return fallback;
  const v = value.trim().toLowerCase();
  if (v === "true") return true;
  if (v === "false") return false;
  throw attributeError(source, name, `${quote(value)} is not a boolean (true or false)`);
}

/**
 * Name/value pairs as a record, names as written. An empty name, or a name
 * given twice (ignoring case, as Windows environment names and IIS collection
 * keys compare), is an error.
 */
function toRecord(items: readonly RawNameValue[], collection: string, item: string, source: string): Record<string, string> {
  const out: Record<string, string> = {};
  const seen = new Map<string, string>();
  items.forEach((entry, index) => {
    if (entry.name.trim() === "") throw attributeError(source, `${collection}/${item}[${index + 1}]`, "the name must not be empty");
    const lower = entry.name.toLowerCase();
    const earlier = seen.get(lower);
    if (earlier !== undefined) {
      throw attributeError(source, `${collection}/${item}[@name=${entry.name}]`, `given twice (as '${earlier}' and '${entry.name}')`);
    }
    seen.set(lower, entry.name);
    Object.defineProperty(out, entry.name, { value: entry.value, enumerable: true, writable: true, configurable: true });
  });
  return out;
}

/** A handler setting's value, its name matched case-insensitively (as ANCM does). */
function findSetting(items: readonly RawNameValue[], name: string): string | undefined {
  const lower = name.toLowerCase();
  return items.find((i) => i.name.toLowerCase() === lower)?.value;
}
