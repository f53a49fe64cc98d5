import { describe, expect, it } from "vitest";
import {
  parseContinuation,
  parseData,
  parseFrameForServer,
  parseGoAway,
  parseHeaders,
  parsePing,
  parsePriority,
  parseRstStream,
  parseSettings,
  parseWindowUpdate,
  rejectPushPromise,
  SelfDependentHeadersError,
} from "./frame-parsers.js";
import { ErrorCode, type Frame, FrameFlags, FrameType, Http2ConnectionError, Http2StreamError, SettingId } from "./frame-types.js";

const frame = (type: number, flags: number, streamId: number, payload: Buffer | string = ""): Frame => ({
  type,
  flags,
  streamId,
  payload: typeof payload === "string" ? Buffer.from(payload.replace(/\s+/g, ""), "hex") : payload,
});

function expectConnectionError(fn: () => unknown, code: ErrorCode): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(Http2ConnectionError);
    expect((error as Http2ConnectionError).code).toBe(code);
    return;
  }
  expect.unreachable("expected a connection error");
}

function expectStreamError(fn: () => unknown, streamId: number, code: ErrorCode): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(Http2StreamError);
    expect((error as Http2StreamError).code).toBe(code);
    expect((error as Http2StreamError).streamId).toBe(streamId);
    return;
  }
  expect.unreachable("expected a stream error");
}

const setting = (id: number, value: number): string => id.toString(16).padStart(4, "0") + value.toString(16).padStart(8, "0");

describe("parseData (§6.1)", () => {
  it("strips padding; flow control counts the whole payload", () => {
    // Pad Length 3, "abc", 3 padding octets.
    const r = parseData(frame(FrameType.DATA, FrameFlags.PADDED | FrameFlags.END_STREAM, 1, "03 616263 000000"));
    expect(r.data.toString()).toBe("abc");
    expect(r.endStream).toBe(true);
    expect(r.flowControlledLength).toBe(7);
    expect(parseData(frame(FrameType.DATA, FrameFlags.PADDED, 1, "00")).data.length).toBe(0);
    // Padding one short of the payload: no data, all of it flow-controlled.
    expect(parseData(frame(FrameType.DATA, FrameFlags.PADDED, 1, "03 000000"))).toMatchObject({ flowControlledLength: 4 });
    expect(parseData(frame(FrameType.DATA, FrameFlags.PADDED, 1, "03 000000")).data.length).toBe(0);
    expect(parseData(frame(FrameType.DATA, 0, 1, "")).flowControlledLength).toBe(0);
  });

  it("rejects stream 0 and padding that fills the payload", () => {
    expectConnectionError(() => parseData(frame(FrameType.DATA, 0, 0, "00")), ErrorCode.PROTOCOL_ERROR);
    expectConnectionError(() => parseData(frame(FrameType.DATA, FrameFlags.PADDED, 1, "04 000000")), ErrorCode.PROTOCOL_ERROR);
    expectConnectionError(() => parseData(frame(FrameType.DATA, FrameFlags.PADDED, 1, "ff 00")), ErrorCode.PROTOCOL_ERROR);
    expectConnectionError(() => parseData(frame(FrameType.DATA, FrameFlags.PADDED, 1, "")), ErrorCode.FRAME_SIZE_ERROR);
  });
});

