/**
 * Payload validation for each frame type a server receives (RFC 9113 §6).
 * Each parser checks what the frame alone can tell (stream 0 or not, length,
 * padding, flags, setting values) and throws the error kind the RFC names:
 * `Http2ConnectionError` (GOAWAY, §5.4.1) or `Http2StreamError` (RST_STREAM,
 * §5.4.2). Stream states, windows and header blocks are the connection's job.
 *
 * Returned buffers are views of the frame payload (no copies).
 *
 * PUSH_PROMISE: a client never sends it (§8.4); `rejectPushPromise()` throws
 * the connection error, and `parseFrameForServer()` dispatches every known
 * type, rejecting PUSH_PROMISE there.
 *
 * @module
 */
import {
  ErrorCode,
  type Frame,
  FrameFlags,
  FrameType,
  Http2ConnectionError,
  Http2StreamError,
  MAX_MAX_FRAME_SIZE,
  MAX_WINDOW_SIZE,
  MIN_MAX_FRAME_SIZE,
  SettingId,
} from "./frame-types.js";

/** A stream's priority as sent in HEADERS or PRIORITY (§5.3.2, deprecated but still validated). */
export interface PriorityInfo {
  readonly exclusive: boolean;
  /** The stream this one depends on (31 bits). */
  readonly dependency: number;
  /** 1..256 (the wire value plus one). */
  readonly weight: number;
}

export interface DataFrameInfo {
  /** The data, padding removed. */
  readonly data: Buffer;
  readonly endStream: boolean;
  /** The whole payload length, padding included: what flow control counts (§6.9.1). */
  readonly flowControlledLength: number;
}

export interface HeadersFrameInfo {
  /** The header block fragment, padding and priority removed. */
  readonly fragment: Buffer;
  readonly endStream: boolean;
  readonly endHeaders: boolean;
  /** Present when the PRIORITY flag is set. */
  readonly priority: PriorityInfo | null;
}

export interface SettingsFrameInfo {
  readonly ack: boolean;
  /** Identifier/value pairs in order; unknown identifiers are kept, for the caller to ignore (§6.5.2). */
  readonly settings: Array<[id: number, value: number]>;
}

export interface PingFrameInfo {
  readonly ack: boolean;
  /** The 8 opaque bytes, a view of the payload. */
  readonly opaque: Buffer;
}

export interface GoAwayFrameInfo {
  readonly lastStreamId: number;
  readonly errorCode: number;
  readonly debugData: Buffer;
}

export interface ContinuationFrameInfo {
  readonly fragment: Buffer;
  readonly endHeaders: boolean;
}

function connectionError(code: ErrorCode, message: string): Http2ConnectionError {
  return new Http2ConnectionError(code, message);
}

/** §6.1, §6.2, §6.10: these frames belong to a stream. */
function requireStream(frame: Frame, name: string): void {
  if (frame.streamId === 0) throw connectionError(ErrorCode.PROTOCOL_ERROR, `${name} frame on stream 0`);
}

/** §6.5, §6.7, §6.8: these frames belong to the connection. */
function requireConnection(frame: Frame, name: string): void {
  if (frame.streamId !== 0) throw connectionError(ErrorCode.PROTOCOL_ERROR, `${name} frame on stream ${frame.streamId}`);
}

/**
 * Strips padding (§6.1, §6.2): the Pad Length octet first, the padding last.
 * `fixed` bytes of mandatory fields (HEADERS priority) follow the Pad Length.
 * @returns the bytes after the Pad Length, without the padding.
 */
