/**
 * Request path decoding as Kestrel does it: percent-decode as UTF-8 except
 * `%2F` (which would change the path's segments), then remove dot segments
 * (RFC 3986 §5.2.4) so `/a/../b` can never climb above the root.
 *
 * @module
 */

/** Splits an origin-form target into its decoded path and its raw query (with `?`). */
export function splitTarget(target: string): { path: string; query: string } {
  const q = target.indexOf("?");
  const rawPath = q === -1 ? target : target.slice(0, q);
  const query = q === -1 ? "" : target.slice(q);
  return { path: normalizePath(rawPath), query };
}

import { HEX } from "./char-tables.js";

// The target reaches us as latin1; raw bytes >= 0x80 (obs-text, RFC 9112 §3.2) are UTF-8 just
// like percent-encoded ones, so they need the same decoding (Kestrel decodes both as UTF-8).
const NEEDS_DECODING = /[%\x80-\xff]/;

/** Decodes and normalizes a raw absolute path. Fast path: nothing to do for plain ASCII paths. */
export function normalizePath(rawPath: string): string {
  let path = NEEDS_DECODING.test(rawPath) ? decodePath(rawPath) : rawPath;
  if (path.includes("/.")) path = removeDotSegments(path);
  return path;
}

function decodePath(raw: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    // The target is latin1 (one char per byte), so char codes index the byte tables directly.
    const hi = c === 0x25 /* % */ && i + 2 < raw.length ? HEX[raw.charCodeAt(i + 1)]! : 0xff;
    const lo = hi !== 0xff ? HEX[raw.charCodeAt(i + 2)]! : 0xff;
    if (lo !== 0xff) {
      const b = hi * 16 + lo;
      if (b === 0x2f) {
        // Keep %2F encoded: decoding it would turn data into a path separator.
        bytes.push(0x25, raw.charCodeAt(i + 1), raw.charCodeAt(i + 2));
      } else {
        bytes.push(b);
      }
      i += 2;
    } else {
      bytes.push(c & 0xff);
    }
  }
  const buf = Buffer.from(bytes);
  const decoded = buf.toString("utf8");
  // Invalid UTF-8 would decode to U+FFFD; keep the raw form instead, as Kestrel does.
  return decoded.includes("\ufffd") && !raw.includes("\ufffd") ? raw : decoded;
}

/** RFC 3986 §5.2.4 for an absolute path. */
export function removeDotSegments(path: string): string {
  const out: string[] = [];
  const segments = path.split("/");
  // segments[0] is "" for an absolute path.
  for (let i = 1; i < segments.length; i++) {
    const s = segments[i]!;
    const last = i === segments.length - 1;
    if (s === ".") {
      if (last) out.push("");
    } else if (s === "..") {
      out.pop();
      if (last) out.push("");
    } else {
      out.push(s);
    }
  }
  return `/${out.join("/")}`;
}
