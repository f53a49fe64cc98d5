/**
 * The table of the conformance suite (`conformance.test.ts`): one row per
 * server-testable requirement of RFC 9113 §3–§8 and RFC 7541. Each row
 * writes raw frames (`send`) and names the exact answer (`expect`): a
 * connection error (GOAWAY with a code, then the close), a stream error
 * (RST_STREAM with a code, after which the connection still serves a request
 * that reuses the HPACK dynamic table), a response, or nothing at all.
 *
 * Also here: the test application, and hand encoders for raw frame payloads
 * and raw HPACK (RFC 7541 §5, §6) for what the harness's writers cannot
 * produce.
 *
 * @module
 */
import type { RequestDelegate } from "@x/abstractions";
import { expect } from "vitest";
import type { HeaderField } from "../src/hpack.js";
import { ErrorCode, FrameFlags, FrameType, type H2Client, type LimitOverrides, requestHeaders, SettingId } from "./harness.js";

// ---- the application -------------------------------------------------------------------------

/** Requests to `/hold` wait here until the test ends (or `releaseHeld()`). */
const held: Array<() => void> = [];

/** Lets every request waiting on `/hold` continue. */
export function releaseHeld(): void {
  for (const release of held.splice(0)) release();
}

/**
 * The server's app. `/hold` waits until released; `/bytes/N` answers N bytes
 * of `a`; anything else reads the body and answers 200 with what it saw in
 * headers: `x-method`, `x-path`, `x-body-length`, `x-body` (short bodies),
 * `x-cookie`, `x-echo-custom` (the request's `x-custom`).
 */
export const app: RequestDelegate = async (ctx) => {
  const { path } = ctx.request;
  if (path === "/hold") await new Promise<void>((resolve) => held.push(resolve));
  if (path.startsWith("/bytes/")) {
    await ctx.response.end(Buffer.alloc(Number(path.slice("/bytes/".length)), "a"));
    return;
  }
  const body = await ctx.request.body.buffer();
  const h = ctx.response.headers;
  h.set("x-method", ctx.request.method);
  h.set("x-path", ctx.request.rawTarget);
  h.set("x-body-length", String(body.length));
  if (body.length <= 64) h.set("x-body", body.toString("latin1"));
  const cookie = ctx.request.headers.get("cookie");
  if (cookie !== undefined) h.set("x-cookie", cookie);
  const custom = ctx.request.headers.get("x-custom");
  if (custom !== undefined) h.set("x-echo-custom", custom);
  await ctx.response.end("ok");
};

// ---- expectations ----------------------------------------------------------------------------

export type Expect =
  /** A connection error (§5.4.1): GOAWAY with this code (and `lastStreamId` when given), then the close. */
  | { readonly goAway: number; readonly lastStreamId?: number }
  /** A stream error (§5.4.2): RST_STREAM on the stream with the code; the connection keeps working. */
  | { readonly rst: readonly [streamId: number, code: number] }
  /** A response on `stream` (default 1) with this status and these header values; the connection keeps working. */
  | { readonly status: number; readonly stream?: number; readonly headers?: Readonly<Record<string, string>> }
  /** No GOAWAY, no RST_STREAM: the frames were ignored (or accepted) and the connection keeps working. */
  | { readonly ignored: true }
  /** §3.4: an invalid preface is a connection error whose GOAWAY may be omitted: GOAWAY with the code, or just the close. */
  | { readonly goAwayOrClose: number }
  /** Any of these (where the RFC leaves the choice to the server). */
  | { readonly oneOf: readonly Expect[] };

export interface Case {
  /** `§<section> <what is sent> → <what the RFC requires>`. */
  readonly name: string;
  readonly limits?: LimitOverrides;
  /** The client's SETTINGS in the handshake. */
  readonly settings?: Array<[number, number]>;
  /** False: connect without preface nor handshake (`send` writes everything). */
  readonly handshake?: false;
  readonly send: (client: H2Client) => void | Promise<void>;
  readonly expect: Expect;
  /**
   * The server's answer differs from the RFC: what it does instead. The case runs
   * as `it.fails` until the server is fixed; then delete this field.
   */
  readonly knownFailure?: string;
}

// ---- frames ----------------------------------------------------------------------------------

export const ES = FrameFlags.END_STREAM;
export const EH = FrameFlags.END_HEADERS;
export const PADDED = FrameFlags.PADDED;
export const PRIORITY = FrameFlags.PRIORITY;
export const ACK = FrameFlags.ACK;
const { DATA, HEADERS, CONTINUATION, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE } = FrameType;
const { PROTOCOL_ERROR, FLOW_CONTROL_ERROR, STREAM_CLOSED, FRAME_SIZE_ERROR, REFUSED_STREAM, COMPRESSION_ERROR, CANCEL } = ErrorCode;
/** An extension frame type nobody defined (§5.5). */
export const UNKNOWN_TYPE = 0xfa;
export const MAX_WINDOW = 2 ** 31 - 1;

export function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value >>> 0);
  return b;
}

/** The 5 priority octets of HEADERS (PRIORITY flag) and PRIORITY (§5.3.2, §6.3). */
export function priority(dependency: number, weight = 16, exclusive = false): Buffer {
  const b = Buffer.alloc(5);
  b.writeUInt32BE(((exclusive ? 0x8000_0000 : 0) | dependency) >>> 0);
  b[4] = weight - 1;
  return b;
}

/** One SETTINGS parameter (§6.5.1). */
export function setting(id: number, value: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUInt16BE(id);
  b.writeUInt32BE(value >>> 0, 2);
  return b;
}

/** `[Pad Length] payload [padding]` (§6.1, §6.2). */
export function padded(payload: Buffer, padLength: number): Buffer {
  return Buffer.concat([Buffer.from([padLength]), payload, Buffer.alloc(padLength)]);
}

export function headers(c: H2Client, streamId: number, flags: number, block: Buffer): void {
  c.writeFrame(HEADERS, flags, streamId, block);
}

export function data(c: H2Client, streamId: number, flags: number, payload: Buffer | string): void {
  c.writeFrame(DATA, flags, streamId, typeof payload === "string" ? Buffer.from(payload, "latin1") : payload);
}

// ---- header blocks ---------------------------------------------------------------------------

/**
 * Sent with every request the client's encoder writes; it enters both dynamic
 * tables, and the follow-up request after each case references it by index:
 * a server that skipped a block would answer it wrongly or fail to decode it.
 */
