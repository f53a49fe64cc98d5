/**
 * Interned lower-case names for the header fields clients send most, matched
 * against the read buffer byte by byte, so the common case allocates no name
 * string and calls no `toLowerCase()` (undici's header tree does the same job).
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

/**
 * Known names by length, as [lower-case bytes, name]: a name can be matched
 * against the buffer without allocating a string for it first.
 */
const BY_LENGTH: Array<Array<[Uint8Array, string]>> = [];
for (const name of COMMON) {
  const lower = name.toLowerCase();
  (BY_LENGTH[lower.length] ??= []).push([Buffer.from(lower, "latin1"), lower]);
}

/** The interned lower-case name of `buf[start, end)` if it is a known header, matched case-insensitively. */
export function matchKnownHeader(buf: Buffer, start: number, end: number): string | undefined {
  const candidates = BY_LENGTH[end - start];
  if (candidates === undefined) return undefined;
  outer: for (const [bytes, name] of candidates) {
    for (let i = 0; i < bytes.length; i++) {
      // Token characters only reach here, so OR-ing 0x20 lower-cases letters and leaves '-' alone.
      if ((buf[start + i]! | 0x20) !== bytes[i]) continue outer;
    }
    return name;
  }
  return undefined;
}

/** `GET`, `POST`, `PUT` and `HEAD` recognised from their bytes, without a string allocation. */
export function matchCommonMethod(buf: Buffer, start: number, end: number): string | undefined {
  const n = end - start;
  const c = buf[start];
  if (n === 3) {
    if (c === 0x47 && buf[start + 1] === 0x45 && buf[start + 2] === 0x54) return "GET";
    if (c === 0x50 && buf[start + 1] === 0x55 && buf[start + 2] === 0x54) return "PUT";
  } else if (n === 4) {
    if (c === 0x50 && buf[start + 1] === 0x4f && buf[start + 2] === 0x53 && buf[start + 3] === 0x54) return "POST";
    if (c === 0x48 && buf[start + 1] === 0x45 && buf[start + 2] === 0x41 && buf[start + 3] === 0x44) return "HEAD";
  }
  return undefined;
}

const METHODS = new Map<string, string>();
for (const m of ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]) METHODS.set(m, m);

/** Interns common method names so equal methods share one string. */
export function internMethod(raw: string): string {
  return METHODS.get(raw) ?? raw;
}
