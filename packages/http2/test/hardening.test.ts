/**
 * Hardening: one test per known HTTP/2 attack. Each sends the attack's frames
 * byte for byte and checks the exact defence (RST_STREAM / GOAWAY code, the
 * point at which it triggers, and that well-behaved clients are not hit).
 * Time is moved only by ticking the test heartbeat; every loop is bounded.
 */
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CONNECTION_PREFACE } from "../src/frame-types.js";
import { frameHeader, headersFrames, pingFrame, settingsFrame, windowUpdateFrame } from "../src/frame-writer.js";
import {
  cleanup,
  ErrorCode,
  FrameFlags,
  FrameType,
  H2Client,
  type ReceivedFrame,
  requestHeaders,
  SettingId,
  startServer,
  type TestServer,
} from "./harness.js";

// ---- process-wide crash detection -----------------------------------------------------------

const uncaught: unknown[] = [];
const onUncaught = (error: unknown) => uncaught.push(error);
beforeAll(() => {
  process.on("uncaughtException", onUncaught);
  process.on("unhandledRejection", onUncaught);
});
afterAll(() => {
  process.off("uncaughtException", onUncaught);
  process.off("unhandledRejection", onUncaught);
});
afterEach(async () => {
  await cleanup();
  expect(uncaught, "uncaught exceptions / unhandled rejections").toEqual([]);
});

// ---- helpers --------------------------------------------------------------------------------

const MB = 1024 * 1024;
const DEFAULT_HEADERS_TOTAL = 32_768;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

let pingCounter = 0;
/** Round trip: a PING with a fresh payload and its ACK. Frames are processed in order, so everything sent before was handled. */
async function sync(client: H2Client): Promise<void> {
  const opaque = Buffer.alloc(8);
  opaque.writeUInt32BE(0xc0ffee00, 0);
  opaque.writeUInt32BE(++pingCounter, 4);
  const since = client.frames.length;
  client.ping(opaque);
  await client.waitFor((f) => f.type === FrameType.PING && (f.flags & FrameFlags.ACK) !== 0 && f.payload.equals(opaque), "PING ACK (sync)", since);
}

/** Moves the heartbeat `count` times by `ms` (the real heartbeat ticks every second). */
function ticks(server: TestServer, count: number, ms = 1_000): void {
  for (let i = 0; i < count; i++) server.heartbeat.tick(ms);
}

function goAways(client: H2Client): ReceivedFrame[] {
  return client.frames.filter((f) => f.type === FrameType.GOAWAY);
}

function serverResets(client: H2Client): Array<{ streamId: number; code: number }> {
  return client.frames.filter((f) => f.type === FrameType.RST_STREAM).map((f) => ({ streamId: f.streamId, code: f.payload.readUInt32BE(0) }));
}

/** Lets the server react, then asserts it did not send GOAWAY nor close. */
async function expectStillOpen(client: H2Client, ms = 60): Promise<void> {
  await sleep(ms);
  expect(goAways(client), "no GOAWAY expected").toEqual([]);
  expect(client.closed, "connection should still be open").toBe(false);
}

function isEndStream(f: ReceivedFrame, streamId: number): boolean {
  return f.streamId === streamId && (f.type === FrameType.DATA || f.type === FrameType.HEADERS) && (f.flags & FrameFlags.END_STREAM) !== 0;
}

/** A full GET on a fresh stream: status and body. */
async function roundTrip(client: H2Client, streamId: number, path = "/"): Promise<{ status: number; body: string }> {
  const since = client.frames.length;
  client.get(streamId, path);
  const { status } = await client.response(streamId);
  await client.waitFor((f) => isEndStream(f, streamId), `END_STREAM on ${streamId}`, since);
  return { status, body: client.body(streamId).toString() };
}

/** A fresh connection to `server` still answers a GET. */
async function freshConnectionWorks(server: TestServer): Promise<void> {
  const client = await H2Client.handshake(server.port);
  const { status, body } = await roundTrip(client, 1, "/fresh");
  expect(status).toBe(200);
  expect(body).toBe("ok /fresh");
  client.socket.destroy();
}

const okApp = (ctx: { request: { path: string }; response: { end(s: string): Promise<void> } }) => ctx.response.end(`ok ${ctx.request.path}`);

