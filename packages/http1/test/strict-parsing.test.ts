/**
 * One row per parsing rule: raw request bytes in, status out, and for every
 * rejection the connection closed. Row names cite the rule.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { echoApp, type Echo, lines, rawRequest, startServer, type TestServer } from "./harness.js";

interface Row {
  name: string;
  request: string;
  status: number;
  /** Checks on what the app saw (200 rows only). */
  echo?: Partial<Echo>;
}

const get = (...headers: string[]): string => lines("GET / HTTP/1.1", ...headers, "", "");
const chunked = (...body: string[]): string => lines("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: chunked", "", ...body);

const LIMITS = { maxRequestLineSize: 256, maxRequestHeadersTotalSize: 1024, maxRequestHeaderCount: 10, maxRequestBodySize: 64 };

const rows: Row[] = [
  // ---- line endings and field syntax
  { name: "RFC 9112 §2.2: a bare LF ending the request line is rejected", request: "GET / HTTP/1.1\nHost: a\r\n\r\n", status: 400 },
  { name: "RFC 9112 §2.2: a bare LF ending a header line is rejected", request: "GET / HTTP/1.1\r\nHost: a\n\r\n", status: 400 },
  { name: "RFC 9112 §2.2: a request using only LF line endings is rejected", request: "GET / HTTP/1.1\nHost: a\n\n", status: 400 },
  { name: "RFC 9110 §5.5: a CR inside a header value is rejected", request: get("Host: a", "X: a\rb"), status: 400 },
  { name: "RFC 9110 §5.5: a NUL inside a header value is rejected", request: get("Host: a", "X: a\0b"), status: 400 },
  { name: "RFC 9110 §5.5: a DEL inside a header value is rejected", request: get("Host: a", "X: a\x7fb"), status: 400 },
  { name: "RFC 9112 §5.2: obs-fold (a continuation line) is rejected", request: get("Host: a", "X: a", " folded"), status: 400 },
  { name: "RFC 9112 §5.1: whitespace between a field name and the colon is rejected", request: get("Host : a"), status: 400 },
  { name: "RFC 9112 §5.1: a tab between a field name and the colon is rejected", request: get("Host: a", "X\t: b"), status: 400 },
  { name: "RFC 9110 §5.1: a header name with a non-token character is rejected", request: get("Host: a", "X(y: 1"), status: 400 },
  { name: "RFC 9110 §5.1: an empty header name is rejected", request: get("Host: a", ": 1"), status: 400 },
  { name: "RFC 9110 §5.1: a header line without a colon is rejected", request: get("Host: a", "NoColon"), status: 400 },
  { name: "RFC 9110 §5.5: horizontal tabs and obs-text in a value are accepted", request: get("Host: a", "X: a\tb\xe9"), status: 200 },

  // ---- request line (RFC 9112 §3)
  { name: "RFC 9112 §3: a method with a non-token character is rejected", request: lines("G(T / HTTP/1.1", "Host: a", "", ""), status: 400 },
  { name: "RFC 9112 §3: an empty method is rejected", request: lines(" / HTTP/1.1", "Host: a", "", ""), status: 400 },
  { name: "RFC 9112 §3: two spaces between method and target are rejected", request: lines("GET  / HTTP/1.1", "Host: a", "", ""), status: 400 },
  { name: "RFC 9112 §3: two spaces between target and version are rejected", request: lines("GET /  HTTP/1.1", "Host: a", "", ""), status: 400 },
  { name: "RFC 9112 §3: a space after the version is rejected", request: lines("GET / HTTP/1.1 ", "Host: a", "", ""), status: 400 },
  { name: "RFC 9112 §3: a tab as separator is rejected", request: lines("GET\t/ HTTP/1.1", "Host: a", "", ""), status: 400 },
  { name: "RFC 9112 §3: a request line without a version is rejected", request: lines("GET /", "Host: a", "", ""), status: 400 },
  { name: "Kestrel: a percent-encoded NUL in the path is rejected", request: lines("GET /a%00b HTTP/1.1", "Host: a", "", ""), status: 400 },
  { name: "Kestrel: a percent-encoded NUL inside a UTF-8 sequence is rejected", request: lines("GET /%E8%00%84 HTTP/1.1", "Host: a", "", ""), status: 400 },
  { name: "Kestrel: a percent-encoded NUL in an absolute-form path is rejected", request: lines("GET http://h/%00 HTTP/1.1", "Host: a", "", ""), status: 400 },
  { name: "Kestrel: a percent-encoded NUL in the query is left to the app", request: lines("GET /a?x=%00 HTTP/1.1", "Host: a", "", ""), status: 200, echo: { query: "?x=%00" } },
  { name: "RFC 9112 §3.2: a fragment in the target is rejected", request: lines("GET /a#b HTTP/1.1", "Host: a", "", ""), status: 400 },
  { name: "RFC 9112 §2.3: HTTP/1.2 gets 505", request: lines("GET / HTTP/1.2", "Host: a", "", ""), status: 505 },
  { name: "RFC 9112 §2.3: HTTP/2.0 gets 505", request: lines("GET / HTTP/2.0", "Host: a", "", ""), status: 505 },
  { name: "RFC 9112 §2.3: HTTP/0.9 gets 505", request: lines("GET / HTTP/0.9", "Host: a", "", ""), status: 505 },
  { name: "RFC 9112 §2.3: HTTP/1.1x is not a version (400)", request: lines("GET / HTTP/1.1x", "Host: a", "", ""), status: 400 },
  { name: "RFC 9112 §2.3: HTTX/1.1 is not a version (400)", request: lines("GET / HTTX/1.1", "Host: a", "", ""), status: 400 },
  { name: "RFC 9112 §2.3: HTTP/1.10 is not a version (400)", request: lines("GET / HTTP/1.10", "Host: a", "", ""), status: 400 },
  { name: "RFC 9112 §2.3: a lower-case http/1.1 is rejected (the name is case-sensitive)", request: lines("GET / http/1.1", "Host: a", "", ""), status: 400 },
  { name: "RFC 9112 §2.2: one empty line before the request line is ignored", request: "\r\n" + get("Host: a"), status: 200 },

  // ---- request-target forms (RFC 9112 §3.2)
  { name: "RFC 9112 §3.2.4: OPTIONS * is accepted and the app sees an empty path", request: lines("OPTIONS * HTTP/1.1", "Host: a", "", ""), status: 200, echo: { method: "OPTIONS", path: "" } },
  { name: "RFC 9112 §3.2.4: the asterisk form with GET is rejected", request: lines("GET * HTTP/1.1", "Host: a", "", ""), status: 400 },
  {
    name: "RFC 9112 §3.2.2: absolute-form overrides Host; the app sees its authority, path and query",
    request: lines("GET http://example.com/a?b HTTP/1.1", "Host: other", "", ""),
    status: 200,
    echo: { host: "example.com", path: "/a", query: "?b" },
  },
  { name: "RFC 9112 §3.2.2: absolute-form with an empty path means /", request: lines("GET http://example.com HTTP/1.1", "Host: other", "", ""), status: 200, echo: { path: "/" } },
  { name: "RFC 9112 §3.2.2: absolute-form with userinfo is rejected", request: lines("GET http://u@example.com/ HTTP/1.1", "Host: a", "", ""), status: 400 },
  {
    name: "RFC 9112 §3.2.3: CONNECT with authority-form is parsed",
    request: lines("CONNECT example.com:443 HTTP/1.1", "Host: example.com:443", "", ""),
    status: 200,
    echo: { method: "CONNECT", host: "example.com:443", path: "" },
  },
  { name: "RFC 9112 §3.2.3: CONNECT without a port is rejected", request: lines("CONNECT example.com HTTP/1.1", "Host: example.com", "", ""), status: 400 },
  { name: "RFC 9112 §3.2.3: CONNECT with origin-form is rejected", request: lines("CONNECT / HTTP/1.1", "Host: a", "", ""), status: 400 },
  { name: "RFC 9112 §3.2.3: authority-form with GET is rejected", request: lines("GET example.com:80 HTTP/1.1", "Host: a", "", ""), status: 400 },

  // ---- Host (RFC 9112 §3.2)
  { name: "RFC 9112 §3.2: an HTTP/1.1 request without Host is rejected", request: get(), status: 400 },
  { name: "RFC 9112 §3.2: two Host header lines are rejected", request: get("Host: a", "Host: a"), status: 400 },
  { name: "RFC 9112 §3.2: a Host value with a space is rejected", request: get("Host: exa mple.com"), status: 400 },
  { name: "RFC 9112 §3.2: a Host value with a slash is rejected", request: get("Host: a/b"), status: 400 },
  { name: "RFC 9112 §3.2: a Host value with a non-numeric port is rejected", request: get("Host: a:http"), status: 400 },
  { name: "RFC 9112 §3.2: an empty Host is accepted", request: get("Host:"), status: 200, echo: { host: "" } },
  { name: "RFC 9112 §3.2: an IPv6 literal Host with a port is accepted", request: get("Host: [::1]:8080"), status: 200, echo: { host: "[::1]:8080" } },
  { name: "RFC 9112 §3.2: an HTTP/1.0 request may omit Host", request: lines("GET / HTTP/1.0", "", ""), status: 200, echo: { protocol: "HTTP/1.0" } },

  // ---- Content-Length (RFC 9110 §8.6, RFC 9112 §6.3)
  {
    name: "RFC 9112 §6.3: Content-Length together with Transfer-Encoding is rejected",
    request: lines("POST / HTTP/1.1", "Host: a", "Content-Length: 5", "Transfer-Encoding: chunked", "", "0", "", ""),
    status: 400,
  },
  { name: "RFC 9110 §8.6: two different Content-Length values are rejected", request: lines("POST / HTTP/1.1", "Host: a", "Content-Length: 5", "Content-Length: 6", "", "hello!"), status: 400 },
  { name: "RFC 9110 §8.6: a list of different Content-Length values is rejected", request: lines("POST / HTTP/1.1", "Host: a", "Content-Length: 5, 6", "", "hello!"), status: 400 },
  {
    name: "RFC 9110 §8.6: two identical Content-Length lines are accepted",
    request: lines("POST / HTTP/1.1", "Host: a", "Content-Length: 5", "Content-Length: 5", "", "hello"),
    status: 200,
    echo: { body: "hello" },
  },
  { name: "RFC 9110 §8.6: a list of identical Content-Length values is accepted", request: lines("POST / HTTP/1.1", "Host: a", "Content-Length: 5, 5", "", "hello"), status: 200, echo: { body: "hello" } },
  { name: "RFC 9110 §8.6: a non-numeric Content-Length is rejected", request: lines("POST / HTTP/1.1", "Host: a", "Content-Length: abc", "", ""), status: 400 },
  { name: "RFC 9110 §8.6: a negative Content-Length is rejected", request: lines("POST / HTTP/1.1", "Host: a", "Content-Length: -1", "", ""), status: 400 },
  { name: "RFC 9110 §8.6: a signed Content-Length is rejected", request: lines("POST / HTTP/1.1", "Host: a", "Content-Length: +5", "", "hello"), status: 400 },
  { name: "RFC 9110 §8.6: a hexadecimal Content-Length is rejected", request: lines("POST / HTTP/1.1", "Host: a", "Content-Length: 0x5", "", "hello"), status: 400 },
  { name: "RFC 9110 §8.6: an empty Content-Length is rejected", request: lines("POST / HTTP/1.1", "Host: a", "Content-Length:", "", ""), status: 400 },
  { name: "RFC 9112 §6.3: an overflowing Content-Length is rejected", request: lines("POST / HTTP/1.1", "Host: a", "Content-Length: 99999999999999999999", "", ""), status: 400 },
  { name: "RFC 9110 §8.6: Content-Length 0 means no body", request: lines("POST / HTTP/1.1", "Host: a", "Content-Length: 0", "", ""), status: 200, echo: { body: "" } },

  // ---- Transfer-Encoding (RFC 9112 §6.1, §6.3)
  { name: "RFC 9112 §6.3: a final transfer coding other than chunked (gzip) is rejected", request: lines("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: gzip", "", ""), status: 400 },
  { name: "RFC 9112 §6.1: chunked applied twice is rejected", request: lines("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: chunked, chunked", "", "0", "", ""), status: 400 },
  {
    name: "RFC 9112 §6.1: chunked applied twice over two header lines is rejected",
    request: lines("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: chunked", "Transfer-Encoding: chunked", "", "0", "", ""),
    status: 400,
  },
  { name: "RFC 9112 §6.3: chunked before another coding is rejected", request: lines("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: chunked, gzip", "", "0", "", ""), status: 400 },
  { name: "RFC 9112 §6.1: a coding the server does not decode, before chunked, gets 501 and a close", request: lines("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: gzip, chunked", "", "0", "", ""), status: 501 },
  { name: "RFC 9112 §6.1: the same across two Transfer-Encoding fields", request: lines("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: deflate", "Transfer-Encoding: chunked", "", "0", "", ""), status: 501 },
  { name: "RFC 9112 §6.1: an empty coding in the list is rejected", request: lines("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: , chunked", "", "0", "", ""), status: 400 },
  { name: "RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 request is rejected", request: lines("POST / HTTP/1.0", "Transfer-Encoding: chunked", "", "0", "", ""), status: 400 },
  { name: "RFC 9112 §6.1: the chunked coding name is case-insensitive", request: lines("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: CHUNKED", "", "2", "hi", "0", "", ""), status: 200, echo: { body: "hi" } },

  // ---- chunked framing (RFC 9112 §7.1)
  { name: "RFC 9112 §7.1: a chunk size with a non-hex character is rejected", request: chunked("5x", "hello", "0", "", ""), status: 400 },
  { name: "RFC 9112 §7.1: an empty chunk size is rejected", request: chunked("", "hello", "0", "", ""), status: 400 },
  { name: "RFC 9112 §7.1: a chunk size that overflows (20 hex digits) is rejected", request: chunked("fffffffffffffffffffff", "hello", "0", "", ""), status: 400 },
  { name: "RFC 9112 §7.1.1: a chunk extension without a name (5;=x) is rejected", request: chunked("5;=x", "hello", "0", "", ""), status: 400 },
  { name: "RFC 9112 §7.1.1: a chunk extension with a space inside (5; a b) is rejected", request: chunked("5; a b", "hello", "0", "", ""), status: 400 },
  { name: "RFC 9112 §7.1.1: an unterminated quoted extension value is rejected", request: chunked('5;a="x', "hello", "0", "", ""), status: 400 },
  { name: "RFC 9112 §7.1.1: a token chunk extension (5;name=value) is accepted", request: chunked("5;name=value", "hello", "0", "", ""), status: 200, echo: { body: "hello" } },
  { name: "RFC 9112 §7.1.1: a quoted chunk extension is accepted", request: chunked('5;name="quoted value"', "hello", "0", "", ""), status: 200, echo: { body: "hello" } },
  { name: "RFC 9112 §7.1.1: BWS around ; and = in an extension is accepted", request: chunked("5 ; name = value", "hello", "0", "", ""), status: 200, echo: { body: "hello" } },
  { name: "RFC 9112 §7.1: chunk data not followed by CRLF is rejected", request: chunked("5", "helloX0", "", ""), status: 400 },
  { name: "RFC 9112 §7.1: chunk data followed by a bare LF is rejected", request: chunked("5", "hello\n0", "", ""), status: 400 },
  { name: "RFC 9112 §7.1: a chunk-size line ended by a bare LF is rejected", request: chunked("5\nhello", "0", "", ""), status: 400 },
  { name: "RFC 9112 §7.1.2: trailer fields are accepted", request: chunked("5", "hello", "0", "X-T: 1", "", ""), status: 200, echo: { body: "hello" } },
  { name: "RFC 9112 §7.1.2: obs-fold in a trailer is rejected", request: chunked("5", "hello", "0", "X-T: 1", " fold", "", ""), status: 400 },

  // ---- limits (Kestrel: 414, 431, 413)
  { name: "Kestrel MaxRequestLineSize: a request line over the limit gets 414", request: lines(`GET /${"a".repeat(300)} HTTP/1.1`, "Host: a", "", ""), status: 414 },
  { name: "Kestrel MaxRequestLineSize: an unfinished request line over the limit gets 414", request: `GET /${"a".repeat(300)}`, status: 414 },
  { name: "Kestrel MaxRequestHeadersTotalSize: headers over the limit get 431", request: get("Host: a", `X-Big: ${"b".repeat(1100)}`), status: 431 },
  { name: "Kestrel MaxRequestHeadersTotalSize: an unfinished header over the limit gets 431", request: `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${"b".repeat(1100)}`, status: 431 },
  { name: "Kestrel MaxRequestHeaderCount: more headers than the limit get 431", request: get("Host: a", ...Array.from({ length: 10 }, (_, i) => `X-${i}: v`)), status: 431 },
  { name: "Kestrel MaxRequestHeaderCount: exactly the limit is accepted", request: get("Host: a", ...Array.from({ length: 9 }, (_, i) => `X-${i}: v`)), status: 200 },
  { name: "Kestrel MaxRequestBodySize: a Content-Length over the limit gets 413 when the app reads", request: lines("POST / HTTP/1.1", "Host: a", "Content-Length: 100", "", "x".repeat(100)), status: 413 },
  { name: "Kestrel MaxRequestBodySize: a chunked body over the limit gets 413", request: chunked("64", "x".repeat(100), "0", "", ""), status: 413 },
];

describe("strict request parsing", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(echoApp, { limits: LIMITS });
  });
  afterAll(() => server.close());

  it.each(rows)("$name", async (row) => {
    const ok = row.status < 300;
    const result = await rawRequest(server.port, row.request, ok ? { responses: 1 } : {});
    expect(result.responses.length, result.text).toBeGreaterThanOrEqual(1);
    const [res] = result.responses;
    expect(res!.statusCode, result.text).toBe(row.status);
    if (ok) {
      if (row.echo !== undefined) expect(JSON.parse(res!.body.toString()) as Echo).toMatchObject(row.echo);
    } else {
      expect(res!.headers.connection).toBe("close");
      expect(res!.headers["content-length"]).toBe("0");
      expect(result.closed, "the server closes the connection").toBe(true);
      expect(result.responses).toHaveLength(1);
    }
  });
});
