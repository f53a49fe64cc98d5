import { freezeLimits, ServerLimits } from "@x/abstractions";
import { describe, expect, it } from "vitest";
import { type BodyDecoder, ChunkedDecoder, ContentLengthDecoder } from "./body-decoder.js";
import { Http1ParseError, type RejectionReason } from "./errors.js";
import { InputBuffer } from "./input-buffer.js";

const limits = freezeLimits(new ServerLimits());

interface Decoded {
  body: string;
  done: boolean;
  /** Bytes left in the input after the decoder stopped. */
  rest: string;
}

/** Feeds `chunks` to `decoder` one append at a time, as the connection does. */
function decode(decoder: BodyDecoder, chunks: Buffer[]): Decoded {
  const input = new InputBuffer();
  const views: Buffer[] = [];
  const sink = { onBodyData: (view: Buffer) => views.push(view) };
  let done = false;
  for (const chunk of chunks) {
    input.append(chunk);
    if (!done) done = decoder.decode(input, sink);
  }
  return { body: Buffer.concat(views).toString("latin1"), done, rest: input.buf.toString("latin1", input.start, input.end) };
}

const chunked = (text: string, chunks?: Buffer[]): Decoded => decode(new ChunkedDecoder(limits), chunks ?? [Buffer.from(text, "latin1")]);

function rejection(fn: () => unknown): RejectionReason | null {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(Http1ParseError);
    return (error as Http1ParseError).reason as RejectionReason;
  }
  return null;
}

describe("chunk-size lines (RFC 9112 §7.1)", () => {
  it.each<[string, number]>([
    ["0", 0],
    ["a", 10],
    ["A", 10],
    ["00000f", 15],
    ["1f", 31],
    ["000000000000a", 10],
    ["a;name", 10],
    ["a;name=value", 10],
    ['a;name="quoted; value"', 10],
    ['a;name="esc\\"aped"', 10],
    ["a;one=1;two;three=\"3\"", 10],
    ["a ; name = value", 10],
    ["a\t;\tname", 10],
  ])("accepts %j as a chunk of %i bytes", (line, size) => {
    const data = "x".repeat(size);
    const text = size === 0 ? `${line}\r\n\r\n` : `${line}\r\n${data}\r\n0\r\n\r\n`;
    expect(chunked(text)).toEqual({ body: data, done: true, rest: "" });
  });

  it.each<[string, RejectionReason]>([
    ["", "BadChunkSizeData"],
    ["g", "BadChunkSizeData"],
    ["-1", "BadChunkSizeData"],
    ["+1", "BadChunkSizeData"],
    ["0x5", "BadChunkSizeData"],
    [" 5", "BadChunkSizeData"],
    ["1 2", "BadChunkExtension"],
    ["5 ", "BadChunkExtension"],
    ["ffffffffffffff", "BadChunkSizeData"],
    ["00000000000000a", "BadChunkSizeData"],
    ["5;", "BadChunkExtension"],
    ["5;=x", "BadChunkExtension"],
    ["5; a b", "BadChunkExtension"],
    ["5;a=", "BadChunkExtension"],
    ['5;a="open', "BadChunkExtension"],
    ["5;a=b c", "BadChunkExtension"],
    ["5;a\x00", "BadChunkExtension"],
  ])("rejects %j (%s)", (line, reason) => {
    expect(rejection(() => chunked(`${line}\r\nhello\r\n0\r\n\r\n`))).toBe(reason);
  });

  it("rejects a chunk-size line ended by a bare LF", () => {
    expect(rejection(() => chunked("5\nhello\r\n0\r\n\r\n"))).toBe("BadChunkSizeData");
    expect(rejection(() => chunked("5;a=b\nhello\r\n0\r\n\r\n"))).toBe("BadChunkExtension");
  });

  it("rejects chunk data not followed by CRLF", () => {
    expect(rejection(() => chunked("5\r\nhelloX\r\n0\r\n\r\n"))).toBe("BadChunkSuffix");
    expect(rejection(() => chunked("5\r\nhello\rX0\r\n\r\n"))).toBe("BadChunkSuffix");
    expect(rejection(() => chunked("5\r\nhello\n0\r\n\r\n"))).toBe("BadChunkSuffix");
  });

  it("rejects extensions that never end (a slow memory drip)", () => {
    expect(rejection(() => chunked(`5;a=${"b".repeat(5000)}`))).toBe("BadChunkExtension");
  });
});