export const CUSTOM: HeaderField = { name: "x-custom", value: "conformance" };

export function getFields(path = "/", extra: HeaderField[] = []): HeaderField[] {
  return [...requestHeaders("GET", path), CUSTOM, ...extra];
}

export function postFields(path = "/", extra: HeaderField[] = []): HeaderField[] {
  return [...requestHeaders("POST", path), CUSTOM, ...extra];
}

/** The client encoder's block for `fields` (keeps the client's HPACK state in step with the server's). */
export function block(c: H2Client, fields: HeaderField[]): Buffer {
  return c.encoder.encode(fields);
}

/** Raw HPACK (RFC 7541 §5.1): `value` with an N-bit prefix under `flags`. */
export function hpackInt(flags: number, prefixBits: number, value: number): number[] {
  const max = (1 << prefixBits) - 1;
  if (value < max) return [flags | value];
  const out = [flags | max];
  value -= max;
  while (value >= 128) {
    out.push((value % 128) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return out;
}

/** Raw HPACK string literal (§5.2), not Huffman-coded. */
export function hpackString(s: string): number[] {
  return [...hpackInt(0, 7, s.length), ...Buffer.from(s, "latin1")];
}

/** Raw HPACK string literal with the H bit and these (Huffman) octets as given. */
export function huffmanString(octets: number[]): number[] {
  return [...hpackInt(0x80, 7, octets.length), ...octets];
}

/** §6.2: 0x00 without indexing (default), 0x10 never indexed, 0x40 with incremental indexing. */
export function literal(name: string, value: string, kind: 0x00 | 0x10 | 0x40 = 0x00): number[] {
  return [kind, ...hpackString(name), ...hpackString(value)];
}

/** §6.2 with an indexed name. */
export function literalIndexedName(index: number, value: string, kind: 0x00 | 0x10 | 0x40 = 0x00): number[] {
  return [...hpackInt(kind, kind === 0x40 ? 6 : 4, index), ...hpackString(value)];
}

/**
 * A raw GET / block: `:method GET` (static 2), `:scheme http` (7... index 6),
 * `:path /` (4), `:authority localhost` as a literal without indexing: it
 * leaves the server's dynamic table untouched, so the client's encoder stays
 * in step with it.
 */
export const RAW_GET = [0x82, 0x86, 0x84, ...literalIndexedName(1, "localhost")];

export function raw(...parts: Array<number | number[]>): Buffer {
  return Buffer.from(parts.flat());
}

// ---- helpers for sends -----------------------------------------------------------------------

/** A request the app holds: stream `id` open (END_STREAM unless `open`), no response yet. */
export function hold(c: H2Client, id: number, open = false): void {
  c.request(id, getFields("/hold"), !open);
}

/** GET `/` on `id` and wait for the whole response (the stream is closed on both sides). */
export async function completedGet(c: H2Client, id: number): Promise<void> {
  c.request(id, getFields("/"));
  await c.waitFor((f) => f.type === DATA && f.streamId === id && (f.flags & ES) !== 0, `END_STREAM on ${id}`);
}

/** A header field case: GET with `extra` fields added → RST_STREAM PROTOCOL_ERROR (§8.1.1 malformed). */
function malformed(name: string, fields: (c: H2Client) => HeaderField[]): Case {
  return { name, send: (c) => c.request(1, fields(c)), expect: { rst: [1, PROTOCOL_ERROR] } };
}

const without = (name: string) => getFields("/").filter((f) => f.name !== name);
const F = (name: string, value: string): HeaderField => ({ name, value });

// ---- the table -------------------------------------------------------------------------------

export const cases: Case[] = [
  // §3.4 HTTP/2 connection preface
  {
    name: "§3.4 invalid connection preface → GOAWAY PROTOCOL_ERROR (or just the close)",
    handshake: false,
    send: (c) => c.write(Buffer.from("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", "latin1")),
    expect: { goAwayOrClose: PROTOCOL_ERROR },
  },
  {
    name: "§3.4 preface not followed by SETTINGS (a PING) → GOAWAY PROTOCOL_ERROR",
    handshake: false,
    send: (c) => {
      c.write(Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1"));
      c.writeFrame(PING, 0, 0, Buffer.alloc(8));
    },
    expect: { goAwayOrClose: PROTOCOL_ERROR },
  },

  // §4.1 frame format
  {
    name: "§4.1 unknown frame type on stream 0 is ignored",
    send: (c) => c.writeFrame(UNKNOWN_TYPE, 0, 0, Buffer.from("extension")),
    expect: { ignored: true },
  },
  {
    name: "§4.1 unknown flags on HEADERS are ignored → 200",
    send: (c) => headers(c, 1, ES | EH | 0x02 | 0x10 | 0x40 | 0x80, block(c, getFields("/"))),
    expect: { status: 200 },
  },
  {
    name: "§4.1 unknown flags on DATA are ignored → 200 with the body",
    send: (c) => {
      c.request(1, postFields("/"), false);
      data(c, 1, ES | 0x02 | 0x04 | 0x10 | 0x20 | 0x40 | 0x80, "body");
    },
    expect: { status: 200, headers: { "x-body": "body" } },
  },
  {
    name: "§4.1 the reserved bit of the stream identifier is ignored → 200 on stream 1",
    send: (c) => {
      const b = block(c, getFields("/"));
      const header = Buffer.alloc(9);
      header.writeUIntBE(b.length, 0, 3);
      header[3] = HEADERS;
      header[4] = ES | EH;
      header.writeUInt32BE(0x8000_0001, 5);
      c.write(header, b);
    },
    expect: { status: 200 },
  },

  // §4.2 frame size
  {
    name: "§4.2 DATA of exactly SETTINGS_MAX_FRAME_SIZE (16384) is accepted → 200",
    send: (c) => {
      c.request(1, postFields("/"), false);
      data(c, 1, ES, Buffer.alloc(16_384, "b"));
    },
    expect: { status: 200, headers: { "x-body-length": "16384" } },
  },
  {
    name: "§4.2 DATA larger than SETTINGS_MAX_FRAME_SIZE → FRAME_SIZE_ERROR (RST_STREAM or GOAWAY)",
    send: (c) => {
      c.request(1, postFields("/"), false);
      data(c, 1, ES, Buffer.alloc(16_385, "b"));
    },
    expect: { oneOf: [{ rst: [1, FRAME_SIZE_ERROR] }, { goAway: FRAME_SIZE_ERROR }] },
  },
  {
    name: "§4.2 HEADERS larger than SETTINGS_MAX_FRAME_SIZE → GOAWAY FRAME_SIZE_ERROR",
    send: (c) => {
      const head = raw(RAW_GET);
      const filler = literal("x-filler", "f".repeat(16_385 - head.length - 1 - 1 - "x-filler".length - 3));
      const b = Buffer.concat([head, raw(filler)]);
      expect(b.length).toBe(16_385);
      headers(c, 1, ES | EH, b);
    },
    expect: { goAway: FRAME_SIZE_ERROR },
  },
  {
    name: "§4.2 HEADERS with the PRIORITY flag too short for its 5 priority octets → GOAWAY FRAME_SIZE_ERROR",
    send: (c) => headers(c, 1, ES | EH | PRIORITY, Buffer.from([0, 0, 0])),
    expect: { goAway: FRAME_SIZE_ERROR },
  },
  {
    name: "§4.2 padded DATA without its Pad Length octet → FRAME_SIZE_ERROR (RST_STREAM or GOAWAY)",
    send: (c) => {
      c.request(1, postFields("/hold"), false);
      data(c, 1, PADDED, Buffer.alloc(0));
    },
    expect: { oneOf: [{ rst: [1, FRAME_SIZE_ERROR] }, { goAway: FRAME_SIZE_ERROR }] },
  },

  // §4.3 field section compression and decompression
  {
    name: "§4.3 a header block that cannot be decoded (truncated literal) → GOAWAY COMPRESSION_ERROR",
    send: (c) => headers(c, 1, ES | EH, raw(RAW_GET, [0x00, 0x05, 0x61])),
    expect: { goAway: COMPRESSION_ERROR, lastStreamId: 0 },
  },
  {
    name: "§4.3 PRIORITY in the middle of a header block → GOAWAY PROTOCOL_ERROR",
    send: (c) => {
      headers(c, 1, ES, block(c, getFields("/")));
      c.writeFrame(FrameType.PRIORITY, 0, 1, priority(0));
    },
    expect: { goAway: PROTOCOL_ERROR },
  },
  {
    name: "§4.3 HEADERS on another stream in the middle of a header block → GOAWAY PROTOCOL_ERROR",
    send: (c) => {
      headers(c, 1, ES, block(c, getFields("/")));
      headers(c, 3, ES | EH, raw(RAW_GET));
    },
    expect: { goAway: PROTOCOL_ERROR },
  },
  {
    name: "§4.3 DATA in the middle of a header block → GOAWAY PROTOCOL_ERROR",
    send: (c) => {
      headers(c, 1, 0, block(c, postFields("/")));
      data(c, 1, ES, "x");
    },
    expect: { goAway: PROTOCOL_ERROR },
  },

  // §5.1 stream states
  {
    name: "§5.1 idle: DATA → GOAWAY PROTOCOL_ERROR",
    send: (c) => data(c, 1, ES, "x"),
    expect: { goAway: PROTOCOL_ERROR },
  },
  {
    name: "§5.1 idle: RST_STREAM → GOAWAY PROTOCOL_ERROR",
    send: (c) => c.rst(1, CANCEL),
    expect: { goAway: PROTOCOL_ERROR },
  },
  {
    name: "§5.1 idle: WINDOW_UPDATE → GOAWAY PROTOCOL_ERROR",
    send: (c) => c.windowUpdate(1, 100),
    expect: { goAway: PROTOCOL_ERROR },
  },
  {
    name: "§5.1 idle: CONTINUATION → GOAWAY PROTOCOL_ERROR",
    send: (c) => c.writeFrame(CONTINUATION, EH, 1, raw(RAW_GET)),
    expect: { goAway: PROTOCOL_ERROR },
  },
  {
    name: "§5.1 idle: PRIORITY is allowed, and the stream can then be opened → 200",
    send: (c) => {
      c.writeFrame(FrameType.PRIORITY, 0, 3, priority(0));
      c.request(1, getFields("/"));
      c.request(3, getFields("/"));
    },
    expect: { status: 200, stream: 3 },
  },
  {
    name: "§5.1 half-closed (remote): DATA → RST_STREAM STREAM_CLOSED",
    send: (c) => {
      hold(c, 1);
      data(c, 1, ES, "x");
    },
    expect: { rst: [1, STREAM_CLOSED] },
  },
  {
    name: "§5.1 half-closed (remote): HEADERS → RST_STREAM STREAM_CLOSED",
    send: (c) => {
      hold(c, 1);
      c.request(1, [F("x-trailer", "1")], true);
    },
    expect: { rst: [1, STREAM_CLOSED] },
  },
  {
    name: "§5.1 half-closed (remote): WINDOW_UPDATE is allowed",
    send: (c) => {
      hold(c, 1);
      c.windowUpdate(1, 100);
    },
    expect: { ignored: true },
  },
  {
    name: "§5.1 half-closed (remote): PRIORITY is allowed",
    send: (c) => {
      hold(c, 1);
      c.writeFrame(FrameType.PRIORITY, 0, 1, priority(0));
    },
    expect: { ignored: true },
  },
  {
    name: "§5.1 half-closed (remote): RST_STREAM is allowed (and not answered with RST_STREAM, §5.4.2)",
    send: (c) => {
      hold(c, 1);
      c.rst(1, CANCEL);
    },
    expect: { ignored: true },
  },
  {
    name: "§5.1 closed (the client reset it): DATA is ignored or STREAM_CLOSED",
    send: (c) => {
      hold(c, 1, true);
      c.rst(1, CANCEL);
      data(c, 1, ES, "x");
    },
    expect: { oneOf: [{ ignored: true }, { rst: [1, STREAM_CLOSED] }, { goAway: STREAM_CLOSED }] },
  },
  {
    name: "§5.1 closed (the client reset it): HEADERS is ignored or STREAM_CLOSED, its block still decoded (§4.3)",
    send: (c) => {
      hold(c, 1, true);
      c.rst(1, CANCEL);
      c.request(1, [F("x-trailer", "1")], true);
    },
    expect: { oneOf: [{ ignored: true }, { rst: [1, STREAM_CLOSED] }, { goAway: STREAM_CLOSED }] },
  },
  {
    name: "§5.1 closed (END_STREAM both ways): DATA is ignored or STREAM_CLOSED",
    send: async (c) => {
      await completedGet(c, 1);
      data(c, 1, ES, "x");
    },
    expect: { oneOf: [{ ignored: true }, { rst: [1, STREAM_CLOSED] }, { goAway: STREAM_CLOSED }] },
  },
  {
    name: "§5.1 closed (END_STREAM both ways): HEADERS is ignored or STREAM_CLOSED, its block still decoded (§4.3)",
    send: async (c) => {
      await completedGet(c, 1);
      c.request(1, getFields("/again"));
    },
    expect: { oneOf: [{ ignored: true }, { rst: [1, STREAM_CLOSED] }, { goAway: STREAM_CLOSED }] },
  },

  // §5.1.1 stream identifiers
  {
    name: "§5.1.1 HEADERS on an even stream id → GOAWAY PROTOCOL_ERROR",
    send: (c) => headers(c, 2, ES | EH, raw(RAW_GET)),
    expect: { goAway: PROTOCOL_ERROR },
  },
  {
    name: "§5.1.1 HEADERS on a stream id lower than a previous one → GOAWAY PROTOCOL_ERROR",
    send: async (c) => {
      await completedGet(c, 5);
      headers(c, 3, ES | EH, raw(RAW_GET));
    },
    expect: { goAway: PROTOCOL_ERROR, lastStreamId: 5 },
  },

  // §5.1.2 stream concurrency
  {
    name: "§5.1.2 HEADERS beyond SETTINGS_MAX_CONCURRENT_STREAMS (an open stream) → RST_STREAM REFUSED_STREAM or PROTOCOL_ERROR",
    limits: { http2: { maxStreamsPerConnection: 1 } },
    send: (c) => {
      hold(c, 1, true);
      c.request(3, getFields("/"));
    },
    expect: { oneOf: [{ rst: [3, REFUSED_STREAM] }, { rst: [3, PROTOCOL_ERROR] }] },
  },
  {
    name: "§5.1.2 half-closed (remote) streams count toward SETTINGS_MAX_CONCURRENT_STREAMS → RST_STREAM REFUSED_STREAM or PROTOCOL_ERROR",
    limits: { http2: { maxStreamsPerConnection: 1 } },
    send: (c) => {
      hold(c, 1);
      c.request(3, getFields("/"));
    },
    expect: { oneOf: [{ rst: [3, REFUSED_STREAM] }, { rst: [3, PROTOCOL_ERROR] }] },
  },

  // §5.3.1 stream dependencies
  {
    name: "§5.3.1 HEADERS depending on its own stream → RST_STREAM PROTOCOL_ERROR (block decoded: HPACK stays in step)",
    send: (c) => headers(c, 1, ES | EH | PRIORITY, Buffer.concat([priority(1), block(c, getFields("/", [F("x-more", "indexed")]))])),
    expect: { rst: [1, PROTOCOL_ERROR] },
  },
  {
    name: "§5.3.1 PRIORITY making a stream depend on itself → RST_STREAM PROTOCOL_ERROR",
    send: (c) => {
      hold(c, 1);
      c.writeFrame(FrameType.PRIORITY, 0, 1, priority(1));
    },
    expect: { rst: [1, PROTOCOL_ERROR] },
  },

  // §5.5 extending HTTP/2
  {
    name: "§5.5 unknown extension frame on a stream is ignored",
    send: (c) => {
      hold(c, 1, true);
      c.writeFrame(UNKNOWN_TYPE, 0xff, 1, Buffer.from("extension"));
      c.writeFrame(UNKNOWN_TYPE, 0, 7, Buffer.alloc(0));
    },
    expect: { ignored: true },
  },
  {
    name: "§5.5 unknown SETTINGS identifier is ignored (§6.5.2)",
    send: (c) => c.writeFrame(SETTINGS, 0, 0, Buffer.concat([setting(0xf0f0, 12345), setting(0x7, 1)])),
    expect: { ignored: true },
  },
  {
    name: "§5.5 extension frame in the middle of a header block → GOAWAY PROTOCOL_ERROR",
    send: (c) => {
      headers(c, 1, ES, block(c, getFields("/")));
      c.writeFrame(UNKNOWN_TYPE, 0, 1, Buffer.alloc(4));
    },
    expect: { goAway: PROTOCOL_ERROR },
  },

  // §6.1 DATA
  {
    name: "§6.1 DATA on stream 0 → GOAWAY PROTOCOL_ERROR",
    send: (c) => data(c, 0, ES, "x"),
    expect: { goAway: PROTOCOL_ERROR },
  },
  {
    name: "§6.1 DATA whose padding is as long as the payload → GOAWAY PROTOCOL_ERROR",
    send: (c) => {
      c.request(1, postFields("/"), false);
      data(c, 1, ES | PADDED, Buffer.from([5, 0x61, 0x62, 0, 0]));
    },
    expect: { goAway: PROTOCOL_ERROR },
  },
  {
    name: "§6.1 padded DATA: the padding is removed → 200 with the body",
    send: (c) => {
      c.request(1, postFields("/"), false);
      data(c, 1, PADDED, padded(Buffer.from("hello"), 3));
      data(c, 1, ES | PADDED, padded(Buffer.alloc(0), 4));
    },
    expect: { status: 200, headers: { "x-body": "hello" } },
  },

  // §6.2 HEADERS
  {
    name: "§6.2 HEADERS on stream 0 → GOAWAY PROTOCOL_ERROR",
    send: (c) => headers(c, 0, ES | EH, raw(RAW_GET)),
    expect: { goAway: PROTOCOL_ERROR },
  },
  {
    name: "§6.2 HEADERS whose padding is as long as the payload → GOAWAY PROTOCOL_ERROR",
    send: (c) => {
      const b = raw(RAW_GET);
      headers(c, 1, ES | EH | PADDED, Buffer.concat([Buffer.from([b.length + 1]), b]));
    },
    expect: { goAway: PROTOCOL_ERROR },
  },
  {
    name: "§6.2 padded HEADERS with priority → 200",
    send: (c) => {
      const b = Buffer.concat([priority(0, 200, true), block(c, getFields("/"))]);
      headers(c, 1, ES | EH | PADDED | PRIORITY, padded(b, 7));
    },
    expect: { status: 200 },
  },

  // §6.3 PRIORITY
  {
    name: "§6.3 PRIORITY on stream 0 → GOAWAY PROTOCOL_ERROR",
    send: (c) => c.writeFrame(FrameType.PRIORITY, 0, 0, priority(1)),
    expect: { goAway: PROTOCOL_ERROR },
  },
  {
    name: "§6.3 PRIORITY of length 4 → RST_STREAM FRAME_SIZE_ERROR",
    send: (c) => {
      hold(c, 1);
      c.writeFrame(FrameType.PRIORITY, 0, 1, Buffer.alloc(4));
    },
    expect: { rst: [1, FRAME_SIZE_ERROR] },
  },
  {
    name: "§6.3 PRIORITY of length 6 → RST_STREAM FRAME_SIZE_ERROR",
    send: (c) => {
      hold(c, 1);
      c.writeFrame(FrameType.PRIORITY, 0, 1, Buffer.alloc(6));
    },
    expect: { rst: [1, FRAME_SIZE_ERROR] },
  },

  // §6.4 RST_STREAM
  {
    name: "§6.4 RST_STREAM on stream 0 → GOAWAY PROTOCOL_ERROR",
    send: (c) => c.writeFrame(RST_STREAM, 0, 0, u32(CANCEL)),
    expect: { goAway: PROTOCOL_ERROR },
  },
  {
    name: "§6.4 RST_STREAM of length 3 → GOAWAY FRAME_SIZE_ERROR",
    send: (c) => {
      hold(c, 1);
      c.writeFrame(RST_STREAM, 0, 1, Buffer.alloc(3));
    },
    expect: { goAway: FRAME_SIZE_ERROR },
  },
  {
    name: "§6.4 RST_STREAM on an idle stream → GOAWAY PROTOCOL_ERROR",
    send: (c) => {
      hold(c, 1);
      c.rst(3, CANCEL);
    },
    expect: { goAway: PROTOCOL_ERROR, lastStreamId: 1 },
  },

  // §6.5 SETTINGS
  {
    name: "§6.5 SETTINGS ACK with a payload → GOAWAY FRAME_SIZE_ERROR",
    send: (c) => c.writeFrame(SETTINGS, ACK, 0, setting(SettingId.ENABLE_PUSH, 0)),
    expect: { goAway: FRAME_SIZE_ERROR },
  },
  {
    name: "§6.5 SETTINGS on a stream → GOAWAY PROTOCOL_ERROR",
    send: (c) => c.writeFrame(SETTINGS, 0, 1, Buffer.alloc(0)),
    expect: { goAway: PROTOCOL_ERROR },
  },
  {
    name: "§6.5 SETTINGS with a length not a multiple of 6 → GOAWAY FRAME_SIZE_ERROR",
    send: (c) => c.writeFrame(SETTINGS, 0, 0, Buffer.alloc(5)),
    expect: { goAway: FRAME_SIZE_ERROR },
  },
  {
    name: "§6.5.2 SETTINGS_ENABLE_PUSH 2 → GOAWAY PROTOCOL_ERROR",
    send: (c) => c.writeFrame(SETTINGS, 0, 0, setting(SettingId.ENABLE_PUSH, 2)),
    expect: { goAway: PROTOCOL_ERROR },
  },
  {
    name: "§6.5.2 SETTINGS_INITIAL_WINDOW_SIZE 2^31 → GOAWAY FLOW_CONTROL_ERROR",
    send: (c) => c.writeFrame(SETTINGS, 0, 0, setting(SettingId.INITIAL_WINDOW_SIZE, 2 ** 31)),
    expect: { goAway: FLOW_CONTROL_ERROR },
  },
  {
    name: "§6.5.2 SETTINGS_MAX_FRAME_SIZE 16383 → GOAWAY PROTOCOL_ERROR",
    send: (c) => c.writeFrame(SETTINGS, 0, 0, setting(SettingId.MAX_FRAME_SIZE, 16_383)),
    expect: { goAway: PROTOCOL_ERROR },
  },
  {
    name: "§6.5.2 SETTINGS_MAX_FRAME_SIZE 2^24 → GOAWAY PROTOCOL_ERROR",
    send: (c) => c.writeFrame(SETTINGS, 0, 0, setting(SettingId.MAX_FRAME_SIZE, 2 ** 24)),
    expect: { goAway: PROTOCOL_ERROR },
  },
  {
    name: "§6.5.2 the boundary values (ENABLE_PUSH 0 and 1, INITIAL_WINDOW_SIZE 2^31-1, MAX_FRAME_SIZE 2^14 and 2^24-1) are accepted",
    send: (c) =>
      c.writeFrame(
        SETTINGS,
        0,
        0,
        Buffer.concat([
          setting(SettingId.ENABLE_PUSH, 0),
          setting(SettingId.ENABLE_PUSH, 1),
          setting(SettingId.INITIAL_WINDOW_SIZE, MAX_WINDOW),
          setting(SettingId.INITIAL_WINDOW_SIZE, 65_535),
          setting(SettingId.MAX_FRAME_SIZE, 2 ** 14),
          setting(SettingId.MAX_FRAME_SIZE, 2 ** 24 - 1),
          setting(SettingId.MAX_FRAME_SIZE, 2 ** 14),
        ]),
      ),
    expect: { ignored: true },
  },

  // §6.6 PUSH_PROMISE, §8.4 server push
  {
    name: "§8.4 PUSH_PROMISE from the client → GOAWAY PROTOCOL_ERROR",
    send: (c) => {
      hold(c, 1);
      c.writeFrame(PUSH_PROMISE, EH, 1, Buffer.concat([u32(2), raw(RAW_GET)]));
    },
    expect: { goAway: PROTOCOL_ERROR, lastStreamId: 1 },
  },

  // §6.7 PING
  {
    name: "§6.7 PING on a stream → GOAWAY PROTOCOL_ERROR",
    send: (c) => c.writeFrame(PING, 0, 1, Buffer.alloc(8)),
    expect: { goAway: PROTOCOL_ERROR },
  },
  {
    name: "§6.7 PING of length 7 → GOAWAY FRAME_SIZE_ERROR",
    send: (c) => c.writeFrame(PING, 0, 0, Buffer.alloc(7)),
    expect: { goAway: FRAME_SIZE_ERROR },
  },
  {
    name: "§6.7 PING of length 9 → GOAWAY FRAME_SIZE_ERROR",
    send: (c) => c.writeFrame(PING, 0, 0, Buffer.alloc(9)),
    expect: { goAway: FRAME_SIZE_ERROR },
  },

  // §6.8 GOAWAY
  {
    name: "§6.8 GOAWAY on a stream → GOAWAY PROTOCOL_ERROR",
    send: (c) => c.writeFrame(GOAWAY, 0, 1, Buffer.concat([u32(0), u32(0)])),
    expect: { goAway: PROTOCOL_ERROR },
  },
  {
    name: "§6.8 GOAWAY shorter than 8 octets → GOAWAY FRAME_SIZE_ERROR (§4.2)",
    send: (c) => c.writeFrame(GOAWAY, 0, 0, Buffer.alloc(7)),
    expect: { goAway: FRAME_SIZE_ERROR },
  },

  // §6.9 WINDOW_UPDATE
  {
    name: "§6.9 WINDOW_UPDATE with a 0 increment on a stream → RST_STREAM PROTOCOL_ERROR",
    send: (c) => {
      hold(c, 1);
      c.writeFrame(WINDOW_UPDATE, 0, 1, u32(0));
    },
    expect: { rst: [1, PROTOCOL_ERROR] },
  },
  {
    name: "§6.9 WINDOW_UPDATE with a 0 increment on the connection → GOAWAY PROTOCOL_ERROR",
    send: (c) => c.writeFrame(WINDOW_UPDATE, 0, 0, u32(0)),
    expect: { goAway: PROTOCOL_ERROR },
  },
  {
    name: "§6.9 WINDOW_UPDATE of length 3 → GOAWAY FRAME_SIZE_ERROR",
    send: (c) => c.writeFrame(WINDOW_UPDATE, 0, 0, Buffer.from([0, 0, 1])),
    expect: { goAway: FRAME_SIZE_ERROR },
  },
  {
    name: "§6.9 WINDOW_UPDATE of length 5 on a stream → GOAWAY FRAME_SIZE_ERROR",
    send: (c) => {
      hold(c, 1);
      c.writeFrame(WINDOW_UPDATE, 0, 1, Buffer.from([0, 0, 0, 1, 0]));
    },
    expect: { goAway: FRAME_SIZE_ERROR },
  },
  {
    name: "§6.9 the reserved bit of the WINDOW_UPDATE increment is ignored",
    send: (c) => c.writeFrame(WINDOW_UPDATE, 0, 0, u32(0x8000_0001)),
    expect: { ignored: true },
  },
  {
    name: "§6.9.1 a stream window beyond 2^31-1 → RST_STREAM FLOW_CONTROL_ERROR",
    send: (c) => {
      hold(c, 1);
      c.windowUpdate(1, MAX_WINDOW);
    },
    expect: { rst: [1, FLOW_CONTROL_ERROR] },
  },
  {
    name: "§6.9.1 the connection window beyond 2^31-1 → GOAWAY FLOW_CONTROL_ERROR",
    send: (c) => c.windowUpdate(0, MAX_WINDOW),
    expect: { goAway: FLOW_CONTROL_ERROR },
  },
  {
    name: "§6.9.1 the connection window beyond 2^31-1 over two WINDOW_UPDATEs → GOAWAY FLOW_CONTROL_ERROR",
    send: (c) => {
      c.windowUpdate(0, MAX_WINDOW - 65_535);
      c.windowUpdate(0, 1);
    },
    expect: { goAway: FLOW_CONTROL_ERROR },
  },
  {
    name: "§6.9.1 a connection window of exactly 2^31-1 is allowed",
    send: (c) => c.windowUpdate(0, MAX_WINDOW - 65_535),
    expect: { ignored: true },
  },
  {
    name: "§6.9.2 SETTINGS_INITIAL_WINDOW_SIZE pushing an open stream's window beyond 2^31-1 → GOAWAY FLOW_CONTROL_ERROR",
    send: (c) => {
      hold(c, 1);
      c.windowUpdate(1, MAX_WINDOW - 65_535);
      c.writeFrame(SETTINGS, 0, 0, setting(SettingId.INITIAL_WINDOW_SIZE, 65_536));
    },
    expect: { goAway: FLOW_CONTROL_ERROR },
  },

  // §6.10 CONTINUATION
  {
    name: "§6.10 CONTINUATION after a complete header block (no HEADERS open) → GOAWAY PROTOCOL_ERROR",
    send: (c) => {
      hold(c, 1);
      c.writeFrame(CONTINUATION, EH, 1, raw(literal("x-late", "1")));
    },
    expect: { goAway: PROTOCOL_ERROR },
  },
  {
    name: "§6.10 CONTINUATION on another stream than the open header block → GOAWAY PROTOCOL_ERROR",
    send: (c) => {
      headers(c, 1, ES, raw(RAW_GET));
      c.writeFrame(CONTINUATION, EH, 3, raw(literal("x-more", "1")));
    },
    expect: { goAway: PROTOCOL_ERROR },
  },
  {
    name: "§6.10 CONTINUATION on stream 0 → GOAWAY PROTOCOL_ERROR",
    send: (c) => {
      headers(c, 1, ES, raw(RAW_GET));
      c.writeFrame(CONTINUATION, EH, 0, raw(literal("x-more", "1")));
    },
    expect: { goAway: PROTOCOL_ERROR },
  },
  {
    name: "§6.10 a header block in HEADERS and three CONTINUATION (END_STREAM on HEADERS) → 200",
    send: (c) => c.request(1, getFields("/split", [F("x-long", "v".repeat(40))]), true, 20),
    expect: { status: 200, headers: { "x-path": "/split" } },
  },
  {
    name: "§6.10 empty HEADERS then the whole block in CONTINUATION → 200",
    send: (c) => {
      headers(c, 1, ES, Buffer.alloc(0));
      c.writeFrame(CONTINUATION, EH, 1, block(c, getFields("/cont")));
    },
    expect: { status: 200, headers: { "x-path": "/cont" } },
  },

  // §7 error codes
  {
    name: "§7 RST_STREAM with an unknown error code triggers no special behaviour",
    send: (c) => {
      hold(c, 1, true);
      c.rst(1, 0xdead);
    },
    expect: { ignored: true },
  },

  // §8.1 HTTP message framing
  {
    name: "§8.1 trailers with END_STREAM → 200",
    send: (c) => {
      c.request(1, postFields("/"), false);
      data(c, 1, 0, "abc");
      c.request(1, [F("x-trailer", "1")], true);
    },
    expect: { status: 200, headers: { "x-body": "abc" } },
  },
  {
    name: "§8.1 trailers without END_STREAM → RST_STREAM PROTOCOL_ERROR",
    send: (c) => {
      c.request(1, postFields("/"), false);
      data(c, 1, 0, "abc");
      c.request(1, [F("x-trailer", "1")], false);
    },
    expect: { rst: [1, PROTOCOL_ERROR] },
  },
  {
    name: "§8.1.1 content-length larger than the DATA received → RST_STREAM PROTOCOL_ERROR",
    send: (c) => {
      c.request(1, postFields("/", [F("content-length", "10")]), false);
      data(c, 1, ES, "12345");
    },
    expect: { rst: [1, PROTOCOL_ERROR] },
  },
  {
    name: "§8.1.1 DATA beyond content-length → RST_STREAM PROTOCOL_ERROR",
    send: (c) => {
      c.request(1, postFields("/", [F("content-length", "3")]), false);
      data(c, 1, 0, "12");
      data(c, 1, ES, "345");
    },
    expect: { rst: [1, PROTOCOL_ERROR] },
  },
  {
    name: "§8.1.1 content-length 5 on HEADERS with END_STREAM → RST_STREAM PROTOCOL_ERROR",
    send: (c) => c.request(1, postFields("/", [F("content-length", "5")]), true),
    expect: { rst: [1, PROTOCOL_ERROR] },
  },
  {
    name: "§8.1.1 content-length matching the DATA in two frames → 200",
    send: (c) => {
      c.request(1, postFields("/", [F("content-length", "5")]), false);
      data(c, 1, 0, "12");
      data(c, 1, ES, "345");
    },
    expect: { status: 200, headers: { "x-body": "12345" } },
  },

  // §8.2.1 field validity (malformed, §8.1.1)
  malformed("§8.2.1 uppercase field name → RST_STREAM PROTOCOL_ERROR", () => getFields("/", [F("X-Upper", "1")])),
  malformed("§8.2.1 field name with a space → RST_STREAM PROTOCOL_ERROR", () => getFields("/", [F("x name", "1")])),
  malformed("§8.2.1 field name with a colon inside → RST_STREAM PROTOCOL_ERROR", () => getFields("/", [F("x:name", "1")])),
  malformed("§8.2.1 field name with DEL (0x7f) → RST_STREAM PROTOCOL_ERROR", () => getFields("/", [F("x\x7fname", "1")])),
  malformed("§8.2.1 field name with a non-ASCII octet (0xe9) → RST_STREAM PROTOCOL_ERROR", () => getFields("/", [F("x\xe9", "1")])),
  malformed("§8.2.1 field value with NUL → RST_STREAM PROTOCOL_ERROR", () => getFields("/", [F("x-value", "a\0b")])),
  malformed("§8.2.1 field value with CR → RST_STREAM PROTOCOL_ERROR", () => getFields("/", [F("x-value", "a\rb")])),
  malformed("§8.2.1 field value with LF → RST_STREAM PROTOCOL_ERROR", () => getFields("/", [F("x-value", "a\nb")])),
  malformed("§8.2.1 field value starting with a space → RST_STREAM PROTOCOL_ERROR", () => getFields("/", [F("x-value", " a")])),
  malformed("§8.2.1 field value ending with a tab → RST_STREAM PROTOCOL_ERROR", () => getFields("/", [F("x-value", "a\t")])),

  // §8.2.2 connection-specific fields
  ...["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"].map((name) =>
    malformed(`§8.2.2 connection-specific field '${name}' → RST_STREAM PROTOCOL_ERROR`, () => getFields("/", [F(name, name === "connection" ? "close" : "x")])),
  ),
  malformed("§8.2.2 TE other than 'trailers' → RST_STREAM PROTOCOL_ERROR", () => getFields("/", [F("te", "gzip")])),
  {
    name: "§8.2.2 TE: trailers is allowed → 200",
    send: (c) => c.request(1, getFields("/", [F("te", "trailers")])),
    expect: { status: 200 },
  },

  // §8.2.3 compressing the cookie field
  {
    name: "§8.2.3 split cookie fields are joined with '; ' for the application",
    send: (c) => c.request(1, getFields("/", [F("cookie", "a=1"), F("cookie", "b=2")])),
    expect: { status: 200, headers: { "x-cookie": "a=1; b=2" } },
  },

  // §8.3 HTTP control data (pseudo-header fields)
  malformed("§8.3 pseudo-header after a regular field → RST_STREAM PROTOCOL_ERROR", () => [
    F(":method", "GET"),
    F(":scheme", "http"),
    F(":authority", "localhost"),
    CUSTOM,
    F(":path", "/"),
  ]),
  malformed("§8.3 undefined pseudo-header (:foo) → RST_STREAM PROTOCOL_ERROR", () => [...requestHeaders("GET", "/"), F(":foo", "bar"), CUSTOM]),
  malformed("§8.3 response pseudo-header (:status) in a request → RST_STREAM PROTOCOL_ERROR", () => [...requestHeaders("GET", "/"), F(":status", "200"), CUSTOM]),
  {
    name: "§8.3 pseudo-header in trailers → RST_STREAM PROTOCOL_ERROR",
    send: (c) => {
      c.request(1, postFields("/"), false);
      data(c, 1, 0, "abc");
      c.request(1, [F(":path", "/trailer")], true);
    },
    expect: { rst: [1, PROTOCOL_ERROR] },
  },
  ...[":method", ":scheme", ":path", ":authority"].map((name) =>
    malformed(`§8.3.1 duplicate ${name} → RST_STREAM PROTOCOL_ERROR`, () => {
      const fields = getFields("/");
      const at = fields.findIndex((f) => f.name === name);
      fields.splice(at + 1, 0, fields[at]!);
      return fields;
    }),
  ),
  ...[":method", ":scheme", ":path"].map((name) => malformed(`§8.3.1 missing ${name} → RST_STREAM PROTOCOL_ERROR`, () => without(name))),
  malformed("§8.3.1 empty :path → RST_STREAM PROTOCOL_ERROR", () => getFields("")),
  malformed("§8.3.1 :path '*' on a GET (only OPTIONS may use it) → RST_STREAM PROTOCOL_ERROR", () => getFields("*")),
  malformed("§8.3.1 :authority with userinfo (user@host) → RST_STREAM PROTOCOL_ERROR", () => withAuthority("user@localhost")),
  ...[
    ["a space", "local host"],
    ["an unbracketed IPv6 literal", "::1"],
    ["a non-numeric port", "localhost:http"],
    ["raw UTF-8 bytes", Buffer.from("bücher.example").toString("latin1")],
  ].map(([what, value]) => ({
    name: `§8.3.1 :authority with ${what} is not an RFC 3986 authority → 400, as Kestrel answers an invalid host`,
    send: (c: H2Client) => c.request(1, withAuthority(value!)),
    expect: { status: 400 } as Expect,
  })),
  {
    name: "§8.3.1 :authority as a bracketed IPv6 literal with a port → 200",
    send: (c) => c.request(1, withAuthority("[::1]:8080")),
    expect: { status: 200 },
  },
  {
    name: "§8.3.1 OPTIONS with :path '*' → 200",
    send: (c) => c.request(1, [...requestHeaders("OPTIONS", "*"), CUSTOM]),
    expect: { status: 200, headers: { "x-method": "OPTIONS", "x-path": "*" } },
  },

  // §8.5 CONNECT
  malformed("§8.5 CONNECT with :scheme and :path → RST_STREAM PROTOCOL_ERROR", () => [...requestHeaders("CONNECT", "/"), CUSTOM]),
  malformed("§8.5 CONNECT without :authority → RST_STREAM PROTOCOL_ERROR", () => [F(":method", "CONNECT"), CUSTOM]),

  // RFC 7541
  {
    name: "RFC 7541 §4.2 dynamic table size update above SETTINGS_HEADER_TABLE_SIZE (4097 > 4096) → GOAWAY COMPRESSION_ERROR",
    send: (c) => headers(c, 1, ES | EH, raw([0x3f, 0xe2, 0x1f], RAW_GET)),
    expect: { goAway: COMPRESSION_ERROR },
  },
  {
    name: "RFC 7541 §4.2 dynamic table size update after the first field of a block → GOAWAY COMPRESSION_ERROR",
    send: (c) => headers(c, 1, ES | EH, raw(RAW_GET, [0x20])),
    expect: { goAway: COMPRESSION_ERROR },
  },
  {
    name: "RFC 7541 §4.2 two dynamic table size updates (0, then 4096) at the start of a block → 200",
    send: (c) => headers(c, 1, ES | EH, raw([0x20, 0x3f, 0xe1, 0x1f], RAW_GET)),
    expect: { status: 200 },
  },
  {
    name: "RFC 7541 §4.4 an entry larger than the table empties it: its old entry is then out of range → GOAWAY COMPRESSION_ERROR",
    send: async (c) => {
      headers(c, 1, ES | EH, raw(RAW_GET, literal("x-a", "1", 0x40)));
      headers(c, 3, ES | EH, raw(RAW_GET, [0xbe])); // index 62 = x-a: 1
      expect((await c.response(3)).status).toBe(200);
      headers(c, 5, ES | EH, raw(RAW_GET, literal("x-big", "b".repeat(5000), 0x40)));
      expect((await c.response(5)).status).toBe(200);
      headers(c, 7, ES | EH, raw(RAW_GET, [0xbe]));
    },
    expect: { goAway: COMPRESSION_ERROR, lastStreamId: 5 },
  },
  {
    name: "RFC 7541 §5.1 integer overflow → GOAWAY COMPRESSION_ERROR",
    send: (c) => headers(c, 1, ES | EH, raw(RAW_GET, [0xff, 0xff, 0xff, 0xff, 0xff, 0x0f])),
    expect: { goAway: COMPRESSION_ERROR },
  },
  {
    name: "RFC 7541 §5.2 Huffman string containing EOS → GOAWAY COMPRESSION_ERROR",
    send: (c) => headers(c, 1, ES | EH, raw(RAW_GET, [0x00], huffmanString([0xff, 0xff, 0xff, 0xff]), hpackString("v"))),
    expect: { goAway: COMPRESSION_ERROR },
  },
  {
    name: "RFC 7541 §5.2 Huffman padding longer than 7 bits → GOAWAY COMPRESSION_ERROR",
    // 'a' is 00011; then 11 one bits.
    send: (c) => headers(c, 1, ES | EH, raw(RAW_GET, [0x00], hpackString("x-h"), huffmanString([0x1f, 0xff]))),
    expect: { goAway: COMPRESSION_ERROR },
  },
  {
    name: "RFC 7541 §5.2 Huffman padding that is not the EOS prefix (zeros) → GOAWAY COMPRESSION_ERROR",
    // 'a' is 00011; then 000.
    send: (c) => headers(c, 1, ES | EH, raw(RAW_GET, [0x00], hpackString("x-h"), huffmanString([0x18]))),
    expect: { goAway: COMPRESSION_ERROR },
  },
  {
    name: "RFC 7541 §5.2 a valid Huffman value with EOS-prefix padding → 200",
    // 'a' is 00011, padded with 111.
    send: (c) => headers(c, 1, ES | EH, raw(RAW_GET, [0x00], hpackString("x-custom"), huffmanString([0x1f]))),
    expect: { status: 200, headers: { "x-echo-custom": "a" } },
  },
  {
    name: "RFC 7541 §6.1 indexed field with index 0 → GOAWAY COMPRESSION_ERROR",
    send: (c) => headers(c, 1, ES | EH, raw(RAW_GET, [0x80])),
    expect: { goAway: COMPRESSION_ERROR },
  },
  {
    name: "RFC 7541 §2.3.3 indexed field beyond the static and dynamic tables (62, empty table) → GOAWAY COMPRESSION_ERROR",
    send: (c) => headers(c, 1, ES | EH, raw(RAW_GET, [0xbe])),
    expect: { goAway: COMPRESSION_ERROR },
  },
  {
    name: "RFC 7541 §2.3.3 literal whose name index is beyond the tables → GOAWAY COMPRESSION_ERROR",
    send: (c) => headers(c, 1, ES | EH, raw(RAW_GET, literalIndexedName(70, "v", 0x40))),
    expect: { goAway: COMPRESSION_ERROR },
  },
  {
    name: "RFC 7541 §5.2 string longer than the block → GOAWAY COMPRESSION_ERROR",
    send: (c) => headers(c, 1, ES | EH, raw(RAW_GET, [0x00, 0x03, 0x78, 0x2d, 0x61, 0x7f, 0x61])),
    expect: { goAway: COMPRESSION_ERROR },
  },
  {
    name: "RFC 7541 §6.2.2/§6.2.3 literals without indexing and never indexed are accepted → 200",
    send: (c) => headers(c, 1, ES | EH, raw(RAW_GET, literal("x-custom", "plain"), literal("cookie", "n=1", 0x10))),
    expect: { status: 200, headers: { "x-echo-custom": "plain", "x-cookie": "n=1" } },
  },
];

/** A GET of `/` whose :authority is `value`. */
function withAuthority(value: string): HeaderField[] {
  return getFields("/").map((f) => (f.name === ":authority" ? F(":authority", value) : f));
}