describe("parseHeaders (§6.2)", () => {
  it("reads padding, priority and flags", () => {
    const r = parseHeaders(
      frame(FrameType.HEADERS, FrameFlags.PADDED | FrameFlags.PRIORITY | FrameFlags.END_HEADERS, 3, "02 80000001 0f 8286 0000"),
    );
    expect(r.fragment.toString("hex")).toBe("8286");
    expect(r.priority).toEqual({ exclusive: true, dependency: 1, weight: 16 });
    expect(r.endHeaders).toBe(true);
    expect(r.endStream).toBe(false);
    expect(parseHeaders(frame(FrameType.HEADERS, FrameFlags.END_STREAM, 1, "82")).priority).toBeNull();
  });

  it("rejects stream 0, bad padding, a short priority and self-dependency", () => {
    expectConnectionError(() => parseHeaders(frame(FrameType.HEADERS, 0, 0, "82")), ErrorCode.PROTOCOL_ERROR);
    expectConnectionError(() => parseHeaders(frame(FrameType.HEADERS, FrameFlags.PADDED, 1, "03 8286")), ErrorCode.PROTOCOL_ERROR);
    // Padding eating into the priority fields.
    expectConnectionError(
      () => parseHeaders(frame(FrameType.HEADERS, FrameFlags.PADDED | FrameFlags.PRIORITY, 1, "02 00000000 0f")),
      ErrorCode.PROTOCOL_ERROR,
    );
    expectConnectionError(() => parseHeaders(frame(FrameType.HEADERS, FrameFlags.PRIORITY, 1, "00000000")), ErrorCode.FRAME_SIZE_ERROR);
    expectStreamError(() => parseHeaders(frame(FrameType.HEADERS, FrameFlags.PRIORITY, 5, "00000005 0f 82")), 5, ErrorCode.PROTOCOL_ERROR);
    // The error still carries the frame, so the caller can decode the block (HPACK state).
    try {
      parseHeaders(frame(FrameType.HEADERS, FrameFlags.PRIORITY, 5, "00000005 0f 82"));
    } catch (error) {
      expect(error).toBeInstanceOf(SelfDependentHeadersError);
      expect((error as SelfDependentHeadersError).headers).toMatchObject({ endHeaders: false, priority: { dependency: 5 } });
      expect((error as SelfDependentHeadersError).headers.fragment.toString("hex")).toBe("82");
    }
    // The exclusive bit does not hide a self-dependency.
    expectStreamError(() => parseHeaders(frame(FrameType.HEADERS, FrameFlags.PRIORITY, 5, "80000005 0f 82")), 5, ErrorCode.PROTOCOL_ERROR);
  });
});

describe("parsePriority (§6.3)", () => {
  it("reads the fields", () => {
    expect(parsePriority(frame(FrameType.PRIORITY, 0, 3, "00000001 ff"))).toEqual({ exclusive: false, dependency: 1, weight: 256 });
  });
  it("rejects stream 0, a wrong length and self-dependency", () => {
    expectConnectionError(() => parsePriority(frame(FrameType.PRIORITY, 0, 0, "00000001 ff")), ErrorCode.PROTOCOL_ERROR);
    expectStreamError(() => parsePriority(frame(FrameType.PRIORITY, 0, 3, "00000001")), 3, ErrorCode.FRAME_SIZE_ERROR);
    expectStreamError(() => parsePriority(frame(FrameType.PRIORITY, 0, 3, "00000001 ff 00")), 3, ErrorCode.FRAME_SIZE_ERROR);
    expectStreamError(() => parsePriority(frame(FrameType.PRIORITY, 0, 3, "00000003 ff")), 3, ErrorCode.PROTOCOL_ERROR);
  });
});

describe("parseRstStream (§6.4)", () => {
  it("reads the code, known or not", () => {
    expect(parseRstStream(frame(FrameType.RST_STREAM, 0, 1, "00000008"))).toBe(ErrorCode.CANCEL);
    expect(parseRstStream(frame(FrameType.RST_STREAM, 0, 1, "ffffffff"))).toBe(0xffff_ffff);
  });
  it("rejects stream 0 and a wrong length", () => {
    expectConnectionError(() => parseRstStream(frame(FrameType.RST_STREAM, 0, 0, "00000008")), ErrorCode.PROTOCOL_ERROR);
    expectConnectionError(() => parseRstStream(frame(FrameType.RST_STREAM, 0, 1, "000008")), ErrorCode.FRAME_SIZE_ERROR);
    expectConnectionError(() => parseRstStream(frame(FrameType.RST_STREAM, 0, 1, "0000000800")), ErrorCode.FRAME_SIZE_ERROR);
  });
});