// HPACK by hand (RFC 7541 §5.1, §5.2, §6.2.2), so sizes are exact and no table is touched.
function hpackInteger(flags: number, prefixBits: number, value: number): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.from([flags | value]);
  const out = [flags | max];
  value -= max;
  while (value >= 128) {
    out.push((value % 128) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return Buffer.from(out);
}

function rawString(s: string): Buffer {
  return Buffer.concat([hpackInteger(0, 7, s.length), Buffer.from(s, "latin1")]);
}

/** Literal without indexing: a name index (static table) or a new name. */
function literalWithoutIndexing(name: number | string, value: string): Buffer {
  const prefix = typeof name === "number" ? hpackInteger(0x00, 4, name) : Buffer.concat([Buffer.from([0x00]), rawString(name)]);
  return Buffer.concat([prefix, rawString(value)]);
}

/** `:method GET`, `:scheme http`, `:path /` (static indexes 2, 6, 4) and `:authority localhost` (name index 1), touching no table. */
const PLAIN_GET_PREFIX = Buffer.concat([Buffer.from([0x82, 0x86, 0x84]), literalWithoutIndexing(1, "localhost")]);

// ---- 1. rapid reset -------------------------------------------------------------------------

describe("rapid reset (CVE-2023-44487)", () => {
  it("streams reset by the client still count while their app runs: beyond 2x the limit RST_STREAM ENHANCE_YOUR_CALM, then GOAWAY ENHANCE_YOUR_CALM", async () => {
    const MAX = 10;
    const gate = deferred();
    let started = 0;
    // The app ignores the abort: it only returns when the test opens the gate.
    const server = await startServer(
      async () => {
        started++;
        await gate.promise;
      },
      { limits: { http2: { maxStreamsPerConnection: MAX } } },
    );
    try {
      const client = await H2Client.handshake(server.port);
      const openAndReset = (id: number) => {
        client.get(id);
        client.rst(id, ErrorCode.CANCEL);
      };
      // 2x the limit: all accepted (the client reset them, so none is "open" for the client).
      for (let i = 0; i < 2 * MAX; i++) openAndReset(2 * i + 1);
      await sync(client);
      expect(started).toBe(2 * MAX);
      expect(serverResets(client)).toEqual([]);
      expect(goAways(client)).toEqual([]);

      // The first stream over 2x the limit: RST_STREAM ENHANCE_YOUR_CALM, connection still up.
      const firstOver = 4 * MAX + 1; // stream #21 = id 41
      openAndReset(firstOver);
      expect(await client.rstCode(firstOver)).toBe(ErrorCode.ENHANCE_YOUR_CALM);
      await sync(client);
      expect(goAways(client)).toEqual([]);
      expect(started).toBe(2 * MAX);

      // Carrying on: GOAWAY ENHANCE_YOUR_CALM and the close.
      for (let id = firstOver + 2, n = 0; n < 40; id += 2, n++) openAndReset(id);
      const goAway = await client.goAway();
      expect(goAway.errorCode).toBe(ErrorCode.ENHANCE_YOUR_CALM);
      await client.waitClosed();
      expect(started, "no app started past 2x the limit").toBe(2 * MAX);
      const resets = serverResets(client);
      expect(resets.length).toBeGreaterThan(1);
      for (const r of resets) {
        expect(r.streamId).toBeGreaterThanOrEqual(firstOver);
        expect(r.code).toBe(ErrorCode.ENHANCE_YOUR_CALM);
      }
    } finally {
      gate.resolve();
    }
  });

  it("finished streams (app done, client END_STREAM) do not count: 1000 sequential requests on one connection are never refused", async () => {
    const server = await startServer(okApp, { limits: { http2: { maxStreamsPerConnection: 10 } } });
    const client = await H2Client.handshake(server.port);
    for (let i = 0; i < 1000; i++) {
      const id = 2 * i + 1;
      const since = client.frames.length;
      client.get(id, "/seq");
      const end = await client.waitFor((f) => isEndStream(f, id) || (f.type === FrameType.RST_STREAM && f.streamId === id) || f.type === FrameType.GOAWAY, `end of ${id}`, since);
      expect(end.type, `stream ${id}`).toBe(FrameType.DATA);
    }
    expect(serverResets(client)).toEqual([]);
    expect(goAways(client)).toEqual([]);
    expect(client.closed).toBe(false);
  });

  it("a client keeping streams open legitimately gets REFUSED_STREAM (not ENHANCE_YOUR_CALM) over the limit, and a new stream once one finishes", async () => {
    const MAX = 10;
    const server = await startServer(
      async (ctx) => {
        const body = await ctx.request.body.buffer();
        await ctx.response.end(`read ${body.length}`);
      },
      { limits: { http2: { maxStreamsPerConnection: MAX } } },
    );
    const client = await H2Client.handshake(server.port);
    // MAX streams whose request bodies are still coming (no END_STREAM).
    for (let i = 0; i < MAX; i++) client.get(2 * i + 1, "/upload", [], false);
    await sync(client);
    expect(serverResets(client)).toEqual([]);
    const over = 2 * MAX + 1;
    client.get(over, "/upload", [], false);
    expect(await client.rstCode(over)).toBe(ErrorCode.REFUSED_STREAM);
    // A few more attempts stay REFUSED_STREAM; nothing escalates.
    for (let n = 1; n <= 4; n++) client.get(over + 2 * n, "/upload", [], false);
    await sync(client);
    for (const r of serverResets(client)) expect(r.code).toBe(ErrorCode.REFUSED_STREAM);
    expect(serverResets(client).map((r) => r.streamId)).toEqual([over, over + 2, over + 4, over + 6, over + 8]);
    expect(goAways(client)).toEqual([]);
    // One stream finishes: a new one is accepted.
    client.writeFrame(FrameType.DATA, FrameFlags.END_STREAM, 1);
    await client.waitFor((f) => isEndStream(f, 1), "END_STREAM on 1");
    expect(client.body(1).toString()).toBe("read 0");
    const next = over + 10;
    client.get(next, "/after");
    const { status } = await client.response(next);
    expect(status).toBe(200);
    await client.waitFor((f) => isEndStream(f, next), `END_STREAM on ${next}`);
    expect(serverResets(client).filter((r) => r.streamId === next)).toEqual([]);
    await expectStillOpen(client, 10);
  });
});

// ---- 1b. refused-stream flood ---------------------------------------------------------------

describe("refused-stream flood (RFC 9113 §5.1.2: a client ignoring SETTINGS_MAX_CONCURRENT_STREAMS)", () => {
  const MAX = 10;
  /** Refusals in a row, none accepted between, before GOAWAY (node:http2's maxSessionRejectedStreams). */
  const IN_A_ROW = 100;
  const bodyApp = async (ctx: { request: { body: { buffer(): Promise<Buffer> } }; response: { end(s: string): Promise<void> } }) => {
    const body = await ctx.request.body.buffer();
    await ctx.response.end(`read ${body.length}`);
  };

  /** Opens MAX streams whose bodies never end, so every further stream is over the limit. */
  async function fillStreams(client: H2Client): Promise<void> {
    for (let i = 0; i < MAX; i++) client.get(2 * i + 1, "/upload", [], false);
    await sync(client);
    expect(serverResets(client)).toEqual([]);
  }

  it(`a client that keeps opening streams over the limit gets ${IN_A_ROW} REFUSED_STREAM, then GOAWAY ENHANCE_YOUR_CALM and the close`, async () => {
    const server = await startServer(bodyApp, { limits: { http2: { maxStreamsPerConnection: MAX } } });
    const client = await H2Client.handshake(server.port);
    await fillStreams(client);
    const first = 2 * MAX + 1;
    for (let n = 0; n < 3 * IN_A_ROW; n++) client.get(first + 2 * n, "/flood", [], false);
    const goAway = await client.goAway();
    expect(goAway.errorCode).toBe(ErrorCode.ENHANCE_YOUR_CALM);
    await client.waitClosed();
    const resets = serverResets(client);
    expect(resets).toHaveLength(IN_A_ROW);
    for (const r of resets) expect(r.code).toBe(ErrorCode.REFUSED_STREAM);
    const fresh = await H2Client.handshake(server.port);
    expect((await roundTrip(fresh, 1, "/fresh")).status).toBe(200);
  });

  it("the same flood from a client that never reads is cut as soon: its refusals do not pile up", async () => {
    const server = await startServer(bodyApp, { limits: { http2: { maxStreamsPerConnection: MAX } } });
    const client = await H2Client.handshake(server.port);
    await fillStreams(client);
    client.socket.pause();
    const first = 2 * MAX + 1;
    const batch = Buffer.concat(
      Array.from({ length: 3 * IN_A_ROW }, (_, n) => headersFrames(first + 2 * n, PLAIN_GET_PREFIX, false, 16_384)).flat(),
    );
    client.socket.write(batch);
    const serverSide = server.connections[0]!.transport;
    const deadline = Date.now() + 1_000;
    while (!serverSide.destroyed && !serverSide.writableEnded && Date.now() < deadline) await sleep(10);
    expect(serverSide.destroyed || serverSide.writableEnded, "the server ended the connection within a second").toBe(true);
    client.socket.resume();
    const goAway = await client.goAway();
    expect(goAway.errorCode).toBe(ErrorCode.ENHANCE_YOUR_CALM);
    expect(serverResets(client)).toHaveLength(IN_A_ROW);
  });

  it("refusals between accepted streams never add up: three rounds of 90, each followed by a finished and a new stream, keep the connection", async () => {
    const server = await startServer(bodyApp, { limits: { http2: { maxStreamsPerConnection: MAX } } });
    const client = await H2Client.handshake(server.port);
    await fillStreams(client);
    let next = 2 * MAX + 1;
    let finishing = 1;
    for (let round = 0; round < 3; round++) {
      for (let n = 0; n < IN_A_ROW - 10; n++, next += 2) client.get(next, "/over", [], false);
      await sync(client);
      // One open stream finishes; the next stream is accepted (and stays open, so the limit is reached again).
      client.writeFrame(FrameType.DATA, FrameFlags.END_STREAM, finishing);
      await client.waitFor((f) => isEndStream(f, finishing), `END_STREAM on ${finishing}`);
      finishing += 2;
      client.get(next, "/accepted", [], false);
      await sync(client);
      expect(serverResets(client).filter((r) => r.streamId === next)).toEqual([]);
      next += 2;
    }
    expect(serverResets(client)).toHaveLength(3 * (IN_A_ROW - 10));
    await expectStillOpen(client, 10);
  });
});

// ---- 2. CONTINUATION flood ------------------------------------------------------------------

describe("CONTINUATION flood (CVE-2024-27316 family, RFC 9113 §6.10)", () => {
  it("(a) a compressed block over 2x maxRequestHeadersTotalSize is GOAWAY PROTOCOL_ERROR, exactly at that size", async () => {
    let appCalls = 0;
    const server = await startServer(() => {
      appCalls++;
    });
    const client = await H2Client.handshake(server.port);
    const cap = 2 * DEFAULT_HEADERS_TOTAL;
    let written = 0;
    const fragment = Buffer.alloc(16_384, 0x41);
    client.writeFrame(FrameType.HEADERS, FrameFlags.END_STREAM, 1, fragment);
    written += fragment.length;
    while (written < cap) {
      client.writeFrame(FrameType.CONTINUATION, 0, 1, fragment);
      written += fragment.length;
    }
    expect(written).toBe(cap);
    // Exactly 2x: still accepted (the block may still end).
    await expectStillOpen(client, 100);
    // One more byte: over the cap.
    client.writeFrame(FrameType.CONTINUATION, 0, 1, Buffer.from([0x41]));
    written += 1;
    const goAway = await client.goAway();
    expect(goAway.errorCode).toBe(ErrorCode.PROTOCOL_ERROR);
    await client.waitClosed();
    expect(written).toBe(cap + 1);
    expect(appCalls).toBe(0);
  });

  it("(b) a block between 1x and 2x whose decoded list exceeds the limit gets :status 431 on its stream; the connection keeps serving", async () => {
    let appCalls = 0;
    const server = await startServer((ctx) => {
      appCalls++;
      return okApp(ctx);
    });
    const client = await H2Client.handshake(server.port);
    const pads: Buffer[] = [];
    for (let i = 0; i < 40; i++) pads.push(literalWithoutIndexing(`x-pad-${String(i).padStart(2, "0")}`, "p".repeat(1000)));
    const block = Buffer.concat([PLAIN_GET_PREFIX, ...pads]);
    expect(block.length).toBeGreaterThan(DEFAULT_HEADERS_TOTAL);
    expect(block.length).toBeLessThan(2 * DEFAULT_HEADERS_TOTAL);
    for (const frame of headersFrames(1, block, true, 16_384)) client.write(frame);
    const { status } = await client.response(1);
    expect(status).toBe(431);
    expect(appCalls).toBe(0);
    expect(await roundTrip(client, 3, "/next")).toEqual({ status: 200, body: "ok /next" });
    expect(goAways(client)).toEqual([]);
  });

  it("(c) requestHeadersTimeout while a block is open: GOAWAY and close", async () => {
    const server = await startServer(okApp);
    const client = await H2Client.handshake(server.port);
    // PING first in the same write: its ACK proves the HEADERS behind it was read too.
    const opaque = Buffer.from("blockopn");
    client.write(Buffer.concat([pingFrame(opaque, false), frameHeader(1, FrameType.HEADERS, FrameFlags.END_STREAM, 1), Buffer.from([0x82])]));
    await client.waitFor((f) => f.type === FrameType.PING && f.payload.equals(opaque), "PING ACK");
    await sleep(20);
    // The deadline is 30 s plus one heartbeat interval (Kestrel's TimeoutControl: never early).
    ticks(server, 30);
    await expectStillOpen(client);
    ticks(server, 1);
    await client.goAway();
    await client.waitClosed();
  });

  const intruders: Array<[string, Buffer]> = [
    ["DATA", frameHeader(0, FrameType.DATA, 0, 1)],
    ["PING", pingFrame(Buffer.alloc(8), false)],
    ["HEADERS on another stream", headersFrames(3, PLAIN_GET_PREFIX, true, 16_384)[0]!],
    ["CONTINUATION on another stream", Buffer.concat([frameHeader(1, FrameType.CONTINUATION, FrameFlags.END_HEADERS, 3), Buffer.from([0x82])])],
  ];
  it.each(intruders)("(d) %s inside an open header block is GOAWAY PROTOCOL_ERROR", async (_name, intruder) => {
    const server = await startServer(okApp);
    const client = await H2Client.handshake(server.port);
    client.write(Buffer.concat([frameHeader(3, FrameType.HEADERS, FrameFlags.END_STREAM, 1), Buffer.from([0x82, 0x86, 0x84]), intruder]));
    const goAway = await client.goAway();
    expect(goAway.errorCode).toBe(ErrorCode.PROTOCOL_ERROR);
    await client.waitClosed();
  });

  it("(e) zero-length CONTINUATION frames in bulk close the connection after a bounded number of frames", async () => {
    const server = await startServer(okApp);
    const client = await H2Client.handshake(server.port);
    client.write(Buffer.concat([frameHeader(1, FrameType.HEADERS, FrameFlags.END_STREAM, 1), Buffer.from([0x82])]));
    const BATCH = 5_000;
    const batch = Buffer.concat(Array.from({ length: BATCH }, () => frameHeader(0, FrameType.CONTINUATION, 0, 1)));
    let sent = 0;
    const started = Date.now();
    for (let i = 0; i < 10 && goAways(client).length === 0 && !client.closed; i++) {
      client.write(batch);
      sent += BATCH;
      await sleep(30);
    }
    const goAway = await client.goAway();
    expect([ErrorCode.ENHANCE_YOUR_CALM, ErrorCode.PROTOCOL_ERROR]).toContain(goAway.errorCode);
    await client.waitClosed();
    // Cut off at the first few thousand frames, not after everything we were willing to send.
    expect(sent).toBeLessThanOrEqual(3 * BATCH);
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});

// ---- 3. HPACK bomb --------------------------------------------------------------------------

describe("HPACK bomb (RFC 7541 §7.3)", () => {
  it("thousands of 1-byte references to one 4 KB entry: 431 (or RST), bounded memory, the table intact afterwards", async () => {
    const server = await startServer((ctx) => ctx.response.end(`bomb=${ctx.request.headers.get("x-bomb")?.length ?? -1}`));
    const client = await H2Client.handshake(server.port);
    const value = "v".repeat(4_000);
    const bombField = { name: "x-bomb", value };
    // 1. The entry enters both tables (literal with incremental indexing).
    const first = client.encoder.encode([...requestHeaders("GET", "/seed"), bombField]);
    expect(first[first.length - 1]).not.toBe(0); // it is a literal of the value
    for (const frame of headersFrames(1, first, true, 16_384)) client.write(frame);
    expect(await client.response(1).then((r) => r.status)).toBe(200);
    await client.waitFor((f) => isEndStream(f, 1), "END_STREAM on 1");
    expect(client.body(1).toString()).toBe("bomb=4000");
    const prefix = client.encoder.encode(requestHeaders("GET", "/bomb"));
    const table = client.encoder.dynamicTable;
    const position = table.findIndex((e) => e.name === "x-bomb");
    expect(position).toBeGreaterThanOrEqual(0);
    expect(table[position]!.size).toBe(4_038);
    const index = 62 + position;
    expect(index).toBeLessThan(127);
    // 2. The bomb: 60,000 one-byte indexed references (~240 MB decoded), under 2x the compressed cap.
    const REFS = 60_000;
    const bomb = Buffer.concat([prefix, Buffer.alloc(REFS, 0x80 | index)]);
    expect(bomb.length).toBeLessThan(2 * DEFAULT_HEADERS_TOTAL);
    const heapBefore = process.memoryUsage().heapUsed;
    const since = client.frames.length;
    for (const frame of headersFrames(3, bomb, true, 16_384)) client.write(frame);
    const answer = await client.waitFor((f) => (f.type === FrameType.HEADERS || f.type === FrameType.RST_STREAM) && f.streamId === 3, "431 or RST on 3", since);
    const heapAfter = process.memoryUsage().heapUsed;
    if (answer.type === FrameType.HEADERS) expect(answer.headers?.find((h) => h.name === ":status")?.value).toBe("431");
    expect(heapAfter - heapBefore, "heap growth during the bomb").toBeLessThan(20 * MB);
    expect(goAways(client)).toEqual([]);
    // 3. The table is intact: a request that refers to the entry by index still gets its value.
    const after = client.encoder.encode([...requestHeaders("GET", "/after"), bombField]);
    expect(after.length, "x-bomb must go as an index").toBeLessThan(40);
    for (const frame of headersFrames(5, after, true, 16_384)) client.write(frame);
    expect((await client.response(5)).status).toBe(200);
    await client.waitFor((f) => isEndStream(f, 5), "END_STREAM on 5");
    expect(client.body(5).toString()).toBe("bomb=4000");
  });
});

// ---- 4. control-frame and empty-frame floods -------------------------------------------------

describe("control and empty frame floods (CVE-2019-9512, -9515, -9516, -9518; RFC 9113 §10.5)", () => {
  const FLOOD = 30_000;

  /** Sends `FLOOD` copies of `frame` with the client not reading, then reads: GOAWAY ENHANCE_YOUR_CALM and close. */
  async function expectFloodCutOff(client: H2Client, frame: Buffer): Promise<void> {
    client.socket.pause();
    const batch = Buffer.concat(Array.from({ length: 1_000 }, () => frame));
    expect(FLOOD * frame.length).toBeLessThan(2 * MB);
    for (let i = 0; i < FLOOD / 1_000 - 1; i++) client.socket.write(batch);
    await new Promise<void>((resolve) => client.socket.write(batch, () => resolve()));
    await sleep(150);
    client.socket.resume();
    const goAway = await client.goAway();
    expect(goAway.errorCode).toBe(ErrorCode.ENHANCE_YOUR_CALM);
    await client.waitClosed();
  }

  function acks(client: H2Client, type: number): number {
    return client.frames.filter((f) => f.type === type && (f.flags & FrameFlags.ACK) !== 0).length;
  }

  it("SETTINGS flood without reading the ACKs (CVE-2019-9515): GOAWAY ENHANCE_YOUR_CALM", async () => {
    const server = await startServer(okApp);
    const client = await H2Client.handshake(server.port);
    await expectFloodCutOff(client, settingsFrame([]));
    expect(acks(client, FrameType.SETTINGS)).toBeLessThan(FLOOD / 2);
  });

  it("PING flood without reading the ACKs (CVE-2019-9512): GOAWAY ENHANCE_YOUR_CALM", async () => {
    const server = await startServer(okApp);
    const client = await H2Client.handshake(server.port);
    await expectFloodCutOff(client, pingFrame(Buffer.alloc(8, 7), false));
    expect(acks(client, FrameType.PING)).toBeLessThan(FLOOD / 2);
  });

  it("zero-length DATA without END_STREAM on an open stream (CVE-2019-9518): GOAWAY ENHANCE_YOUR_CALM", async () => {
    const gate = deferred();
    const server = await startServer(async (ctx) => {
      await Promise.race([ctx.request.body.buffer(), gate.promise]).catch(() => {});
    });
    try {
      const client = await H2Client.handshake(server.port);
      client.get(1, "/upload", [], false);
      await sync(client);
      await expectFloodCutOff(client, frameHeader(0, FrameType.DATA, 0, 1));
    } finally {
      gate.resolve();
    }
  });

  it("empty DATA on streams the server already closed (answered early, reset NO_ERROR): GOAWAY ENHANCE_YOUR_CALM", async () => {
    const server = await startServer(okApp);
    const client = await H2Client.handshake(server.port);
    // Three requests answered before their bodies end: the server resets each with NO_ERROR.
    for (const id of [1, 3, 5]) client.get(id, "/early", [], false);
    for (const id of [1, 3, 5]) expect(await client.rstCode(id)).toBe(ErrorCode.NO_ERROR);
    await expectFloodCutOff(client, Buffer.concat([1, 3, 5].map((id) => frameHeader(0, FrameType.DATA, 0, id))));
  });

  it("WINDOW_UPDATE +1 flood on stream 0: GOAWAY ENHANCE_YOUR_CALM", async () => {
    const server = await startServer(okApp);
    const client = await H2Client.handshake(server.port);
    await expectFloodCutOff(client, windowUpdateFrame(0, 1));
  });

  it("a client crediting its window in ordinary batches is not counted", async () => {
    const server = await startServer(okApp);
    const client = await H2Client.handshake(server.port);
    for (let i = 0; i < 2_000; i++) client.windowUpdate(0, 32_768);
    expect(await roundTrip(client, 1, "/after")).toEqual({ status: 200, body: "ok /after" });
    expect(goAways(client)).toEqual([]);
  });

  it("PRIORITY flood (CVE-2019-9513 family): GOAWAY ENHANCE_YOUR_CALM", async () => {
    const server = await startServer(okApp);
    const client = await H2Client.handshake(server.port);
    const priority = Buffer.concat([frameHeader(5, FrameType.PRIORITY, 0, 101), Buffer.from([0, 0, 0, 0, 15])]);
    await expectFloodCutOff(client, priority);
  });

  it("unknown frame type flood (RFC 9113 §4.1 'ignored', but not for free): GOAWAY ENHANCE_YOUR_CALM", async () => {
    const server = await startServer(okApp);
    const client = await H2Client.handshake(server.port);
    await expectFloodCutOff(client, frameHeader(0, 0x20, 0, 0));
  });

  it("a client sending a moderate number of PINGs and reading the ACKs stays connected", async () => {
    const server = await startServer(okApp);
    const client = await H2Client.handshake(server.port);
    for (let round = 0; round < 10; round++) {
      const since = client.frames.length;
      for (let i = 0; i < 100; i++) {
        const opaque = Buffer.alloc(8);
        opaque.writeUInt32BE(round, 0);
        opaque.writeUInt32BE(i, 4);
        client.ping(opaque);
      }
      const deadline = Date.now() + 3_000;
      while (client.frames.slice(since).filter((f) => f.type === FrameType.PING && (f.flags & FrameFlags.ACK) !== 0).length < 100) {
        expect(Date.now() < deadline && !client.closed, "100 PING ACKs").toBe(true);
        await sleep(5);
      }
      server.heartbeat.tick(1_000);
    }
    expect(acks(client, FrameType.PING)).toBe(1_000);
    expect(await roundTrip(client, 1, "/still")).toEqual({ status: 200, body: "ok /still" });
    await expectStillOpen(client, 10);
  });
});

// ---- 5. zero-window stall -------------------------------------------------------------------

describe("zero-window stall (CVE-2019-9517 family): minResponseDataRate 240 B/s after 5 s", () => {
  const LARGE = 1 * MB;
  const largeApp = async (ctx: { response: { write(b: Buffer): Promise<void>; end(): Promise<void> } }) => {
    await ctx.response.write(Buffer.alloc(LARGE, 0x61));
    await ctx.response.end();
  };

  it("SETTINGS_INITIAL_WINDOW_SIZE = 0 and a large response: closed once the grace period passes with no progress", async () => {
    const server = await startServer(largeApp);
    const client = await H2Client.handshake(server.port, [[SettingId.INITIAL_WINDOW_SIZE, 0]]);
    client.get(1, "/large");
    expect((await client.response(1)).status).toBe(200);
    await sync(client);
    expect(client.body(1).length).toBe(0);
    ticks(server, 5);
    await expectStillOpen(client);
    ticks(server, 1);
    await client.goAway();
    await client.waitClosed();
  });

  it("no WINDOW_UPDATE after the first 65,535 bytes: closed once the grace period passes with no progress", async () => {
    const server = await startServer(largeApp);
    const client = await H2Client.handshake(server.port);
    client.get(1, "/large");
    expect((await client.response(1)).status).toBe(200);
    const deadline = Date.now() + 3_000;
    while (client.body(1).length < 65_535 && Date.now() < deadline) await sleep(5);
    expect(client.body(1).length).toBe(65_535);
    await sync(client);
    // 10 s with no progress: twice the grace period.
    for (let i = 0; i < 10 && !client.closed; i++) {
      server.heartbeat.tick(1_000);
      await sleep(5);
    }
    expect(client.body(1).length).toBe(65_535);
    await client.waitClosed(500);
  });

  it("a client that opens its window steadily (2,000 B/s) is not cut off", async () => {
    const TOTAL = 20_000;
    const server = await startServer((ctx) => ctx.response.end(Buffer.alloc(TOTAL, 0x62)));
    const client = await H2Client.handshake(server.port, [[SettingId.INITIAL_WINDOW_SIZE, 0]]);
    client.get(1, "/steady");
    expect((await client.response(1)).status).toBe(200);
    for (let k = 1; k <= TOTAL / 2_000; k++) {
      client.windowUpdate(1, 2_000);
      const deadline = Date.now() + 3_000;
      while (client.body(1).length < 2_000 * k && Date.now() < deadline && !client.closed) await sleep(2);
      expect(client.body(1).length).toBe(2_000 * k);
      server.heartbeat.tick(1_000);
    }
    await client.waitFor((f) => isEndStream(f, 1), "END_STREAM on 1");
    expect(client.body(1).length).toBe(TOTAL);
    await expectStillOpen(client);
  });
});

// ---- 6. slow request body -------------------------------------------------------------------

describe("slow request body (slowloris on DATA): minRequestBodyDataRate 240 B/s after 5 s", () => {
  function bodyApp(reading: { resolve(): void }) {
    return async (ctx: { request: { body: { buffer(): Promise<Buffer> } }; response: { end(s: string): Promise<void> } }) => {
      reading.resolve();
      const body = await ctx.request.body.buffer();
      await ctx.response.end(`got ${body.length}`);
    };
  }

  it("an app waiting on a body the client never sends: closed once the grace period passes", async () => {
    const reading = deferred();
    const server = await startServer(bodyApp(reading));
    const client = await H2Client.handshake(server.port);
    client.get(1, "/upload", [], false);
    await reading.promise;
    await sync(client);
    ticks(server, 5);
    await expectStillOpen(client);
    ticks(server, 1);
    await client.goAway();
    await client.waitClosed();
  });

  it("a client sending its body steadily (1,000 B/s) is not cut off", async () => {
    const reading = deferred();
    const server = await startServer(bodyApp(reading));
    const client = await H2Client.handshake(server.port);
    client.get(1, "/upload", [], false);
    await reading.promise;
    for (let i = 0; i < 10; i++) {
      client.writeFrame(FrameType.DATA, 0, 1, Buffer.alloc(1_000, 0x63));
      await sync(client);
      server.heartbeat.tick(1_000);
    }
    client.writeFrame(FrameType.DATA, FrameFlags.END_STREAM, 1);
    await client.waitFor((f) => isEndStream(f, 1), "END_STREAM on 1");
    expect(client.body(1).toString()).toBe("got 10000");
    await expectStillOpen(client);
  });
});

// ---- 7. preface / settings timeout ----------------------------------------------------------

describe("preface and SETTINGS timeout (RFC 9113 §3.4): requestHeadersTimeout", () => {
  const cases: Array<[string, Buffer | null, boolean]> = [
    ["nothing at all", null, false],
    ["half the preface", CONNECTION_PREFACE.subarray(0, 12), false],
    ["the preface but no SETTINGS", null, true],
  ];
  it.each(cases)("a client that sends %s is closed after requestHeadersTimeout", async (_name, bytes, preface) => {
    const server = await startServer(okApp);
    const client = await H2Client.connect(server.port, { preface, settings: false });
    if (bytes !== null) client.write(bytes);
    // The server's SETTINGS shows the connection exists (its deadline is running).
    await client.waitFor((f) => f.type === FrameType.SETTINGS && (f.flags & FrameFlags.ACK) === 0, "server SETTINGS");
    await sleep(20);
    // 30 s plus one heartbeat interval.
    ticks(server, 30);
    await expectStillOpen(client);
    ticks(server, 1);
    await client.waitClosed();
  });
});

// ---- 8. keep-alive ping ---------------------------------------------------------------------

describe("keep-alive ping (keepAlivePingDelay 10 s, keepAlivePingTimeout 20 s)", () => {
  const limits = { http2: { keepAlivePingDelay: 10_000, keepAlivePingTimeout: 20_000 } };
  const serverPings = (client: H2Client) => client.frames.filter((f) => f.type === FrameType.PING && (f.flags & FrameFlags.ACK) === 0);

  it("an idle connection gets a PING after the delay; answering keeps it", async () => {
    const server = await startServer(okApp, { limits });
    const client = await H2Client.handshake(server.port);
    // The delay counts from the last frame's tick, plus one heartbeat interval.
    ticks(server, 10);
    await sleep(30);
    expect(serverPings(client)).toEqual([]);
    ticks(server, 1);
    await client.waitFor((f) => f.type === FrameType.PING && (f.flags & FrameFlags.ACK) === 0, "keep-alive PING");
    // 60 s more, answering every PING.
    let answered = 0;
    for (let i = 0; i < 60; i++) {
      const pings = serverPings(client);
      while (answered < pings.length) {
        client.write(pingFrame(pings[answered]!.payload, true));
        answered++;
        await sync(client);
      }
      server.heartbeat.tick(1_000);
      await sleep(1);
    }
    expect(answered).toBeGreaterThanOrEqual(5);
    await expectStillOpen(client);
    expect(await roundTrip(client, 1, "/alive")).toEqual({ status: 200, body: "ok /alive" });
  });

  it("not answering the PING closes the connection after the timeout", async () => {
    const server = await startServer(okApp, { limits });
    const client = await H2Client.handshake(server.port);
    ticks(server, 11);
    await client.waitFor((f) => f.type === FrameType.PING && (f.flags & FrameFlags.ACK) === 0, "keep-alive PING");
    // The timeout counts from the PING, sent on a tick: no margin needed.
    ticks(server, 19);
    await expectStillOpen(client);
    ticks(server, 1);
    await client.waitClosed();
  });
});

// ---- 9. idle connection ---------------------------------------------------------------------

describe("idle connection: keepAliveTimeout 130 s", () => {
  it("no streams for keepAliveTimeout: GOAWAY NO_ERROR and close", async () => {
    const server = await startServer(okApp);
    const client = await H2Client.handshake(server.port);
    expect(await roundTrip(client, 1, "/once")).toEqual({ status: 200, body: "ok /once" });
    // 130 s plus one heartbeat interval.
    ticks(server, 130);
    await expectStillOpen(client);
    ticks(server, 1);
    const goAway = await client.goAway();
    expect(goAway).toEqual({ lastStreamId: 1, errorCode: ErrorCode.NO_ERROR });
    await client.waitClosed();
  });
});

// ---- 10. garbage ----------------------------------------------------------------------------

describe("garbage input never crashes the process", () => {
  /** Ends a connection the garbage left open: our FIN, then (if still open) the server's timeouts. */
  async function expectEnds(client: H2Client, server: TestServer): Promise<void> {
    for (let i = 0; i < 20 && !client.closed; i++) await sleep(5);
    if (!client.closed) client.socket.end();
    for (let i = 0; i < 40 && !client.closed; i++) await sleep(5);
    if (!client.closed) ticks(server, 131);
    await client.waitClosed(1_000);
  }

  const arbitraryFrame = fc
    .record({
      type: fc.oneof(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 10, max: 255 })),
      flags: fc.integer({ min: 0, max: 255 }),
      streamId: fc.oneof(fc.constantFrom(0, 1, 2, 3), fc.integer({ min: 0, max: 2 ** 31 - 1 })),
      payload: fc.uint8Array({ maxLength: 64 }),
    })
    .map(({ type, flags, streamId, payload }) => Buffer.concat([frameHeader(payload.length, type, flags, streamId), Buffer.from(payload)]));
  const garbage = fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 2_000 }).map((b) => Buffer.from(b)),
    fc.array(arbitraryFrame, { minLength: 1, maxLength: 20 }).map((frames) => Buffer.concat(frames)),
  );

  it("random bytes and random frames after the preface (fast-check, 60 runs): each ends in GOAWAY/close, a fresh connection works", async () => {
    const server = await startServer(okApp);
    await fc.assert(
      fc.asyncProperty(garbage, async (bytes) => {
        const client = await H2Client.handshake(server.port);
        client.write(bytes);
        await expectEnds(client, server);
        await freshConnectionWorks(server);
        expect(uncaught).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });

  const truncated: Array<[string, Buffer]> = [
    ["half a frame header", Buffer.from([0, 0, 8, FrameType.PING])],
    ["a PING missing half its payload", pingFrame(Buffer.alloc(8, 1), false).subarray(0, 13)],
    ["a HEADERS frame cut in its block", headersFrames(1, PLAIN_GET_PREFIX, true, 16_384)[0]!.subarray(0, 12)],
    ["HEADERS without END_HEADERS, then nothing", Buffer.concat([frameHeader(1, FrameType.HEADERS, FrameFlags.END_STREAM, 1), Buffer.from([0x82])])],
  ];
  it.each(truncated)("%s, then the client closes: the server closes too, a fresh connection works", async (_name, bytes) => {
    const server = await startServer(okApp);
    const client = await H2Client.handshake(server.port);
    client.write(bytes);
    await sleep(20);
    client.socket.end();
    await client.waitClosed();
    await freshConnectionWorks(server);
    expect(uncaught).toEqual([]);
  });

  it("a truncated preface then close: the server closes too", async () => {
    const server = await startServer(okApp);
    const client = await H2Client.connect(server.port, { preface: false, settings: false });
    client.write(CONNECTION_PREFACE.subarray(0, 10));
    await sleep(20);
    client.socket.end();
    await client.waitClosed();
    await freshConnectionWorks(server);
  });

  it.each([FrameType.DATA, FrameType.HEADERS, 0x42])("a frame header (type %i) announcing 16 MB: GOAWAY FRAME_SIZE_ERROR at once, nothing buffered", async (type) => {
    const server = await startServer(okApp);
    const client = await H2Client.handshake(server.port);
    const heapBefore = process.memoryUsage().heapUsed;
    // The header, then a first 64 KB of "payload": the server must not wait for (or reserve) the rest.
    client.write(frameHeader(2 ** 24 - 1, type, 0, 1), Buffer.alloc(65_536, 0x64));
    const goAway = await client.goAway();
    expect(goAway.errorCode).toBe(ErrorCode.FRAME_SIZE_ERROR);
    await client.waitClosed();
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(8 * MB);
    await freshConnectionWorks(server);
  });

  it("a 16 MB frame header as the very first frame after the preface: GOAWAY and close", async () => {
    const server = await startServer(okApp);
    const client = await H2Client.connect(server.port, { settings: false });
    client.write(frameHeader(2 ** 24 - 1, FrameType.SETTINGS, 0, 0));
    await client.goAway();
    await client.waitClosed();
    await freshConnectionWorks(server);
  });
});
