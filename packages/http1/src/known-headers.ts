/**
 * Interned lower-case names for the header fields clients send most, keyed by
 * the spellings seen on the wire, so the common case costs one Map lookup
 * and no `toLowerCase()` (undici's header tree does the same job).
 *
 * @module
 */

const COMMON = [
  "Accept",
  "Accept-Charset",
  "Accept-Encoding",
  "Accept-Language",
  "Authorization",
  "Cache-Control",
  "Connection",
  "Content-Encoding",
  "Content-Length",
  "Content-Type",
  "Cookie",
  "DNT",
  "Expect",
  "Forwarded",
  "Host",
  "If-Match",
  "If-Modified-Since",
  "If-None-Match",
  "If-Range",
  "If-Unmodified-Since",
  "Keep-Alive",
  "Origin",
  "Pragma",
  "Priority",
  "Range",
  "Referer",
  "Sec-Fetch-Dest",
  "Sec-Fetch-Mode",
  "Sec-Fetch-Site",
  "Sec-Fetch-User",
  "Sec-WebSocket-Extensions",
  "Sec-WebSocket-Key",
  "Sec-WebSocket-Protocol",
  "Sec-WebSocket-Version",
  "TE",
  "Trailer",
  "Transfer-Encoding",
  "Upgrade",
  "Upgrade-Insecure-Requests",
  "User-Agent",
  "Via",
  "X-Forwarded-For",
  "X-Forwarded-Host",
  "X-Forwarded-Proto",
  "X-Requested-With",
];

const KNOWN = new Map<string, string>();
for (const name of COMMON) {
  const lower = name.toLowerCase();
  KNOWN.set(name, lower);
  KNOWN.set(lower, lower);
  KNOWN.set(name.toUpperCase(), lower);
}

/** The lower-case name for a raw, already-validated header name. */
export function internHeaderName(raw: string): string {
  return KNOWN.get(raw) ?? raw.toLowerCase();
}

/** Whether a raw name is one of the interned spellings (hence already a valid token). */
export function isKnownHeaderName(raw: string): boolean {
  return KNOWN.has(raw);
}

const METHODS = new Map<string, string>();
for (const m of ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]) METHODS.set(m, m);

/** Interns common method names so equal methods share one string. */
export function internMethod(raw: string): string {
  return METHODS.get(raw) ?? raw;
}
