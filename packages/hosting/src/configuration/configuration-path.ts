/**
 * Configuration paths: `Kestrel:Limits:MaxRequestBodySize`. Segments are
 * joined by `:` and compared case-insensitively everywhere
 * (Microsoft.Extensions.Configuration `ConfigurationPath` and
 * `ConfigurationKeyComparer`).
 *
 * @module
 */

/** The segment separator, as .NET's `ConfigurationPath.KeyDelimiter`. */
export const KEY_DELIMITER = ":";

/**
 * Joins segments into a path. Empty segments are kept, as .NET does, so
 * `combinePath("a", "")` is `"a:"`.
 *
 * @example
 * combinePath("Kestrel", "Limits", "MaxRequestBodySize"); // "Kestrel:Limits:MaxRequestBodySize"
 */
export function combinePath(...segments: readonly string[]): string {
  return segments.join(KEY_DELIMITER);
}

/** Splits a path into its segments. */
export function splitPath(path: string): string[] {
  return path.split(KEY_DELIMITER);
}

/** The last segment of a path: `getSectionKey("A:B:C")` is `"C"`. */
export function getSectionKey(path: string): string {
  const i = path.lastIndexOf(KEY_DELIMITER);
  return i < 0 ? path : path.slice(i + 1);
}

/** The path without its last segment, or `undefined` for a top-level key. */
export function getParentPath(path: string): string | undefined {
  const i = path.lastIndexOf(KEY_DELIMITER);
  return i < 0 ? undefined : path.slice(0, i);
}

/**
 * The lookup form of a key. Every provider stores data under it so a lookup
 * is one `Map.get`, whatever casing the caller used.
 */
export function normalizeKey(key: string): string {
  return key.toLowerCase();
}

/** True when two keys or paths are equal ignoring case. */
export function keysEqual(a: string, b: string): boolean {
  return a === b || normalizeKey(a) === normalizeKey(b);
}

// int.TryParse with NumberStyles.Integer: optional surrounding white space and
// sign, decimal digits, within Int32.
const INTEGER = /^\s*[+-]?\d+\s*$/;
const INT32_MAX = 2_147_483_647;
const INT32_MIN = -2_147_483_648;

function parseInt32(segment: string): number | undefined {
  if (!INTEGER.test(segment)) return undefined;
  const n = Number(segment);
  return n >= INT32_MIN && n <= INT32_MAX ? n : undefined;
}

function compareOrdinalIgnoreCase(a: string, b: string): number {
  // OrdinalIgnoreCase compares upper-cased UTF-16 code units.
  const x = a.toUpperCase();
  const y = b.toUpperCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

function compareSegments(a: string, b: string): number {
  const ai = parseInt32(a);
  const bi = parseInt32(b);
  if (ai === undefined && bi === undefined) return compareOrdinalIgnoreCase(a, b);
  if (ai !== undefined && bi !== undefined) return ai - bi;
  // Integers sort before names, so array elements come first.
  return ai !== undefined ? -1 : 1;
}

/**
 * Orders keys the way .NET's `ConfigurationKeyComparer` does: segment by
 * segment, integer segments numerically (so `"10"` follows `"9"`), then
 * others ordinal-ignore-case, integers before names. Empty segments are
 * skipped, as there.
 */
export function compareConfigurationKeys(a: string, b: string): number {
  const xs = splitPath(a).filter((s) => s !== "");
  const ys = splitPath(b).filter((s) => s !== "");
  const n = Math.min(xs.length, ys.length);
  for (let i = 0; i < n; i++) {
    const result = compareSegments(xs[i], ys[i]);
    if (result !== 0) return result;
  }
  return xs.length - ys.length;
}