function unpad(frame: Frame, name: string, fixed: number): Buffer {
  const payload = frame.payload;
  if ((frame.flags & FrameFlags.PADDED) === 0) {
    // §4.2: too short for its mandatory fields.
    if (payload.length < fixed) throw connectionError(ErrorCode.FRAME_SIZE_ERROR, `${name} frame too short`);
    return payload;
  }
  if (payload.length < 1 + fixed) throw connectionError(ErrorCode.FRAME_SIZE_ERROR, `padded ${name} frame too short`);
  const padLength = payload[0]!;
  // §6.1/§6.2: padding as long as the payload (or eating into the mandatory fields) is a
  // connection PROTOCOL_ERROR.
  if (padLength >= payload.length || padLength > payload.length - 1 - fixed) {
    throw connectionError(ErrorCode.PROTOCOL_ERROR, `${name} padding exceeds the payload`);
  }
  return payload.subarray(1, payload.length - padLength);
}

/**
 * The stream error for a HEADERS frame whose priority names its own stream
 * (§5.3.1). It still carries the parsed frame: the header block must be
 * decoded anyway (HPACK state is per connection, §4.3) and CONTINUATION
 * frames may follow, so the caller should keep reading the block, decode it,
 * then reset the stream.
 */
export class SelfDependentHeadersError extends Http2StreamError {
  readonly headers: HeadersFrameInfo;
  constructor(streamId: number, headers: HeadersFrameInfo) {
    super(streamId, ErrorCode.PROTOCOL_ERROR, "stream depends on itself");
    this.name = "SelfDependentHeadersError";
    this.headers = headers;
  }
}

/** Reads the 5 priority bytes (§6.2, §6.3) at `offset`. */
function readPriority(payload: Buffer, offset: number): PriorityInfo {
  const word = payload.readUInt32BE(offset);
  return { exclusive: (word & 0x8000_0000) !== 0, dependency: word & 0x7fff_ffff, weight: payload[offset + 4]! + 1 };
}

/** DATA (§6.1). */
export function parseData(frame: Frame): DataFrameInfo {
  requireStream(frame, "DATA");
  return {
    data: unpad(frame, "DATA", 0),
    endStream: (frame.flags & FrameFlags.END_STREAM) !== 0,
    flowControlledLength: frame.payload.length,
  };
}

/**
 * HEADERS (§6.2): padding, optional priority, then the header block fragment.
 * A self-dependent priority throws `SelfDependentHeadersError` (a stream
 * PROTOCOL_ERROR that still carries the parsed frame).
 */
export function parseHeaders(frame: Frame): HeadersFrameInfo {
  requireStream(frame, "HEADERS");
  const hasPriority = (frame.flags & FrameFlags.PRIORITY) !== 0;
  // §4.2: a frame too short for its mandatory fields is a FRAME_SIZE_ERROR; HEADERS carries
  // compression state, so it is a connection error.
  const body = unpad(frame, "HEADERS", hasPriority ? 5 : 0);
  let fragment = body;
  let priority: PriorityInfo | null = null;
  if (hasPriority) {
    priority = readPriority(body, 0);
    fragment = body.subarray(5);
  }
  const info: HeadersFrameInfo = {
    fragment,
    endStream: (frame.flags & FrameFlags.END_STREAM) !== 0,
    endHeaders: (frame.flags & FrameFlags.END_HEADERS) !== 0,
    priority,
  };
  // §5.3.1: a stream cannot depend on itself; a stream error.
  if (priority !== null && priority.dependency === frame.streamId) throw new SelfDependentHeadersError(frame.streamId, info);
  return info;
}

/** PRIORITY (§6.3). */
export function parsePriority(frame: Frame): PriorityInfo {
  requireStream(frame, "PRIORITY");
  if (frame.payload.length !== 5) {
    throw new Http2StreamError(frame.streamId, ErrorCode.FRAME_SIZE_ERROR, "PRIORITY frame length is not 5");
  }
  const priority = readPriority(frame.payload, 0);
  // §5.3.1: a stream cannot depend on itself.
  if (priority.dependency === frame.streamId) throw new Http2StreamError(frame.streamId, ErrorCode.PROTOCOL_ERROR, "stream depends on itself");
  return priority;
}

