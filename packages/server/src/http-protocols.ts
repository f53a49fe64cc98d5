/**
 * Which HTTP versions an endpoint speaks (Kestrel's `HttpProtocols`).
 *
 * @module
 */
import { OptionsValidationError } from "@x/abstractions";

export const HttpProtocols = {
  Http1: "Http1",
  Http2: "Http2",
  Http1AndHttp2: "Http1AndHttp2",
} as const;
export type HttpProtocols = (typeof HttpProtocols)[keyof typeof HttpProtocols];

/** Parses a protocols value from configuration, case-insensitively. */
export function parseHttpProtocols(value: string, key = "Protocols"): HttpProtocols {
  for (const p of Object.values(HttpProtocols)) if (p.toLowerCase() === value.trim().toLowerCase()) return p;
  throw new OptionsValidationError(`'${value}' is not a valid value for ${key}; use Http1, Http2 or Http1AndHttp2`, key);
}