describe("parseSettings (§6.5)", () => {
  it("reads pairs as unsigned 32-bit values, keeping unknown ids", () => {
    const r = parseSettings(
      frame(
        FrameType.SETTINGS,
        0,
        0,
        setting(SettingId.HEADER_TABLE_SIZE, 0xffff_ffff) +
          setting(SettingId.ENABLE_PUSH, 1) +
          setting(SettingId.INITIAL_WINDOW_SIZE, 2 ** 31 - 1) +
          setting(SettingId.MAX_FRAME_SIZE, 2 ** 24 - 1) +
          setting(SettingId.MAX_FRAME_SIZE, 2 ** 14) +
          setting(SettingId.ENABLE_CONNECT_PROTOCOL, 1) +
          setting(0xabcd, 42),
      ),
    );
    expect(r).toEqual({
      ack: false,
      settings: [
        [1, 0xffff_ffff],
        [2, 1],
        [4, 2 ** 31 - 1],
        [5, 2 ** 24 - 1],
        [5, 2 ** 14],
        [8, 1],
        [0xabcd, 42],
      ],
    });
    expect(parseSettings(frame(FrameType.SETTINGS, FrameFlags.ACK, 0))).toEqual({ ack: true, settings: [] });
  });

  const invalid: Array<[string, () => unknown, ErrorCode]> = [
    ["on a stream", () => parseSettings(frame(FrameType.SETTINGS, 0, 1)), ErrorCode.PROTOCOL_ERROR],
    ["ACK with a payload", () => parseSettings(frame(FrameType.SETTINGS, FrameFlags.ACK, 0, setting(1, 0))), ErrorCode.FRAME_SIZE_ERROR],
    ["length not a multiple of 6", () => parseSettings(frame(FrameType.SETTINGS, 0, 0, "0001000000")), ErrorCode.FRAME_SIZE_ERROR],
    ["ENABLE_PUSH 2", () => parseSettings(frame(FrameType.SETTINGS, 0, 0, setting(2, 2))), ErrorCode.PROTOCOL_ERROR],
    ["INITIAL_WINDOW_SIZE 2^31", () => parseSettings(frame(FrameType.SETTINGS, 0, 0, setting(4, 2 ** 31))), ErrorCode.FLOW_CONTROL_ERROR],
    ["MAX_FRAME_SIZE 2^14-1", () => parseSettings(frame(FrameType.SETTINGS, 0, 0, setting(5, 2 ** 14 - 1))), ErrorCode.PROTOCOL_ERROR],
    ["MAX_FRAME_SIZE 2^24", () => parseSettings(frame(FrameType.SETTINGS, 0, 0, setting(5, 2 ** 24))), ErrorCode.PROTOCOL_ERROR],
    ["ENABLE_CONNECT_PROTOCOL 2", () => parseSettings(frame(FrameType.SETTINGS, 0, 0, setting(8, 2))), ErrorCode.PROTOCOL_ERROR],
  ];
  for (const [name, fn, code] of invalid) it(`rejects ${name}`, () => expectConnectionError(fn, code));
});

describe("parsePing (§6.7)", () => {
  it("reads the opaque data and ACK", () => {
    expect(parsePing(frame(FrameType.PING, FrameFlags.ACK, 0, "0102030405060708"))).toEqual({
      ack: true,
      opaque: Buffer.from("0102030405060708", "hex"),
    });
  });
  it("rejects a stream and a wrong length", () => {
    expectConnectionError(() => parsePing(frame(FrameType.PING, 0, 1, "0102030405060708")), ErrorCode.PROTOCOL_ERROR);
    expectConnectionError(() => parsePing(frame(FrameType.PING, 0, 0, "01020304050607")), ErrorCode.FRAME_SIZE_ERROR);
    expectConnectionError(() => parsePing(frame(FrameType.PING, 0, 0, "010203040506070809")), ErrorCode.FRAME_SIZE_ERROR);
  });
});