/** RST_STREAM (§6.4). @returns the error code (any 32-bit value; unknown codes are not errors, §7). */
export function parseRstStream(frame: Frame): number {
  requireStream(frame, "RST_STREAM");
  if (frame.payload.length !== 4) throw connectionError(ErrorCode.FRAME_SIZE_ERROR, "RST_STREAM frame length is not 4");
  return frame.payload.readUInt32BE(0);
}

/** SETTINGS (§6.5): the ACK flag, or the list of parameters with each known value checked (§6.5.2). */
export function parseSettings(frame: Frame): SettingsFrameInfo {
  requireConnection(frame, "SETTINGS");
  const payload = frame.payload;
  const ack = (frame.flags & FrameFlags.ACK) !== 0;
  if (ack) {
    if (payload.length !== 0) throw connectionError(ErrorCode.FRAME_SIZE_ERROR, "SETTINGS ACK with a payload");
    return { ack, settings: [] };
  }
  if (payload.length % 6 !== 0) throw connectionError(ErrorCode.FRAME_SIZE_ERROR, "SETTINGS length is not a multiple of 6");
  const settings: Array<[number, number]> = [];
  for (let at = 0; at < payload.length; at += 6) {
    const id = payload.readUInt16BE(at);
    const value = payload.readUInt32BE(at + 2);
    switch (id) {
      case SettingId.ENABLE_PUSH:
        if (value > 1) throw connectionError(ErrorCode.PROTOCOL_ERROR, "SETTINGS_ENABLE_PUSH is not 0 or 1");
        break;
      case SettingId.INITIAL_WINDOW_SIZE:
        if (value > MAX_WINDOW_SIZE) throw connectionError(ErrorCode.FLOW_CONTROL_ERROR, "SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1");
        break;
      case SettingId.MAX_FRAME_SIZE:
        if (value < MIN_MAX_FRAME_SIZE || value > MAX_MAX_FRAME_SIZE) {
          throw connectionError(ErrorCode.PROTOCOL_ERROR, "SETTINGS_MAX_FRAME_SIZE outside 2^14..2^24-1");
        }
        break;
      case SettingId.ENABLE_CONNECT_PROTOCOL:
        // RFC 8441 §3.
        if (value > 1) throw connectionError(ErrorCode.PROTOCOL_ERROR, "SETTINGS_ENABLE_CONNECT_PROTOCOL is not 0 or 1");
        break;
    }
    settings.push([id, value]);
  }
  return { ack, settings };
}

/** PING (§6.7). */
export function parsePing(frame: Frame): PingFrameInfo {
  requireConnection(frame, "PING");
  if (frame.payload.length !== 8) throw connectionError(ErrorCode.FRAME_SIZE_ERROR, "PING frame length is not 8");
  return { ack: (frame.flags & FrameFlags.ACK) !== 0, opaque: frame.payload };
}

/** GOAWAY (§6.8). */
export function parseGoAway(frame: Frame): GoAwayFrameInfo {
  requireConnection(frame, "GOAWAY");
  const payload = frame.payload;
  if (payload.length < 8) throw connectionError(ErrorCode.FRAME_SIZE_ERROR, "GOAWAY frame shorter than 8 bytes");
  return {
    // The reserved bit is ignored (§6.8).
    lastStreamId: payload.readUInt32BE(0) & 0x7fff_ffff,
    errorCode: payload.readUInt32BE(4),
    debugData: payload.subarray(8),
  };
}

/**
 * WINDOW_UPDATE (§6.9). @returns the increment (1..2^31-1). A zero increment is
 * a stream error on a stream and a connection error on stream 0.
 */
