import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  parseContinuation,
  parseData,
  parseGoAway,
  parseHeaders,
  parsePing,
  parseRstStream,
  parseSettings,
  parseWindowUpdate,
} from "./frame-parsers.js";
import { FrameReader } from "./frame-reader.js";
import { ErrorCode, type Frame, FrameFlags, FrameType, SettingId } from "./frame-types.js";
import {
  dataFrame,
  dataFrameHeader,
  frameHeader,
  goAwayFrame,
  headersFrames,
  pingFrame,
  rstStreamFrame,
  settingsAck,
  settingsFrame,
  windowUpdateFrame,
} from "./frame-writer.js";

/** Feeds `bytes` to a reader in chunks of the given sizes (cycled) and returns copies of the frames. */
function readAll(bytes: Buffer, sizes: number[] = [bytes.length || 1], maxFrameSize = 16_384): Frame[] {
  const reader = new FrameReader(maxFrameSize);
  const frames: Frame[] = [];
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const n = Math.max(1, sizes[i % sizes.length]!);
    reader.push(bytes.subarray(at, at + n));
    at += n;
    for (let f = reader.next(); f !== null; f = reader.next()) frames.push({ ...f, payload: Buffer.from(f.payload) });
  }
  expect(reader.bufferedBytes).toBe(0);
  return frames;
}

