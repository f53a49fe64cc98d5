/**
 * Typed reads of single values (.NET `ConfigurationBinder.GetValue<T>`).
 * Each returns `undefined` when the key is absent and throws
 * {@link ConfigurationBindingError}, naming the full key, when the value is
 * present but malformed: a typo in a limit should stop startup, not silently
 * fall back to the default.
 *
 * @module
 */
import type { Configuration } from "./configuration.js";
import { parseTimeSpan } from "./time-span.js";
import { parseBooleanValue, parseNumberValue } from "./value-parsers.js";

/**
 * @example
 * getString(config, "urls"); // "http://a;http://b"
 */
export function getString(config: Configuration, key: string): string | undefined {
  return config.get(key);
}

/**
 * @example
 * getNumber(config, "Kestrel:Limits:MaxRequestBodySize"); // 1024
 */
export function getNumber(config: Configuration, key: string): number | undefined {
  const raw = config.get(key);
  return raw === undefined ? undefined : parseNumberValue(raw, fullPath(config, key));
}

/**
 * @example
 * getBoolean(config, "Kestrel:AddServerHeader"); // false
 */
export function getBoolean(config: Configuration, key: string): boolean | undefined {
  const raw = config.get(key);
  return raw === undefined ? undefined : parseBooleanValue(raw, fullPath(config, key));
}

/**
 * Reads a .NET TimeSpan string (see {@link parseTimeSpan}) as milliseconds.
 *
 * @example
 * getTimeSpan(config, "Kestrel:Limits:KeepAliveTimeout"); // 130000 for "00:02:10"
 */
export function getTimeSpan(config: Configuration, key: string): number | undefined {
  const raw = config.get(key);
  return raw === undefined ? undefined : parseTimeSpan(raw, fullPath(config, key));
}

// The key relative to a section is ambiguous in an error message; the
// section's path for it is not.
function fullPath(config: Configuration, key: string): string {
  return config.getSection(key).path;
}