export function parseWindowUpdate(frame: Frame): number {
  if (frame.payload.length !== 4) throw connectionError(ErrorCode.FRAME_SIZE_ERROR, "WINDOW_UPDATE frame length is not 4");
  // The reserved bit is ignored (§6.9).
  const increment = frame.payload.readUInt32BE(0) & 0x7fff_ffff;
  if (increment === 0) {
    if (frame.streamId === 0) throw connectionError(ErrorCode.PROTOCOL_ERROR, "WINDOW_UPDATE with a zero increment");
    throw new Http2StreamError(frame.streamId, ErrorCode.PROTOCOL_ERROR, "WINDOW_UPDATE with a zero increment");
  }
  return increment;
}

/** CONTINUATION (§6.10). Whether it may follow is the connection's check (it knows the open block). */
export function parseContinuation(frame: Frame): ContinuationFrameInfo {
  requireStream(frame, "CONTINUATION");
  return { fragment: frame.payload, endHeaders: (frame.flags & FrameFlags.END_HEADERS) !== 0 };
}

/** PUSH_PROMISE (§6.6): a client cannot push (§8.4), so receiving one is a connection PROTOCOL_ERROR. Always throws. */
export function rejectPushPromise(): never {
  throw connectionError(ErrorCode.PROTOCOL_ERROR, "PUSH_PROMISE from a client");
}

/** A frame received by a server, parsed by type. Unknown types are `{ type: "unknown" }`: ignore them (§4.1, §5.5). */
export type ParsedFrame =
  | { readonly type: typeof FrameType.DATA; readonly frame: Frame; readonly info: DataFrameInfo }
  | { readonly type: typeof FrameType.HEADERS; readonly frame: Frame; readonly info: HeadersFrameInfo }
  | { readonly type: typeof FrameType.PRIORITY; readonly frame: Frame; readonly info: PriorityInfo }
  | { readonly type: typeof FrameType.RST_STREAM; readonly frame: Frame; readonly info: number }
  | { readonly type: typeof FrameType.SETTINGS; readonly frame: Frame; readonly info: SettingsFrameInfo }
  | { readonly type: typeof FrameType.PING; readonly frame: Frame; readonly info: PingFrameInfo }
  | { readonly type: typeof FrameType.GOAWAY; readonly frame: Frame; readonly info: GoAwayFrameInfo }
  | { readonly type: typeof FrameType.WINDOW_UPDATE; readonly frame: Frame; readonly info: number }
  | { readonly type: typeof FrameType.CONTINUATION; readonly frame: Frame; readonly info: ContinuationFrameInfo }
  | { readonly type: "unknown"; readonly frame: Frame; readonly info: null };

/**
 * Parses any frame a server can receive, by type; PUSH_PROMISE throws a
 * connection PROTOCOL_ERROR (§8.4). A convenience over the single parsers.
 */
export function parseFrameForServer(frame: Frame): ParsedFrame {
  switch (frame.type) {
    case FrameType.DATA:
      return { type: FrameType.DATA, frame, info: parseData(frame) };
    case FrameType.HEADERS:
      return { type: FrameType.HEADERS, frame, info: parseHeaders(frame) };
    case FrameType.PRIORITY:
      return { type: FrameType.PRIORITY, frame, info: parsePriority(frame) };
    case FrameType.RST_STREAM:
      return { type: FrameType.RST_STREAM, frame, info: parseRstStream(frame) };
    case FrameType.SETTINGS:
      return { type: FrameType.SETTINGS, frame, info: parseSettings(frame) };
    case FrameType.PUSH_PROMISE:
      return rejectPushPromise();
    case FrameType.PING:
      return { type: FrameType.PING, frame, info: parsePing(frame) };
    case FrameType.GOAWAY:
      return { type: FrameType.GOAWAY, frame, info: parseGoAway(frame) };
    case FrameType.WINDOW_UPDATE:
      return { type: FrameType.WINDOW_UPDATE, frame, info: parseWindowUpdate(frame) };
    case FrameType.CONTINUATION:
      return { type: FrameType.CONTINUATION, frame, info: parseContinuation(frame) };
    default:
      return { type: "unknown", frame, info: null };
  }
}
