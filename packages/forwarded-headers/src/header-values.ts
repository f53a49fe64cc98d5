/**
 * Reading and rewriting comma-separated forwarded header values.
 *
 * As ASP.NET Core's `GetCommaSeparatedValues`, every occurrence of the field
 * counts, values are split on `,`, trimmed, and empty ones are dropped
 * (`a, , b` is two values). Quoted strings get no special treatment: none of
 * the three X-Forwarded-* grammars allows a comma inside a value.
 *
 * @module
 */
import type { HeaderMap } from "@x/abstractions";

const NO_VALUES: readonly string[] = Object.freeze([]);

function splitInto(field: string, out: string[]): void {
  let start = 0;
  while (start <= field.length) {
    let comma = field.indexOf(",", start);
    if (comma === -1) comma = field.length;
    const value = field.slice(start, comma).trim();
    if (value.length > 0) out.push(value);
    start = comma + 1;
  }
}

/** Every value of `name`, left to right, across all its occurrences. Linear in the header's length. */
export function commaSeparatedValues(headers: HeaderMap, name: string): readonly string[] {
  const raw = headers.getRaw(name);
  if (raw === undefined) return NO_VALUES;
  const out: string[] = [];
  if (typeof raw === "string") splitInto(raw, out);
  else for (const field of raw) splitInto(field, out);
  return out;
}

/**
 * Drops the `consumed` rightmost values of `name`: keeps the rest joined by
 * `, `, or deletes the field when nothing is left.
 */
export function truncateConsumed(headers: HeaderMap, name: string, values: readonly string[], consumed: number): void {
  const remaining = values.length - consumed;
  if (remaining > 0) headers.set(name, values.slice(0, remaining).join(", "));
  else headers.delete(name);
}
