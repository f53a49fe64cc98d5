import { freezeLimits, ServerLimits } from "@x/abstractions";
import { describe, expect, it } from "vitest";
import { Http1ParseError } from "./errors.js";
import { InputBuffer } from "./input-buffer.js";
import { RequestHeadParser } from "./parser.js";
import { RequestHead } from "./request-head.js";

const limits = freezeLimits(new ServerLimits());

function parseAll(parser: RequestHeadParser, heads: string[]): RequestHead[] {
  const input = new InputBuffer();
  return heads.map((text) => {
    input.append(Buffer.from(text, "latin1"));
    const head = new RequestHead();
    expect(parser.parse(input, head)).toBe(true);
    return head;
  });
}

describe("string reuse across requests on one connection (Kestrel's DisableStringReuse)", () => {
  it("reuses the strings of a repeated request line and header lines", () => {
    const [a, b] = parseAll(new RequestHeadParser(limits), [
      "GET /x?y HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n",
      "GET /x?y HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n",
    ]);
    expect(b!.rawTarget).toBe("/x?y");
    expect(b!.headers.get("host")).toBe("example.com");
    expect(b!.authority).toBe("example.com");
    expect(b!.headers.toJSON()).toEqual(a!.headers.toJSON());
  });

  it("parses a line afresh when any byte differs, including the version and header case", () => {
    const heads = parseAll(new RequestHeadParser(limits), [
      "GET /a HTTP/1.1\r\nHost: one\r\nX-A: 1\r\n\r\n",
      "GET /b HTTP/1.1\r\nHost: two\r\nX-A: 2\r\n\r\n",
      "GET /b HTTP/1.0\r\nhost: two\r\nx-a: 2\r\nConnection: keep-alive\r\n\r\n",
      "POST /b HTTP/1.1\r\nHost: two\r\nContent-Length: 3\r\n\r\n",
    ]);
    expect(heads.map((h) => [h.method, h.rawTarget, h.versionMinor, h.host])).toEqual([
      ["GET", "/a", 1, "one"],
      ["GET", "/b", 1, "two"],
      ["GET", "/b", 0, "two"],
      ["POST", "/b", 1, "two"],
    ]);
    expect(heads[2]!.keepAlive).toBe(true);
    expect(heads[3]!.contentLength).toBe(3);
    expect(heads[3]!.headers.has("x-a")).toBe(false);
  });

  it("still applies the message rules to reused header lines (a second Host is rejected)", () => {
    const parser = new RequestHeadParser(limits);
    parseAll(parser, ["GET / HTTP/1.1\r\nHost: a\r\n\r\n"]);
    const input = new InputBuffer();
    input.append(Buffer.from("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", "latin1"));
    expect(() => parser.parse(input, new RequestHead())).toThrow(Http1ParseError);
  });

  it("gives equal results with reuse disabled", () => {
    const heads = ["GET / HTTP/1.1\r\nHost: h\r\n\r\n", "GET / HTTP/1.1\r\nHost: h\r\n\r\n"];
    const on = parseAll(new RequestHeadParser(limits, true), heads).map((h) => [h.method, h.rawTarget, h.headers.toJSON()]);
    const off = parseAll(new RequestHeadParser(limits, false), heads).map((h) => [h.method, h.rawTarget, h.headers.toJSON()]);
    expect(off).toEqual(on);
  });
});
