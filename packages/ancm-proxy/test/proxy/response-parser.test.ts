import { describe, expect, it } from "vitest";
import { MAX_RESPONSE_HEAD, ResponseParseError, ResponseParser } from "../../src/proxy/response-parser.js";
import { headerRecord } from "./header-record.js";

interface Parsed {
  status: number | null;
  headers: Record<string, string | string[]>;
  body: string;
  complete: boolean | null;
  extra: string;
}

/** Feeds `raw` in pieces of `split` bytes (0: at once); returns what the parser reported. */
function parse(raw: string, options: { head?: boolean; split?: number; close?: boolean } = {}): Parsed {
  const out: Parsed = { status: null, headers: {}, body: "", complete: null, extra: "" };
  const parser = new ResponseParser(
    {
      onHead: (status, headers) => {
        out.status = status;
        out.headers = headerRecord(headers);
      },
      onBody: (chunk) => {
        out.body += chunk.toString("latin1");
      },
      onComplete: (reusable) => {
        out.complete = reusable;
      },
    },
    options.head === true,
  );
  const bytes = Buffer.from(raw, "latin1");
  const step = options.split && options.split > 0 ? options.split : bytes.length;
  for (let i = 0; i < bytes.length; i += step) {
    const extra = parser.push(bytes.subarray(i, i + step));
    if (extra !== null) out.extra += extra.toString("latin1");
  }
  if (options.close === true) parser.end();
  return out;
}

const chunked = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nx-a: 1\r\nx-a: 2\r\n\r\n5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nx-trailer: t\r\n\r\n";

describe("ResponseParser", () => {
  it.each([0, 1, 2, 3, 7])("decodes a chunked body with extensions and trailers, split every %i bytes", (split) => {
    const r = parse(chunked, { split });
    expect(r).toMatchObject({ status: 200, body: "hello, world", complete: true });
    expect(r.headers["x-a"]).toEqual(["1", "2"]);
  });

  it.each([0, 1, 5])("reads a Content-Length body, split every %i bytes, and keeps the connection", (split) => {
    expect(parse("HTTP/1.1 201 Created\r\ncontent-length: 5\r\n\r\nabcde", { split })).toMatchObject({ status: 201, body: "abcde", complete: true });
  });

  it("skips interim 1xx responses and reports the final one", () => {
    expect(parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")).toMatchObject({
      status: 200,
      body: "ok",
      complete: true,
    });
  });

  it("expects no body after HEAD, 204 and 304, whatever Content-Length says", () => {
    expect(parse("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n", { head: true })).toMatchObject({ body: "", complete: true });
    expect(parse("HTTP/1.1 204 No Content\r\n\r\n")).toMatchObject({ status: 204, complete: true });
    expect(parse("HTTP/1.1 304 Not Modified\r\ncontent-length: 10\r\n\r\n")).toMatchObject({ status: 304, complete: true });
  });

  it("reads a body without framing until the connection closes, and does not reuse the connection", () => {
    const r = parse("HTTP/1.1 200 OK\r\n\r\nuntil close", { close: true });
    expect(r).toMatchObject({ body: "until close", complete: false });
  });

  it("does not reuse a connection the app closes (Connection: close, or HTTP/1.0 without keep-alive)", () => {
    expect(parse("HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 0\r\n\r\n").complete).toBe(false);
    expect(parse("HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n").complete).toBe(false);
    expect(parse("HTTP/1.0 200 OK\r\nconnection: keep-alive\r\ncontent-length: 0\r\n\r\n").complete).toBe(true);
  });

  it("reads a status line without a reason phrase, and reports the fields in order, names lower-case, repeats apart", () => {
    const heads: string[][] = [];
    const parser = new ResponseParser({ onHead: (_status, headers) => heads.push([...headers]), onBody: () => {}, onComplete: () => {} }, false);
    parser.push(Buffer.from("HTTP/1.1 204\r\nX-A: 1\r\nSet-Cookie: a=1\r\nset-cookie:  b=2 \r\n\r\n", "latin1"));
    expect(heads).toEqual([["x-a", "1", "set-cookie", "a=1", "set-cookie", "b=2"]]);
  });

  it("returns bytes after a complete response", () => {
    expect(parse("HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nxEXTRA").extra).toBe("EXTRA");
  });

  it.each([
    ["a bad status line", "HTTP/2 200 OK\r\n\r\n"],
    ["HTTP/1.2", "HTTP/1.2 200 OK\r\n\r\n"],
    ["a two-digit status", "HTTP/1.1 20 OK\r\n\r\n"],
    ["a four-digit status", "HTTP/1.1 2000 OK\r\n\r\n"],
    ["a status that is not digits", "HTTP/1.1 2x0 OK\r\n\r\n"],
    ["a status glued to its reason", "HTTP/1.1 200OK\r\n\r\n"],
    ["two spaces after the version", "HTTP/1.1  200 OK\r\n\r\n"],
    ["a bare LF in the status line", "HTTP/1.1 200 O\nK\r\n\r\n"],
    ["a header line without a colon", "HTTP/1.1 200 OK\r\nbad header\r\n\r\n"],
    ["a header line with an empty name", "HTTP/1.1 200 OK\r\n: value\r\n\r\n"],
    ["differing Content-Lengths", "HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nx"],
    ["a Content-Length that is not a number", "HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n"],
    ["a transfer coding other than chunked", "HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\n"],
    ["a bad chunk size", "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n"],
    ["chunk data without its CRLF", "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1\r\nxy\r\n"],
  ])("rejects %s", (_what, raw) => {
    expect(() => parse(raw)).toThrow(ResponseParseError);
  });

  it("rejects a head larger than the limit, and a response cut short by the close", () => {
    expect(() => parse(`HTTP/1.1 200 OK\r\nx-big: ${"a".repeat(MAX_RESPONSE_HEAD)}\r\n\r\n`, { split: 1000 })).toThrow(/too large/);
    expect(() => parse("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc", { close: true })).toThrow(/before the response was complete/);
  });
});
