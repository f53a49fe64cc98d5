/**
 * String-to-scalar conversions shared by the binder and the typed getters.
 * Each names the configuration key when it rejects a value.
 *
 * @module
 */
import { ConfigurationBindingError } from "./errors.js";

// Invariant-culture decimal, as .NET's NumberStyles.Float: optional sign,
// digits with an optional decimal point, optional exponent. No thousands
// separators, no hex; surrounding white space is allowed.
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

/**
 * @throws ConfigurationBindingError for `""`, `"abc"`, `"1e"` or a value out of the double range.
 *   `NaN` and `Infinity` are rejected too: no server setting means them.
 */
export function parseNumberValue(raw: string, key: string): number {
  const text = raw.trim();
  const value = DECIMAL.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(value)) throw new ConfigurationBindingError(key, raw, "number");
  return value;
}

/** Accepts `true` and `false` in any case, as .NET's `bool.Parse`. */
export function parseBooleanValue(raw: string, key: string): boolean {
  const text = raw.trim().toLowerCase();
  if (text === "true") return true;
  if (text === "false") return false;
  throw new ConfigurationBindingError(key, raw, "boolean");
}

/** Accepts a decimal integer of any size. */
export function parseBigIntValue(raw: string, key: string): bigint {
  const text = raw.trim();
  if (!INTEGER.test(text)) throw new ConfigurationBindingError(key, raw, "bigint");
  return BigInt(text);
}
