/**
 * Turns a decoded header block into a request head, enforcing the rules of
 * RFC 9113 §8.2 and §8.3.1. A violation makes the request *malformed*
 * (§8.1.1), which is a stream error of type PROTOCOL_ERROR.
 *
 * @module
 */
import { HeaderMap } from "@x/abstractions";
import { ErrorCode, Http2StreamError } from "./frame-types.js";
import type { HeaderField } from "./hpack.js";

/** The request pseudo-header fields, and the regular fields, of one header block. */
export interface RequestHead {
  readonly method: string;
  readonly scheme: string;
  readonly authority: string;
  /** `:path` as received (empty for CONNECT). */
  readonly path: string;
  readonly headers: HeaderMap;
  /** The content-length field, when present and valid. */
  readonly contentLength: number | null;
}

/** §8.2.2: connection-specific fields are malformed in HTTP/2. */
const CONNECTION_SPECIFIC = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]);

/** Field names must be lower-case tokens (§8.2.1, RFC 9110 §5.1). */
const VALID_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
/** §8.2.1: no NUL, CR or LF anywhere, no leading or trailing whitespace. */
const INVALID_VALUE = /[\0\r\n]|^[ \t]|[ \t]$/;
const DIGITS = /^[0-9]{1,15}$/;

function malformed(streamId: number, why: string): Http2StreamError {
  return new Http2StreamError(streamId, ErrorCode.PROTOCOL_ERROR, `Malformed request: ${why}`);
}

function checkField(streamId: number, name: string, value: string): void {
  if (!VALID_NAME.test(name)) throw malformed(streamId, `invalid header name '${name}'`);
  if (INVALID_VALUE.test(value)) throw malformed(streamId, `invalid value for '${name}'`);
  if (CONNECTION_SPECIFIC.has(name)) throw malformed(streamId, `connection-specific header '${name}'`);
  // §8.2.2: TE may only carry "trailers".
  if (name === "te" && value.toLowerCase() !== "trailers") throw malformed(streamId, "TE other than 'trailers'");
}

/** Validates a request header block (§8.3.1) and builds the head. @throws Http2StreamError */
export function readRequestHead(streamId: number, fields: readonly HeaderField[]): RequestHead {
  let method: string | undefined;
  let scheme: string | undefined;
  let authority: string | undefined;
  let path: string | undefined;
  let regular = false;
  const headers = new HeaderMap(undefined, false);
  const cookies: string[] = [];
  for (const { name, value } of fields) {
    if (name.startsWith(":")) {
      // §8.3: pseudo-headers come first, once each, and only the defined ones.
      if (regular) throw malformed(streamId, `pseudo-header '${name}' after regular headers`);
      if (INVALID_VALUE.test(value)) throw malformed(streamId, `invalid value for '${name}'`);
      switch (name) {
        case ":method":
          if (method !== undefined) throw malformed(streamId, "duplicate :method");
          method = value;
          break;
        case ":scheme":
          if (scheme !== undefined) throw malformed(streamId, "duplicate :scheme");
          scheme = value;
          break;
        case ":authority":
          if (authority !== undefined) throw malformed(streamId, "duplicate :authority");
          authority = value;
          break;
        case ":path":
          if (path !== undefined) throw malformed(streamId, "duplicate :path");
          path = value;
          break;
        default:
          throw malformed(streamId, `unknown pseudo-header '${name}'`);
      }
      continue;
    }
    regular = true;
    checkField(streamId, name, value);
    // §8.2.3: split cookie fields are joined with "; " for HTTP/1.1-style consumers.
    if (name === "cookie") cookies.push(value);
    else headers.appendTrusted(name, value);
  }
  if (cookies.length > 0) headers.appendTrusted("cookie", cookies.join("; "));
  if (method === undefined || method === "") throw malformed(streamId, "missing :method");
  if (!VALID_NAME.test(method.toLowerCase())) throw malformed(streamId, "invalid :method");
  if (method === "CONNECT") {
    // §8.5: CONNECT carries only :method and :authority.
    if (scheme !== undefined || path !== undefined || authority === undefined) throw malformed(streamId, "CONNECT needs :authority only");
    return { method, scheme: "", authority, path: "", headers, contentLength: contentLengthOf(streamId, headers) };
  }
  if (scheme === undefined || scheme === "") throw malformed(streamId, "missing :scheme");
  if (path === undefined || path === "") throw malformed(streamId, "missing :path");
  // §8.3.1: origin-form, or "*" for OPTIONS.
  if (!(path.startsWith("/") || (path === "*" && method === "OPTIONS"))) throw malformed(streamId, "invalid :path");
  // §8.3.1: :authority and Host, when both are present, must agree.
  const host = headers.get("host");
  // §8.3.1: ":authority MUST NOT include the deprecated userinfo subcomponent".
  if (authority?.includes("@")) throw malformed(streamId, "userinfo in :authority");
  if (authority !== undefined && host !== undefined && host !== authority) throw malformed(streamId, ":authority and host differ");
  return { method, scheme, authority: authority ?? host ?? "", path, headers, contentLength: contentLengthOf(streamId, headers) };
}

function contentLengthOf(streamId: number, headers: HeaderMap): number | null {
  const values = headers.getAll("content-length");
  if (values.length === 0) return null;
  const first = values[0]!;
  if (!DIGITS.test(first) || values.some((v) => v !== first)) throw malformed(streamId, "invalid content-length");
  return Number(first);
}

/** Trailer fields (§8.1): no pseudo-headers, the same field rules. @throws Http2StreamError */
export function readTrailers(streamId: number, fields: readonly HeaderField[]): HeaderMap {
  const trailers = new HeaderMap(undefined, false);
  for (const { name, value } of fields) {
    if (name.startsWith(":")) throw malformed(streamId, "pseudo-header in trailers");
    checkField(streamId, name, value);
    trailers.appendTrusted(name, value);
  }
  return trailers;
}
