/**
 * Reads `ancm.json`: the `aspNetCore` element's settings as a JSON object,
 * for sites without a `web.config`.
 *
 * @module
 */
import { AncmSettingsError, attributeError } from "./errors.js";
import type { RawAncmSettings, RawNameValue } from "./raw-settings.js";

/**
 * Parses `ancm.json` and returns the settings as strings, like {@link parseWebConfig}.
 *
 * ```json
 * {
 *   "processPath": "node",
 *   "arguments": "server.js",
 *   "hostingModel": "outofprocess",
 *   "startupTimeLimit": 60,
 *   "stdoutLogEnabled": true,
 *   "environmentVariables": { "NODE_ENV": "production" },
 *   "handlerSettings": { "debugLevel": "FILE,TRACE" }
 * }
 * ```
 *
 * The object may also be wrapped as `{ "aspNetCore": { ... } }`. Keys are
 * the `aspNetCore` attribute names, matched case-insensitively; values may be
 * strings, numbers or booleans (turned into their text), and `null` counts as
 * absent. `environmentVariables` and `handlerSettings` are objects of names to
 * values, or arrays of `{ "name": ..., "value": ... }`. A `$schema` key is
 * ignored; other objects and arrays are ignored with a warning.
 *
 * @param source the file name for error messages
 * @throws {AncmSettingsError} on invalid JSON (with line and column), a
 *   top level that is not an object, or values of the wrong type
 */
export function parseAncmJson(text: string, source: string): RawAncmSettings {
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    throw new AncmSettingsError(`${source}: invalid JSON${jsonErrorPosition(body, err)}: ${jsonErrorMessage(err)}`, source, "", {
      cause: err,
    });
  }
  if (!isObject(parsed)) {
    throw new AncmSettingsError(`${source}: the settings must be a JSON object`, source, "");
  }

  const warnings: string[] = [];
  let settings = parsed;
  const wrapperKey = Object.keys(parsed).find((k) => k.toLowerCase() === "aspnetcore");
  if (wrapperKey !== undefined) {
    const inner = parsed[wrapperKey];
    if (!isObject(inner)) {
      throw attributeError(source, "aspNetCore", "must be a JSON object");
    }
    for (const key of Object.keys(parsed)) {
      if (key !== wrapperKey && key !== "$schema") warnings.push(`${key}: outside aspNetCore; ignored`);
    }
    settings = inner;
  }

  const attributes: Record<string, string> = {};
  const environmentVariables: RawNameValue[] = [];
  const handlerSettings: RawNameValue[] = [];
  for (const [key, value] of Object.entries(settings)) {
    const lower = key.toLowerCase();
    if (key === "$schema" || value === null) continue;
    if (lower === "environmentvariables") {
      readCollection(value, "environmentVariables", "environmentVariable", environmentVariables, source);
    } else if (lower === "handlersettings") {
      readCollection(value, "handlerSettings", "handlerSetting", handlerSettings, source);
    } else if (isScalar(value)) {
      Object.defineProperty(attributes, key, { value: String(value), enumerable: true, writable: true, configurable: true });
    } else {
      warnings.push(`aspNetCore/${key}: not a string, number or boolean; ignored`);
    }
  }
  return { attributes, environmentVariables, handlerSettings, warnings };
}

function readCollection(value: unknown, collectionName: string, itemName: string, into: RawNameValue[], source: string): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      const where = `${collectionName}/${itemName}[${index + 1}]`;
      if (!isObject(item)) throw attributeError(source, where, 'must be an object { "name": ..., "value": ... }');
      const name = field(item, "name");
      const itemValue = field(item, "value");
      if (name === undefined || name === null) throw attributeError(source, where, "the name is required");
      if (typeof name !== "string") throw attributeError(source, where, "the name must be a string");
      const named = `${collectionName}/${itemName}[@name=${name}]`;
      if (itemValue === undefined || itemValue === null) throw attributeError(source, named, "the value is required");
      if (!isScalar(itemValue)) throw attributeError(source, named, "the value must be a string, number or boolean");
      into.push({ name, value: String(itemValue) });
    });
    return;
  }
  if (!isObject(value)) {
    throw attributeError(source, collectionName, "must be an object of names to values");
  }
  for (const [name, itemValue] of Object.entries(value)) {
    const named = `${collectionName}/${itemName}[@name=${name}]`;
    if (itemValue === null) throw attributeError(source, named, "the value is required");
    if (!isScalar(itemValue)) throw attributeError(source, named, "the value must be a string, number or boolean");
    into.push({ name, value: String(itemValue) });
  }
}

function field(item: Record<string, unknown>, name: string): unknown {
  const key = Object.keys(item).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : item[key];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean";
}

/** ` at line L, column C` from a `JSON.parse` error's `position N` (or the end of input). */
function jsonErrorPosition(text: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const m = /position (\d+)/.exec(message);
  const offset = m !== null ? Number(m[1]) : /end of (JSON )?input/i.test(message) ? text.length : undefined;
  if (offset === undefined) return "";
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - (before.lastIndexOf("\n") + 1) + 1;
  return ` at line ${line}, column ${column} (position ${offset})`;
}

/** The engine's message without its own position suffix. */
function jsonErrorMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/\s*\(line \d+ column \d+\)$/, "").replace(/ in JSON at position \d+$/, "");
}