describe("parseGoAway (§6.8)", () => {
  it("reads the fields, ignoring the reserved bit", () => {
    expect(parseGoAway(frame(FrameType.GOAWAY, 0, 0, "80000003 0000000b 6869"))).toEqual({
      lastStreamId: 3,
      errorCode: ErrorCode.ENHANCE_YOUR_CALM,
      debugData: Buffer.from("hi"),
    });
  });
  it("rejects a stream and a short payload", () => {
    expectConnectionError(() => parseGoAway(frame(FrameType.GOAWAY, 0, 1, "00000003 00000000")), ErrorCode.PROTOCOL_ERROR);
    expectConnectionError(() => parseGoAway(frame(FrameType.GOAWAY, 0, 0, "00000003 000000")), ErrorCode.FRAME_SIZE_ERROR);
  });
});

describe("parseWindowUpdate (§6.9)", () => {
  it("reads the increment, ignoring the reserved bit", () => {
    expect(parseWindowUpdate(frame(FrameType.WINDOW_UPDATE, 0, 0, "80000010"))).toBe(16);
    expect(parseWindowUpdate(frame(FrameType.WINDOW_UPDATE, 0, 7, "7fffffff"))).toBe(2 ** 31 - 1);
  });
  it("rejects a wrong length, and a zero increment as a stream or connection error", () => {
    expectConnectionError(() => parseWindowUpdate(frame(FrameType.WINDOW_UPDATE, 0, 1, "000010")), ErrorCode.FRAME_SIZE_ERROR);
    expectConnectionError(() => parseWindowUpdate(frame(FrameType.WINDOW_UPDATE, 0, 0, "0000001000")), ErrorCode.FRAME_SIZE_ERROR);
    expectStreamError(() => parseWindowUpdate(frame(FrameType.WINDOW_UPDATE, 0, 3, "00000000")), 3, ErrorCode.PROTOCOL_ERROR);
    expectStreamError(() => parseWindowUpdate(frame(FrameType.WINDOW_UPDATE, 0, 3, "80000000")), 3, ErrorCode.PROTOCOL_ERROR);
    expectConnectionError(() => parseWindowUpdate(frame(FrameType.WINDOW_UPDATE, 0, 0, "00000000")), ErrorCode.PROTOCOL_ERROR);
  });
});

describe("parseContinuation (§6.10)", () => {
  it("reads the fragment and END_HEADERS", () => {
    const r = parseContinuation(frame(FrameType.CONTINUATION, FrameFlags.END_HEADERS, 1, "8286"));
    expect(r.fragment.toString("hex")).toBe("8286");
    expect(r.endHeaders).toBe(true);
  });
  it("rejects stream 0", () => {
    expectConnectionError(() => parseContinuation(frame(FrameType.CONTINUATION, 0, 0, "82")), ErrorCode.PROTOCOL_ERROR);
  });
});

describe("PUSH_PROMISE and parseFrameForServer", () => {
  it("rejects PUSH_PROMISE from a client (§8.4)", () => {
    expectConnectionError(() => rejectPushPromise(), ErrorCode.PROTOCOL_ERROR);
    expectConnectionError(() => parseFrameForServer(frame(FrameType.PUSH_PROMISE, FrameFlags.END_HEADERS, 1, "00000002 82")), ErrorCode.PROTOCOL_ERROR);
  });
  it("dispatches by type and passes unknown types through", () => {
    expect(parseFrameForServer(frame(FrameType.PING, 0, 0, "0000000000000000"))).toMatchObject({ type: FrameType.PING, info: { ack: false } });
    expect(parseFrameForServer(frame(FrameType.WINDOW_UPDATE, 0, 0, "00000001"))).toMatchObject({ type: FrameType.WINDOW_UPDATE, info: 1 });
    expect(parseFrameForServer(frame(0xfa, 0xff, 9, "0102"))).toMatchObject({ type: "unknown", info: null });
  });
});
