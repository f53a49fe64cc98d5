import { BadHttpRequestError, freezeLimits, type HeaderValue, ServerLimits } from "@x/abstractions";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type BodyDecoder, ChunkedDecoder, ContentLengthDecoder } from "./body-decoder.js";
import { Http1ParseError, RejectionReason } from "./errors.js";
import { InputBuffer } from "./input-buffer.js";
import { RequestHeadParser } from "./parser.js";
import { BodyFraming, RequestHead } from "./request-head.js";

const limits = freezeLimits(new ServerLimits());

interface Parsed {
  method: string;
  rawTarget: string;
  versionMinor: number;
  headers: Record<string, HeaderValue>;
  framing: BodyFraming;
  body: string;
  trailers: Record<string, HeaderValue> | null;
}

function snapshot(head: RequestHead, body: string, trailers: Parsed["trailers"]): Parsed {
  return { method: head.method, rawTarget: head.rawTarget, versionMinor: head.versionMinor, headers: head.headers.toJSON(), framing: head.framing, body, trailers };
}

/**
 * Drives parser and body decoders over `chunks` the way the connection does:
 * append each chunk, then parse heads and decode bodies until input runs out.
 * Body views are kept uncopied until the end, which also checks that the
 * input buffer never overwrites bytes it has handed out.
 */
function parseStream(chunks: Uint8Array[], serverLimits = limits): Parsed[] {
  const input = new InputBuffer();
  const parser = new RequestHeadParser(serverLimits);
  const out: Parsed[] = [];
  let head = new RequestHead();
  let decoder: BodyDecoder | null = null;
  let views: Buffer[] = [];
  const sink = { onBodyData: (view: Buffer) => views.push(view) };
  const finish = (trailers: Parsed["trailers"]): void => {
    out.push(snapshot(head, Buffer.concat(views).toString("latin1"), trailers));
    views = [];
    head = new RequestHead();
    decoder = null;
  };
  for (const chunk of chunks) {
    input.append(Buffer.from(chunk));
    for (;;) {
      if (decoder === null) {
        if (input.length === 0 || !parser.parse(input, head)) break;
        if (head.framing === BodyFraming.None) {
          finish(null);
          continue;
        }
        decoder = head.framing === BodyFraming.Chunked ? new ChunkedDecoder(serverLimits) : new ContentLengthDecoder(head.contentLength);
      }
      if (!decoder.decode(input, sink)) break;
      finish(decoder.trailers?.toJSON() ?? null);
    }
  }
  return out;
}

function splitAt(bytes: Buffer, points: number[]): Buffer[] {
  const cuts = [...new Set(points)].filter((p) => p > 0 && p < bytes.length).sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const cut of cuts) {
    chunks.push(bytes.subarray(from, cut));
    from = cut;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

function expectParseError(fn: () => unknown, reason: keyof typeof RejectionReason): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(Http1ParseError);
    expect((error as Http1ParseError).reason).toBe(reason);
    expect((error as Http1ParseError).statusCode).toBe(RejectionReason[reason]);
    return;
  }
  throw new Error(`expected ${reason}`);
}

const HEAD = Buffer.from(
  "GET /path/to?q=1&r=%20 HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: test/1.0\r\nAccept: */*\r\nX-List: a,  b \r\nx-list: c\r\nX-Empty:\r\n\r\n",
  "latin1",
);

const PIPELINE = Buffer.from(
  [
    "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
    "POST /cl HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world",
    "PUT /chunked HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n5;a=b\r\nhello\r\n1 ; q=\"x y\"\r\n!\r\n0\r\nX-Trailer: yes\r\nContent-Length: 99\r\n\r\n",
    "\r\nOPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
    "HEAD http://example.com/x?y HTTP/1.1\r\nHost: b\r\n\r\n",
    "GET /old HTTP/1.0\r\n\r\n",
  ].join(""),
  "latin1",
);

