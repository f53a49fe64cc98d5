/**
 * The incremental request-head parser (Kestrel's `HttpParser`). It walks the
 * read buffer a line at a time, remembers how far it has looked, and returns
 * `false` on short input: nothing is consumed until the head is complete, and
 * after a partial read only the new bytes are scanned.
 *
 * Rules (RFC 9112 §2.2, §3, §5): lines end in CRLF (a bare LF or CR is
 * rejected); single spaces separate the request-line parts; obs-fold and
 * whitespace before the colon are rejected; names are tokens; values hold no
 * CTL other than HTAB.
 *
 * @module
 */
import type { ReadonlyServerLimits } from "@x/abstractions";
import { CR, COLON, FIELD_VALUE, HTAB, LF, SP, TARGET, TOKEN } from "./char-tables.js";
import { reject } from "./errors.js";
import type { InputBuffer } from "./input-buffer.js";
import { internMethod, matchCommonMethod, matchKnownHeader } from "./known-headers.js";
import { latin1 } from "./latin1.js";
import { LineCache } from "./line-cache.js";
import type { RequestHead } from "./request-head.js";

const Phase = { RequestLine: 0, Headers: 1 } as const;
type Phase = (typeof Phase)[keyof typeof Phase];

export class RequestHeadParser {
  #phase: Phase = Phase.RequestLine;
  /** Bytes from `input.start` that are whole, parsed lines. */
  #parsed = 0;
  /** Bytes from `input.start` already searched for LF. */
  #scanned = 0;
  /** Offset from `input.start` where header lines begin. */
  #headersStart = 0;
  #headerCount = 0;
  readonly #limits: ReadonlyServerLimits;
  readonly #reuseStrings: boolean;
  /** Strings of the previous request's lines; null when disabled or released while idle. */
  #cache: LineCache | null = null;
  /** Heads parsed on this connection; the cache starts with the second (a one-request connection needs none). */
  #headsParsed = 0;

  constructor(limits: ReadonlyServerLimits, reuseStrings = true) {
    this.#limits = limits;
    this.#reuseStrings = reuseStrings;
  }

  /** Drops the reused strings: an idle keep-alive connection should cost as little as possible. */
  releaseStrings(): void {
    this.#cache = null;
  }

  /** True when nothing of a head has been seen yet (an idle keep-alive connection). */
  get isIdle(): boolean {
    return this.#phase === Phase.RequestLine && this.#parsed === 0 && this.#scanned === 0;
  }

  reset(): void {
    this.#phase = Phase.RequestLine;
    this.#parsed = 0;
    this.#scanned = 0;
    this.#headersStart = 0;
    this.#headerCount = 0;
  }

