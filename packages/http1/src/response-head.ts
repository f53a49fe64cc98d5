/**
 * Status lines and the fixed parts of a response head, as latin1 strings
 * ready to be written in one chunk (undici's `writeH1` does the same).
 *
 * @module
 */
import { InvalidHeaderError, reasonPhrase } from "@x/abstractions";

const STATUS_LINES = new Map<number, string>();

// RFC 9112 §4: reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ); a CR or LF would split the response.
const REASON_PHRASE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** `HTTP/1.1 200 OK\r\n`. Kestrel answers HTTP/1.1 to every request, 1.0 included (RFC 9110 §2.5). */
export function statusLine(status: number, reason: string | undefined): string {
  if (reason !== undefined) {
    if (!REASON_PHRASE.test(reason)) throw new InvalidHeaderError("Invalid character in the reason phrase");
    return `HTTP/1.1 ${status} ${reason}\r\n`;
  }
  let line = STATUS_LINES.get(status);
  if (line === undefined) {
    line = `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\n`;
    STATUS_LINES.set(status, line);
  }
  return line;
}

// Anything outside latin1 would be mangled on the wire; CR/LF/NUL are caught when set.
const NON_LATIN1 = /[^\t\x20-\xff\r\n]/;

/** Throws when a header value cannot be written as bytes (Kestrel rejects non-ASCII values too). */
export function assertWritableHead(head: string): void {
  if (NON_LATIN1.test(head)) {
    throw new InvalidHeaderError("Invalid non-latin1 or control character in a response header; encode the value first");
  }
}

/** Framing-related response fields the server writes itself. */
export const SERVER_MANAGED = new Set(["content-length", "transfer-encoding", "connection", "keep-alive"]);
