/**
 * 256-entry byte class tables for the HTTP/1.1 grammar (RFC 9110 §5.6.2,
 * RFC 9112 §3). A table lookup per byte is the cheapest check in JavaScript.
 *
 * @module
 */

function table(chars: string, ranges: Array<[number, number]> = []): Uint8Array {
  const t = new Uint8Array(256);
  for (const c of chars) t[c.charCodeAt(0)] = 1;
  for (const [from, to] of ranges) for (let c = from; c <= to; c++) t[c] = 1;
  return t;
}

/** tchar (RFC 9110 §5.6.2): method and field-name characters. */
export const TOKEN = table("!#$%&'*+-.^_`|~", [
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x61, 0x7a],
]);

/**
 * Characters allowed in a request-target: visible ASCII except `#` (a
 * fragment is never sent, RFC 9112 §3.2) plus obs-text so UTF-8 paths pass.
 */
export const TARGET = table("", [
  [0x21, 0x22],
  [0x24, 0x7e],
  [0x80, 0xff],
]);

/** field-vchar / SP / HTAB (RFC 9110 §5.5): CTLs other than HTAB, and DEL, are invalid. */
export const FIELD_VALUE = table("\t", [
  [0x20, 0x7e],
  [0x80, 0xff],
]);

/** Hex digit values, or 0xff for a non-hex byte. */
export const HEX = (() => {
  const t = new Uint8Array(256).fill(0xff);
  for (let c = 0; c < 10; c++) t[0x30 + c] = c;
  for (let c = 0; c < 6; c++) {
    t[0x41 + c] = 10 + c;
    t[0x61 + c] = 10 + c;
  }
  return t;
})();

export const CR = 0x0d;
export const LF = 0x0a;
export const SP = 0x20;
export const HTAB = 0x09;
export const COLON = 0x3a;
