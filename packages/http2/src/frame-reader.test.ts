import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FrameReader } from "./frame-reader.js";
import { ErrorCode, type Frame, FrameType, Http2ConnectionError } from "./frame-types.js";
import { dataFrame, frameHeader, settingsAck, windowUpdateFrame } from "./frame-writer.js";

interface Plain {
  type: number;
  flags: number;
  streamId: number;
  payload: string;
}
const plain = (f: Frame): Plain => ({ type: f.type, flags: f.flags, streamId: f.streamId, payload: f.payload.toString("hex") });

function drain(reader: FrameReader): Plain[] {
  const frames: Plain[] = [];
  for (let f = reader.next(); f !== null; f = reader.next()) frames.push(plain(f));
  return frames;
}

function rawFrame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  return Buffer.concat([frameHeader(payload.length, type, flags, streamId), payload]);
}

describe("FrameReader", () => {
  it("reads whole frames from one chunk as views, without copying", () => {
    const chunk = Buffer.concat([rawFrame(0, 1, 1, Buffer.from("hello")), settingsAck()]);
    const reader = new FrameReader(16_384);
    reader.push(chunk);
    const first = reader.next()!;
    expect(first.payload.buffer).toBe(chunk.buffer);
    expect(first.payload.byteOffset).toBe(chunk.byteOffset + 9);
    expect(plain(first)).toEqual({ type: 0, flags: 1, streamId: 1, payload: Buffer.from("hello").toString("hex") });
    expect(plain(reader.next()!)).toEqual({ type: FrameType.SETTINGS, flags: 1, streamId: 0, payload: "" });
    expect(reader.next()).toBeNull();
    expect(reader.bufferedBytes).toBe(0);
  });

  it("ignores the reserved bit of the stream id (§4.1)", () => {
    const buf = rawFrame(FrameType.DATA, 0, 5, Buffer.alloc(0));
    buf[5]! |= 0x80;
    const reader = new FrameReader(16_384);
    reader.push(buf);
    expect(reader.next()!.streamId).toBe(5);
  });

  it("rejects an oversized frame as soon as its 9-byte header is in (§4.2)", () => {
    const reader = new FrameReader(16_384);
    reader.push(frameHeader(16_385, FrameType.DATA, 0, 1).subarray(0, 8));
    expect(reader.next()).toBeNull();
    reader.push(Buffer.from([1]));
    try {
      reader.next();
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(Http2ConnectionError);
      expect((error as Http2ConnectionError).code).toBe(ErrorCode.FRAME_SIZE_ERROR);
    }
  });

  it("accepts a frame of exactly maxFrameSize, and follows a raised maxFrameSize", () => {
    const reader = new FrameReader(16_384);
    reader.push(Buffer.concat(dataFrame(1, Buffer.alloc(16_384, 7), false)));
    expect(reader.next()!.payload.length).toBe(16_384);
    reader.maxFrameSize = 100_000;
    reader.push(Buffer.concat(dataFrame(1, Buffer.alloc(50_000, 7), true)));
    expect(reader.next()!.payload.length).toBe(50_000);
  });

  it("keeps payload views valid after later pushes (never overwritten)", () => {
    const reader = new FrameReader(16_384);
    const a = rawFrame(0, 0, 1, Buffer.alloc(100, 0xaa));
    const b = rawFrame(0, 0, 3, Buffer.alloc(100, 0xbb));
    // Split so that `a` is completed in an owned buffer and `b` follows.
    reader.push(a.subarray(0, 50));
    reader.push(Buffer.concat([a.subarray(50), b.subarray(0, 20)]));
    const first = reader.next()!;
    reader.push(b.subarray(20));
    const second = reader.next()!;
    expect(first.payload.equals(Buffer.alloc(100, 0xaa))).toBe(true);
    expect(second.payload.equals(Buffer.alloc(100, 0xbb))).toBe(true);
  });

  it("is linear for one byte at a time (a 1 MB stream of small and large frames)", () => {
    const frames: Buffer[] = [];
    for (let i = 0; i < 64; i++) frames.push(rawFrame(0, 0, 1, Buffer.alloc(16_384, i)), windowUpdateFrame(0, i + 1));
    const all = Buffer.concat(frames);
    const reader = new FrameReader(16_384);
    let count = 0;
    const started = performance.now();
    for (let i = 0; i < all.length; i++) {
      reader.push(all.subarray(i, i + 1));
      while (reader.next() !== null) count++;
    }
    expect(count).toBe(128);
    expect(reader.bufferedBytes).toBe(0);
    // Quadratic copying would take tens of seconds here.
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it("queues chunks pushed without reading, and counts them in bufferedBytes", () => {
    const frames = [rawFrame(0, 0, 1, Buffer.alloc(10, 1)), rawFrame(0, 0, 3, Buffer.alloc(20, 2)), rawFrame(8, 0, 0, Buffer.alloc(4, 3))];
    const all = Buffer.concat(frames);
    const reader = new FrameReader(16_384);
    for (let i = 0; i < all.length; i += 7) reader.push(all.subarray(i, i + 7));
    expect(reader.bufferedBytes).toBe(all.length);
    expect(drain(reader).map((f) => f.streamId)).toEqual([1, 3, 0]);
    expect(reader.bufferedBytes).toBe(0);
  });

  it("yields the same frames for any split of the input (property)", () => {
    const frameArb = fc.record({
      type: fc.integer({ min: 0, max: 255 }),
      flags: fc.integer({ min: 0, max: 255 }),
      streamId: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      payload: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
    });
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1 }), fc.boolean(), (frames, sizes, eager) => {
        const bytes = Buffer.concat(frames.map((f) => rawFrame(f.type, f.flags, f.streamId, f.payload)));
        const reader = new FrameReader(300);
        const out: Plain[] = [];
        let at = 0;
        for (let i = 0; at < bytes.length; i++) {
          const n = sizes[i % sizes.length]!;
          reader.push(bytes.subarray(at, at + n));
          at += n;
          if (eager) out.push(...drain(reader));
        }
        out.push(...drain(reader));
        expect(out).toEqual(frames.map((f) => ({ ...f, payload: f.payload.toString("hex") })));
        expect(reader.bufferedBytes).toBe(0);
      }),
      { numRuns: 500 },
    );
  });
});
