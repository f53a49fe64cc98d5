/** Test-only: the record form of the parser's flat header list (repeated fields as arrays), for lookups in assertions. */
import type { HeaderList } from "../../src/proxy/response-parser.js";

export function headerRecord(list: HeaderList): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i]!;
    const value = list[i + 1]!;
    const existing = out[name];
    if (existing === undefined) out[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else out[name] = [existing, value];
  }
  return out;
}