describe("trailers (RFC 9112 §7.1.2)", () => {
  it("parses trailer fields and drops those forbidden in trailers (RFC 9110 §6.5.1)", () => {
    const decoder = new ChunkedDecoder(limits);
    const result = decode(decoder, [Buffer.from("3\r\nabc\r\n0\r\nX-Checksum: 42\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\nHost: evil\r\nX-Checksum: 43\r\n\r\n")]);
    expect(result).toEqual({ body: "abc", done: true, rest: "" });
    expect(decoder.trailers?.toJSON()).toEqual({ "x-checksum": ["42", "43"] });
  });

  it("has no trailers when none were sent", () => {
    const decoder = new ChunkedDecoder(limits);
    decode(decoder, [Buffer.from("0\r\n\r\n")]);
    expect(decoder.trailers).toBeNull();
  });

  it("rejects malformed trailer lines like header lines", () => {
    expect(rejection(() => chunked("0\r\nX-A: 1\n\r\n"))).toBe("BareLineFeed");
    expect(rejection(() => chunked("0\r\n fold\r\n\r\n"))).toBe("ObsoleteLineFolding");
    expect(rejection(() => chunked("0\r\nBad Name: 1\r\n\r\n"))).toBe("WhitespaceBeforeColon");
  });

  it("limits the trailer section like the header section (431)", () => {
    const small = freezeLimits(Object.assign(new ServerLimits(), { maxRequestHeadersTotalSize: 32, maxRequestHeaderCount: 2 }));
    expect(rejection(() => decode(new ChunkedDecoder(small), [Buffer.from(`0\r\nX: ${"a".repeat(40)}`)]))).toBe("HeadersTooLarge");
    expect(rejection(() => decode(new ChunkedDecoder(small), [Buffer.from("0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n")]))).toBe("TooManyHeaders");
  });
});

describe("ChunkedDecoder across reads", () => {
  const STREAM = "5;ext=\"a b\"\r\nhello\r\n1\r\n \r\nB\r\nchunked wor\r\n002\r\nld\r\n0\r\nX-T: 1\r\n\r\n";

  it("stops at the end of the body and leaves the next request in the buffer", () => {
    expect(chunked(`${STREAM}GET / HTTP/1.1\r\n`)).toEqual({ body: "hello chunked world", done: true, rest: "GET / HTTP/1.1\r\n" });
  });

  it("yields the same body when split at every byte boundary", () => {
    const bytes = Buffer.from(STREAM + "NEXT", "latin1");
    for (let i = 1; i < bytes.length; i++) {
      expect(chunked("", [bytes.subarray(0, i), bytes.subarray(i)]), `split at ${i}`).toEqual({ body: "hello chunked world", done: true, rest: "NEXT" });
    }
  });

  it("yields the same body when fed one byte at a time", () => {
    const bytes = Buffer.from(STREAM, "latin1");
    const chunks = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
    expect(chunked("", chunks)).toEqual({ body: "hello chunked world", done: true, rest: "" });
  });

  it("reports incomplete until the last CRLF arrives", () => {
    const decoder = new ChunkedDecoder(limits);
    expect(decode(decoder, [Buffer.from("0\r\n")]).done).toBe(false);
    expect(decoder.isComplete).toBe(false);
  });
});

describe("ContentLengthDecoder", () => {
  it("stops after Content-Length bytes and leaves the rest", () => {
    expect(decode(new ContentLengthDecoder(5), [Buffer.from("hel"), Buffer.from("loGET")])).toEqual({ body: "hello", done: true, rest: "GET" });
  });

  it("is complete at once for a zero length", () => {
    const decoder = new ContentLengthDecoder(0);
    expect(decoder.isComplete).toBe(true);
    expect(decode(decoder, [Buffer.from("GET")])).toEqual({ body: "", done: true, rest: "GET" });
  });
});
