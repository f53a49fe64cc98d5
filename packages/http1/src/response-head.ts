/**
 * Status lines and the fixed parts of a response head, as latin1 strings
 * ready to be written in one chunk (undici's `writeH1` does the same).
 *
 * @module
 */
import { HeaderMap, InvalidHeaderError, reasonPhrase } from "@x/abstractions";

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

/** `name: value\r\n`, one line per value of a repeated field (Set-Cookie must never be joined). */
export function fieldLines(name: string, value: string | readonly string[]): string {
  if (typeof value === "string") return `${name}: ${value}\r\n`;
  let lines = "";
  for (const v of value) lines += `${name}: ${v}\r\n`;
  return lines;
}

/** The head of a 1xx interim response without its final CRLF; names and values are validated. */
export function informationalHead(status: number, headers: Iterable<readonly [string, string | readonly string[]]> | undefined): string {
  let head = statusLine(status, undefined);
  if (headers === undefined) return head;
  const checked = new HeaderMap();
  for (const [name, value] of headers) checked.append(name, value);
  for (const [name, value] of checked) head += fieldLines(name, value);
  return head;
}
