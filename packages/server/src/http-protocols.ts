/**
 * Which HTTP versions an endpoint speaks (Kestrel's `HttpProtocols`).
 *
 * @module
 */
import { OptionsValidationError } from "@x/abstractions";

/** The protocols an endpoint accepts (Kestrel's `HttpProtocols`). */
export const HttpProtocols = {
  Http1: "Http1",
  Http2: "Http2",
  Http1AndHttp2: "Http1AndHttp2",
} as const;
/** One of the {@link HttpProtocols} values. */
export type HttpProtocols = (typeof HttpProtocols)[keyof typeof HttpProtocols];

/** Parses a protocols value from configuration, case-insensitively. */
export function parseHttpProtocols(value: string, key = "Protocols"): HttpProtocols {
  for (const p of Object.values(HttpProtocols)) if (p.toLowerCase() === value.trim().toLowerCase()) return p;
  throw new OptionsValidationError(`'${value}' is not a valid value for ${key}; use Http1, Http2 or Http1AndHttp2`, key);
}

/** Whether this build of the server speaks HTTP/2 (`@x/http2`). */
export const HTTP2_AVAILABLE = true;

/**
 * The ALPN protocol ids (RFC 7301) to offer for `protocols`, most preferred
 * first: the server picks from the client's list in this order (§3.2). `h2`
 * is offered only when HTTP/2 is enabled for the endpoint and implemented.
 */
export function alpnProtocolsFor(protocols: HttpProtocols): string[] {
  const http2 = HTTP2_AVAILABLE && protocols !== HttpProtocols.Http1;
  const http1 = protocols !== HttpProtocols.Http2;
  return [...(http2 ? ["h2"] : []), ...(http1 || !HTTP2_AVAILABLE ? ["http/1.1"] : [])];
}