describe("RequestHeadParser", () => {
  it("parses a complete head and consumes exactly its bytes", () => {
    const input = new InputBuffer();
    input.append(Buffer.concat([HEAD, Buffer.from("NEXT")]));
    const head = new RequestHead();
    expect(new RequestHeadParser(limits).parse(input, head)).toBe(true);
    expect(input.buf.toString("latin1", input.start, input.end)).toBe("NEXT");
    expect(head.method).toBe("GET");
    expect(head.rawTarget).toBe("/path/to?q=1&r=%20");
    expect(head.versionMinor).toBe(1);
    expect(head.authority).toBe("example.com:8080");
    expect(head.headers.getAll("x-list")).toEqual(["a,  b", "c"]);
    expect(head.headers.get("x-empty")).toBe("");
    expect(head.headers.get("user-agent")).toBe("test/1.0");
  });

  it("returns false and consumes nothing for every proper prefix of a valid head", () => {
    for (let n = 0; n < HEAD.length; n++) {
      const input = new InputBuffer();
      input.append(Buffer.from(HEAD.subarray(0, n)));
      expect(new RequestHeadParser(limits).parse(input, new RequestHead()), `prefix of ${n} bytes`).toBe(false);
      expect(input.start, `prefix of ${n} bytes`).toBe(0);
      expect(input.length, `prefix of ${n} bytes`).toBe(n);
    }
  });

  it("parses a head fed one byte at a time through InputBuffer.append identically", () => {
    const input = new InputBuffer();
    const parser = new RequestHeadParser(limits);
    const head = new RequestHead();
    for (let i = 0; i < HEAD.length; i++) {
      input.append(HEAD.subarray(i, i + 1));
      const done = parser.parse(input, head);
      expect(done, `after byte ${i}`).toBe(i === HEAD.length - 1);
    }
    expect(input.length).toBe(0);
    expect(snapshot(head, "", null)).toEqual(parseStream([HEAD])[0]);
  });

  it("parses a pipelined stream of heads and bodies", () => {
    const parsed = parseStream([PIPELINE]);
    expect(parsed.map((p) => [p.method, p.rawTarget, p.body])).toEqual([
      ["GET", "/", ""],
      ["POST", "/cl", "hello world"],
      ["PUT", "/chunked", "hello!"],
      ["OPTIONS", "*", ""],
      ["HEAD", "http://example.com/x?y", ""],
      ["GET", "/old", ""],
    ]);
    expect(parsed[2]!.trailers).toEqual({ "x-trailer": "yes" });
    expect(parsed[5]!.versionMinor).toBe(0);
  });

  it("ignores empty lines before a request line (RFC 9112 §2.2)", () => {
    expect(parseStream([Buffer.from("\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")])[0]!.rawTarget).toBe("/");
  });

  it("keeps its place across calls and resets for the next head", () => {
    const parser = new RequestHeadParser(limits);
    const input = new InputBuffer();
    const head = new RequestHead();
    input.append(Buffer.from("GET /a HTTP/1.1\r\nHo"));
    expect(parser.parse(input, head)).toBe(false);
    expect(parser.isIdle).toBe(false);
    input.append(Buffer.from("st: a\r\n\r\nGET /b HTTP/1.1\r\nHost: b\r\n\r\n"));
    expect(parser.parse(input, head)).toBe(true);
    expect(parser.isIdle).toBe(true);
    expect(head.rawTarget).toBe("/a");
    const next = new RequestHead();
    expect(parser.parse(input, next)).toBe(true);
    expect([next.rawTarget, next.host, input.length]).toEqual(["/b", "b", 0]);
  });

  it.each<[string, string, keyof typeof RejectionReason]>([
    ["a bare LF (RFC 9112 §2.2)", "GET / HTTP/1.1\nHost: a\r\n\r\n", "BareLineFeed"],
    ["a bare LF on an empty line", "GET / HTTP/1.1\r\nHost: a\r\n\n", "BareLineFeed"],
    ["obs-fold (RFC 9112 §5.2)", "GET / HTTP/1.1\r\nHost: a\r\n\tx\r\n\r\n", "ObsoleteLineFolding"],
    ["whitespace before a colon (RFC 9112 §5.1)", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", "WhitespaceBeforeColon"],
    ["a non-token header name (RFC 9110 §5.1)", "GET / HTTP/1.1\r\nA@b: 1\r\n\r\n", "InvalidHeaderName"],
    ["a control character in a value (RFC 9110 §5.5)", "GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n", "InvalidHeaderValue"],
    ["a control character in the target", "GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n", "InvalidRequestTarget"],
    ["a malformed version (RFC 9112 §2.3)", "GET / HTTP/1.1.1\r\nHost: a\r\n\r\n", "InvalidRequestLine"],
    ["HTTP/1.2 (RFC 9112 §2.3)", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", "UnsupportedHttpVersion"],
    ["a missing Host (RFC 9112 §3.2)", "GET / HTTP/1.1\r\n\r\n", "MissingHost"],
    ["two Hosts (RFC 9112 §3.2)", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "MultipleHost"],
    ["TE with CL (RFC 9112 §6.3)", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", "ContentLengthAndTransferEncoding"],
    ["TE in HTTP/1.0 (RFC 9112 §6.1)", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", "TransferEncodingInHttp10"],
    ["a final coding other than chunked (RFC 9112 §6.3)", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", "FinalTransferCodingNotChunked"],
    ["a transfer coding it does not decode before chunked (RFC 9112 §6.1: 501)", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "UnsupportedTransferCoding"],
    ["the same, in two fields", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: deflate\r\nTransfer-Encoding: chunked\r\n\r\n", "UnsupportedTransferCoding"],
  ])("rejects %s", (_name, bytes, reason) => {
    expectParseError(() => parseStream([Buffer.from(bytes, "latin1")]), reason);
  });

  it("rejects a request line over maxRequestLineSize before its CRLF arrives (414)", () => {
    const small = freezeLimits(Object.assign(new ServerLimits(), { maxRequestLineSize: 64 }));
    expectParseError(() => parseStream([Buffer.from(`GET /${"a".repeat(64)}`)], small), "RequestLineTooLong");
    expect(parseStream([Buffer.from(`GET /${"a".repeat(47)} HTTP/1.1\r\nHost: a\r\n\r\n`)], small)).toHaveLength(1);
  });

  it("rejects headers over maxRequestHeadersTotalSize before the head completes (431)", () => {
    const small = freezeLimits(Object.assign(new ServerLimits(), { maxRequestHeadersTotalSize: 64 }));
    expectParseError(() => parseStream([Buffer.from(`GET / HTTP/1.1\r\nX: ${"a".repeat(64)}`)], small), "HeadersTooLarge");
  });

  it("rejects more than maxRequestHeaderCount header lines (431)", () => {
    const small = freezeLimits(Object.assign(new ServerLimits(), { maxRequestHeaderCount: 2 }));
    expect(parseStream([Buffer.from("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n\r\n")], small)).toHaveLength(1);
    expectParseError(() => parseStream([Buffer.from("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\nY: 2\r\n\r\n")], small), "TooManyHeaders");
  });
});

describe("parsing properties (fast-check)", () => {
  const splitPoints = (length: number) => fc.array(fc.integer({ min: 1, max: Math.max(1, length - 1) }), { maxLength: 40 });

  it("parses a pipelined stream identically wherever it is split", () => {
    const whole = parseStream([PIPELINE]);
    fc.assert(
      fc.property(splitPoints(PIPELINE.length), (points) => {
        expect(parseStream(splitAt(PIPELINE, points))).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });

  const requestModel = fc.record({
    method: fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "X-CUSTOM"),
    path: fc.stringMatching(/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]{0,24}$/),
    value: fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,30}[\x21-\x7e])?$/),
    body: fc.string({ maxLength: 40 }),
    framing: fc.constantFrom("length", "chunked"),
    chunk: fc.integer({ min: 1, max: 16 }),
  });

  it("recovers generated requests exactly, whatever the split", () => {
    fc.assert(
      fc.property(fc.array(requestModel, { minLength: 1, maxLength: 5 }), fc.array(fc.integer({ min: 1, max: 2000 }), { maxLength: 30 }), (models, points) => {
        const parts: string[] = [];
        for (const m of models) {
          const body = Buffer.from(m.body, "utf8").toString("latin1");
          if (m.framing === "length") {
            parts.push(`${m.method} ${m.path} HTTP/1.1\r\nHost: h\r\nX-V: ${m.value}\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
          } else {
            let chunks = "";
            for (let i = 0; i < body.length; i += m.chunk) {
              const piece = body.slice(i, i + m.chunk);
              chunks += `${piece.length.toString(16)}\r\n${piece}\r\n`;
            }
            parts.push(`${m.method} ${m.path} HTTP/1.1\r\nHost: h\r\nX-V: ${m.value}\r\nTransfer-Encoding: chunked\r\n\r\n${chunks}0\r\n\r\n`);
          }
        }
        const bytes = Buffer.from(parts.join(""), "latin1");
        const parsed = parseStream(splitAt(bytes, points));
        expect(parsed.map((p) => [p.method, p.rawTarget, p.headers["x-v"], p.body])).toEqual(
          models.map((m) => [m.method, m.path, m.value, Buffer.from(m.body, "utf8").toString("latin1")]),
        );
      }),
      { numRuns: 300 },
    );
  });

  function onlyTypedErrors(chunks: Buffer[]): void {
    try {
      parseStream(chunks);
    } catch (error) {
      expect(error).toBeInstanceOf(Http1ParseError);
      expect(error).toBeInstanceOf(BadHttpRequestError);
      expect(Object.keys(RejectionReason)).toContain((error as Http1ParseError).reason);
    }
  }

  it("throws nothing but Http1ParseError for random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => onlyTypedErrors([Buffer.from(bytes)])),
      { numRuns: 300 },
    );
  });

  it("throws nothing but Http1ParseError for random bytes after a valid prefix", () => {
    const prefixes = [
      "GET / HTTP/1.1\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n",
    ];
    fc.assert(
      fc.property(fc.constantFrom(...prefixes), fc.uint8Array({ maxLength: 200 }), splitPoints(400), (prefix, tail, points) => {
        onlyTypedErrors(splitAt(Buffer.concat([Buffer.from(prefix, "latin1"), Buffer.from(tail)]), points));
      }),
      { numRuns: 300 },
    );
  });

  it("throws nothing but Http1ParseError for a valid stream with random bytes replaced", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: PIPELINE.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        splitPoints(PIPELINE.length),
        (edits, points) => {
          const bytes = Buffer.from(PIPELINE);
          for (const [at, value] of edits) bytes[at] = value;
          onlyTypedErrors(splitAt(bytes, points));
        },
      ),
      { numRuns: 300 },
    );
  });
});