describe("frame-writer", () => {
  it("writes the 9-byte header (§4.1), reserved bit clear", () => {
    expect(frameHeader(0x123456, 0x9, 0x4, 0xffff_ffff).toString("hex")).toBe("123456" + "09" + "04" + "7fffffff");
  });

  it("writes SETTINGS and its ACK", () => {
    const buf = settingsFrame([
      [SettingId.MAX_CONCURRENT_STREAMS, 100],
      [SettingId.INITIAL_WINDOW_SIZE, 2 ** 31 - 1],
    ]);
    expect(buf.toString("hex")).toBe("00000c040000000000" + "000300000064" + "00047fffffff");
    expect(settingsAck().toString("hex")).toBe("000000040100000000");
    const [frame] = readAll(buf);
    expect(parseSettings(frame!)).toEqual({
      ack: false,
      settings: [
        [3, 100],
        [4, 2 ** 31 - 1],
      ],
    });
    expect(parseSettings(readAll(settingsAck())[0]!)).toEqual({ ack: true, settings: [] });
  });

  it("writes PING, GOAWAY, RST_STREAM and WINDOW_UPDATE that parse back", () => {
    const opaque = Buffer.from("0102030405060708", "hex");
    const frames = readAll(
      Buffer.concat([
        pingFrame(opaque, true),
        goAwayFrame(7, ErrorCode.ENHANCE_YOUR_CALM, Buffer.from("calm down")),
        goAwayFrame(0, ErrorCode.NO_ERROR),
        rstStreamFrame(9, ErrorCode.CANCEL),
        windowUpdateFrame(0, 2 ** 31 - 1),
        windowUpdateFrame(3, 1),
      ]),
      [3],
    );
    expect(frames.map((f) => [f.type, f.streamId])).toEqual([
      [FrameType.PING, 0],
      [FrameType.GOAWAY, 0],
      [FrameType.GOAWAY, 0],
      [FrameType.RST_STREAM, 9],
      [FrameType.WINDOW_UPDATE, 0],
      [FrameType.WINDOW_UPDATE, 3],
    ]);
    expect(parsePing(frames[0]!)).toEqual({ ack: true, opaque });
    expect(parseGoAway(frames[1]!)).toEqual({ lastStreamId: 7, errorCode: ErrorCode.ENHANCE_YOUR_CALM, debugData: Buffer.from("calm down") });
    expect(parseGoAway(frames[2]!)).toEqual({ lastStreamId: 0, errorCode: 0, debugData: Buffer.alloc(0) });
    expect(parseRstStream(frames[3]!)).toBe(ErrorCode.CANCEL);
    expect(parseWindowUpdate(frames[4]!)).toBe(2 ** 31 - 1);
    expect(parseWindowUpdate(frames[5]!)).toBe(1);
    expect(() => pingFrame(Buffer.alloc(7), false)).toThrow(RangeError);
  });

  it("writes DATA as a header plus the uncopied payload", () => {
    const data = Buffer.from("body bytes");
    const parts = dataFrame(5, data, true);
    expect(parts).toHaveLength(2);
    expect(parts[1]).toBe(data);
    expect(parts[0]!.equals(dataFrameHeader(5, data.length, true))).toBe(true);
    expect(dataFrame(5, Buffer.alloc(0), true)).toHaveLength(1);
    const [frame] = readAll(Buffer.concat(parts));
    expect(frame!.flags).toBe(FrameFlags.END_STREAM);
    expect(parseData(frame!)).toEqual({ data, endStream: true, flowControlledLength: data.length });
  });

  it("splits a header block into HEADERS and CONTINUATION frames", () => {
    const block = Buffer.from(Array.from({ length: 25 }, (_, i) => i));
    const frames = readAll(Buffer.concat(headersFrames(3, block, true, 10)));
    expect(frames.map((f) => [f.type, f.flags, f.payload.length])).toEqual([
      [FrameType.HEADERS, FrameFlags.END_STREAM, 10],
      [FrameType.CONTINUATION, 0, 10],
      [FrameType.CONTINUATION, FrameFlags.END_HEADERS, 5],
    ]);
    const first = parseHeaders(frames[0]!);
    expect(first).toMatchObject({ endStream: true, endHeaders: false, priority: null });
    const rest = frames.slice(1).map(parseContinuation);
    expect(Buffer.concat([first.fragment, ...rest.map((r) => r.fragment)]).equals(block)).toBe(true);
    expect(rest.map((r) => r.endHeaders)).toEqual([false, true]);
  });

  it("writes one HEADERS frame with both flags when the block fits (and when it is empty)", () => {
    for (const block of [Buffer.from("abc"), Buffer.alloc(0)]) {
      const frames = headersFrames(1, block, true, 16_384);
      expect(frames).toHaveLength(1);
      const [frame] = readAll(frames[0]!);
      expect(frame!.flags).toBe(FrameFlags.END_STREAM | FrameFlags.END_HEADERS);
      expect(parseHeaders(frame!).fragment.equals(block)).toBe(true);
    }
    expect(headersFrames(1, Buffer.alloc(20), false, 10).map((b) => b[4])).toEqual([0, FrameFlags.END_HEADERS]);
  });

  it("round-trips every frame type through the reader for any chunk split (property)", () => {
    type Spec =
      | { kind: "data"; streamId: number; data: Buffer; endStream: boolean }
      | { kind: "headers"; streamId: number; block: Buffer; endStream: boolean; max: number }
      | { kind: "settings"; entries: Array<[number, number]> }
      | { kind: "ack" }
      | { kind: "ping"; opaque: Buffer; ack: boolean }
      | { kind: "goaway"; last: number; code: number; debug: Buffer }
      | { kind: "rst"; streamId: number; code: number }
      | { kind: "window"; streamId: number; increment: number };
    const streamId = fc.integer({ min: 1, max: 2 ** 31 - 1 });
    const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));
    const u32 = fc.integer({ min: 0, max: 2 ** 32 - 1 });
    const spec: fc.Arbitrary<Spec> = fc.oneof(
      fc.record({ kind: fc.constant("data" as const), streamId, data: bytes(200), endStream: fc.boolean() }),
      fc.record({ kind: fc.constant("headers" as const), streamId, block: bytes(200), endStream: fc.boolean(), max: fc.integer({ min: 1, max: 64 }) }),
      fc.record({
        kind: fc.constant("settings" as const),
        entries: fc.array(fc.tuple(fc.constantFrom(1, 3, 6, 0x10, 0xffff), u32), { maxLength: 6 }),
      }),
      fc.record({ kind: fc.constant("ack" as const) }),
      fc.record({ kind: fc.constant("ping" as const), opaque: fc.uint8Array({ minLength: 8, maxLength: 8 }).map((a) => Buffer.from(a)), ack: fc.boolean() }),
      fc.record({ kind: fc.constant("goaway" as const), last: fc.integer({ min: 0, max: 2 ** 31 - 1 }), code: u32, debug: bytes(50) }),
      fc.record({ kind: fc.constant("rst" as const), streamId, code: u32 }),
      fc.record({ kind: fc.constant("window" as const), streamId: fc.integer({ min: 0, max: 2 ** 31 - 1 }), increment: fc.integer({ min: 1, max: 2 ** 31 - 1 }) }),
    );
    const write = (s: Spec): Buffer[] => {
      switch (s.kind) {
        case "data":
          return dataFrame(s.streamId, s.data, s.endStream);
        case "headers":
          return headersFrames(s.streamId, s.block, s.endStream, s.max);
        case "settings":
          return [settingsFrame(s.entries)];
        case "ack":
          return [settingsAck()];
        case "ping":
          return [pingFrame(s.opaque, s.ack)];
        case "goaway":
          return [goAwayFrame(s.last, s.code, s.debug)];
        case "rst":
          return [rstStreamFrame(s.streamId, s.code)];
        case "window":
          return [windowUpdateFrame(s.streamId, s.increment)];
      }
    };
    /** Parses the frames of one spec back into a spec. */
    const read = (frames: Frame[], s: Spec): Spec => {
      const f = frames.shift()!;
      switch (s.kind) {
        case "data": {
          const r = parseData(f);
          return { kind: "data", streamId: f.streamId, data: Buffer.from(r.data), endStream: r.endStream };
        }
        case "headers": {
          const h = parseHeaders(f);
          const fragments = [h.fragment];
          let end = h.endHeaders;
          while (!end) {
            const c = parseContinuation(frames.shift()!);
            fragments.push(c.fragment);
            end = c.endHeaders;
          }
          return { kind: "headers", streamId: f.streamId, block: Buffer.concat(fragments), endStream: h.endStream, max: s.max };
        }
        case "settings":
          return { kind: "settings", entries: parseSettings(f).settings };
        case "ack":
          return parseSettings(f).ack ? { kind: "ack" } : { kind: "settings", entries: [] };
        case "ping": {
          const p = parsePing(f);
          return { kind: "ping", opaque: Buffer.from(p.opaque), ack: p.ack };
        }
        case "goaway": {
          const g = parseGoAway(f);
          return { kind: "goaway", last: g.lastStreamId, code: g.errorCode, debug: Buffer.from(g.debugData) };
        }
        case "rst":
          return { kind: "rst", streamId: f.streamId, code: parseRstStream(f) };
        case "window":
          return { kind: "window", streamId: f.streamId, increment: parseWindowUpdate(f) };
      }
    };
    fc.assert(
      fc.property(fc.array(spec, { maxLength: 10 }), fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 20 }), (specs, sizes) => {
        const frames = readAll(Buffer.concat(specs.flatMap(write)), sizes);
        expect(specs.map((s) => read(frames, s))).toEqual(specs);
        expect(frames).toHaveLength(0);
      }),
      { numRuns: 500 },
    );
  });
});