  /**
   * Parses as much of the head as `input` holds. Returns true and consumes
   * the head once it is complete; returns false (consuming nothing) when more
   * bytes are needed. Throws `Http1ParseError` for a bad head.
   */
  parse(input: InputBuffer, head: RequestHead): boolean {
    const buf = input.buf;
    const base = input.start;
    const end = input.end;
    let lineStart = base + this.#parsed;
    if (this.#reuseStrings && this.#headsParsed > 0) this.#cache ??= new LineCache();
    for (;;) {
      let lf = buf.indexOf(LF, base + this.#scanned);
      if (lf >= end) lf = -1;
      if (lf === -1) {
        this.#scanned = end - base;
        this.#checkPartial(base, lineStart, end);
        return false;
      }
      // RFC 9112 §2.2: a bare LF is rejected (accepting it opens the door to smuggling
      // through proxies that disagree about line ends).
      if (lf === lineStart || buf[lf - 1] !== CR) reject("BareLineFeed");
      const lineEnd = lf - 1;
      if (this.#phase === Phase.RequestLine) {
        if (lineEnd === lineStart && lineStart - base < 8) {
          // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request-line.
          lineStart = lf + 1;
          this.#parsed = this.#scanned = lineStart - base;
          continue;
        }
        if (lf + 1 - lineStart > this.#limits.maxRequestLineSize) reject("RequestLineTooLong");
        const cache = this.#cache;
        if (cache?.matches(0, buf, lineStart, lineEnd)) {
          // The version is part of the cached bytes: a 1.0 line never matches a 1.1 one.
          head.method = cache.first(0);
          head.rawTarget = cache.second(0);
          head.versionMinor = buf[lineEnd - 1] === 0x30 ? 0 : 1;
        } else {
          parseRequestLine(buf, lineStart, lineEnd, head);
          cache?.store(0, buf, lineStart, lineEnd, head.method, head.rawTarget);
        }
        this.#phase = Phase.Headers;
        this.#headersStart = lf + 1 - base;
      } else if (lineEnd === lineStart) {
        head.complete();
        this.#headsParsed++;
        input.consumeTo(lf + 1);
        this.reset();
        return true;
      } else {
        if (lf + 1 - (base + this.#headersStart) > this.#limits.maxRequestHeadersTotalSize) reject("HeadersTooLarge");
        if (++this.#headerCount > this.#limits.maxRequestHeaderCount) reject("TooManyHeaders");
        const cache = this.#cache;
        const index = this.#headerCount;
        if (cache?.matches(index, buf, lineStart, lineEnd)) {
          applyHeader(head, cache.first(index), cache.second(index));
        } else {
          readFieldLine(buf, lineStart, lineEnd, field);
          applyHeader(head, field.name, field.value);
          cache?.store(index, buf, lineStart, lineEnd, field.name, field.value);
        }
      }
      lineStart = lf + 1;
      this.#parsed = this.#scanned = lineStart - base;
    }
  }

  /** Limits apply before the line is complete, or a client could send endless bytes. */
  #checkPartial(base: number, lineStart: number, end: number): void {
    if (this.#phase === Phase.RequestLine) {
      if (end - lineStart > this.#limits.maxRequestLineSize) reject("RequestLineTooLong");
    } else if (end - (base + this.#headersStart) > this.#limits.maxRequestHeadersTotalSize) {
      reject("HeadersTooLarge");
    }
  }
}

function parseRequestLine(buf: Buffer, start: number, end: number, head: RequestHead): void {
  let i = start;
  while (i < end && TOKEN[buf[i]!] === 1) i++;
  if (i === start || i === end || buf[i] !== SP) reject("InvalidRequestLine");
  head.method = matchCommonMethod(buf, start, i) ?? internMethod(latin1(buf, start, i));
  const targetStart = ++i;
  while (i < end && TARGET[buf[i]!] === 1) i++;
  if (i === targetStart || i === end || buf[i] !== SP) reject(i < end && buf[i] !== SP ? "InvalidRequestTarget" : "InvalidRequestLine");
  head.rawTarget = latin1(buf, targetStart, i);
  i++;
  // HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3), and nothing after it.
  if (
    end - i !== 8 ||
    buf[i] !== 0x48 ||
    buf[i + 1] !== 0x54 ||
    buf[i + 2] !== 0x54 ||
    buf[i + 3] !== 0x50 ||
    buf[i + 4] !== 0x2f ||
    buf[i + 6] !== 0x2e ||
    !isDigit(buf[i + 5]!) ||
    !isDigit(buf[i + 7]!)
  ) {
    reject("InvalidRequestLine");
  }
  const major = buf[i + 5]! - 0x30;
  const minor = buf[i + 7]! - 0x30;
  if (major !== 1 || minor > 1) reject("UnsupportedHttpVersion", `HTTP/${major}.${minor}`);
  head.versionMinor = minor;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** The name and value of the last field line read; reused to avoid a tuple per line. */
export interface FieldLine {
  name: string;
  value: string;
}

/** Reads one field line (RFC 9112 §5) into `out`, with `name` lower-cased. */
export function readFieldLine(buf: Buffer, start: number, end: number, out: FieldLine): void {
  const first = buf[start]!;
  // RFC 9112 §5.2: obs-fold is rejected with 400.
  if (first === SP || first === HTAB) reject("ObsoleteLineFolding");
  let i = start;
  while (i < end && TOKEN[buf[i]!] === 1) i++;
  if (i === end || buf[i] !== COLON) {
    // RFC 9112 §5.1: "A server MUST reject, with a response status code of 400 (Bad
    // Request), any received request message that contains whitespace between a header
    // field name and colon."
    reject(buf[i] === SP || buf[i] === HTAB ? "WhitespaceBeforeColon" : "InvalidHeaderName");
  }
  if (i === start) reject("InvalidHeaderName");
  const nameEnd = i;
  let v = i + 1;
  while (v < end && (buf[v] === SP || buf[v] === HTAB)) v++;
  let e = end;
  while (e > v && (buf[e - 1] === SP || buf[e - 1] === HTAB)) e--;
  for (let j = v; j < e; j++) if (FIELD_VALUE[buf[j]!] === 0) reject("InvalidHeaderValue");
  out.value = latin1(buf, v, e);
  out.name = matchKnownHeader(buf, start, nameEnd) ?? latin1(buf, start, nameEnd).toLowerCase();
}

const field: FieldLine = { name: "", value: "" };

/** Records one header field and the ones the message rules need (RFC 9112 §6, §9). */
function applyHeader(head: RequestHead, name: string, value: string): void {
  head.headers.appendTrusted(name, value);
  switch (name) {
    case "content-length":
      head.setContentLength(value);
      break;
    case "transfer-encoding":
      head.addTransferEncoding(value);
      break;
    case "host":
      head.hostCount++;
      head.host = value;
      break;
    case "connection":
      head.addConnection(value);
      break;
    case "expect":
      if (value.toLowerCase() === "100-continue") head.expectContinue = true;
      break;
    case "upgrade":
      head.upgrade = value;
      break;
  }
}
