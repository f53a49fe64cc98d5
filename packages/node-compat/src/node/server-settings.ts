/**
 * node:http's server settings over Kestrel's limits. `createServer`
 * starts from Kestrel's defaults (`ServerLimits`: 30 MB bodies, 32 KiB of
 * headers, 100 header fields, 130 s keep-alive, 30 s for the request head,
 * minimum data rates); node's names, when set, write the matching limit:
 *
 * | node:http | Kestrel limit |
 * |---|---|
 * | `keepAliveTimeout` | `keepAliveTimeout` |
 * | `headersTimeout` | `requestHeadersTimeout` |
 * | `maxHeadersCount` | `maxRequestHeaderCount` (over it: 431, where node drops the extra fields) |
 * | `maxHeaderSize` (option) | `maxRequestHeadersTotalSize` |
 * | `maxConnections` | `maxConcurrentConnections` |
 *
 * node's `0` ("no timeout", "no limit") becomes the largest value a limit takes.
 *
 * @module
 */
import { type Http2Limits, ServerLimits } from "@x/abstractions";

/** The largest timeout or count a node `0` stands for. */
const UNBOUNDED = 2_147_483_647;

/** `ServerLimits` fields as plain values, `http2` included, for `createServer({ limits })`. */
export type ServerLimitsInit = Partial<Omit<ServerLimits, "http2">> & { http2?: Partial<Http2Limits> };

/** Copies `from` onto `to` field by field (`http2` too). */
export function assignLimits(to: ServerLimits, from: ServerLimitsInit | ServerLimits | undefined): void {
  if (from === undefined) return;
  for (const [key, value] of Object.entries(from)) {
    if (key === "http2") continue;
    if (value !== undefined) (to as unknown as Record<string, unknown>)[key] = value;
  }
  if (from.http2 !== undefined) {
    for (const [key, value] of Object.entries(from.http2)) {
      if (value !== undefined) (to.http2 as unknown as Record<string, unknown>)[key] = value;
    }
  }
}

function checkNonNegative(name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw Object.assign(new RangeError(`The value of "${name}" is out of range. It must be >= 0. Received ${String(value)}`), { code: "ERR_OUT_OF_RANGE" });
  }
  return value;
}

/** node's timeout/count (0 = none) as a Kestrel limit. */
export function fromNodeValue(name: string, value: unknown): number {
  const v = checkNonNegative(name, value);
  return v === 0 ? UNBOUNDED : Math.floor(v);
}

/** A Kestrel limit as node reports it (the unbounded value reads as 0). */
export function toNodeValue(value: number | null): number {
  return value === null || value >= UNBOUNDED ? 0 : value;
}

/** A fresh set of limits with Kestrel's defaults, then `init`. */
export function createLimits(init: ServerLimitsInit | undefined): ServerLimits {
  const limits = new ServerLimits();
  assignLimits(limits, init);
  return limits;
}
