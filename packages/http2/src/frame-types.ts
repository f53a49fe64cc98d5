/**
 * HTTP/2 wire constants (RFC 9113 §6, §7, §11) and the two error kinds the
 * connection turns into frames: a connection error becomes GOAWAY and a
 * close (§5.4.1), a stream error becomes RST_STREAM (§5.4.2).
 *
 * @module
 */

/** Frame types, RFC 9113 §6. */
export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

/** Frame flags; END_STREAM and ACK share a bit on different frame types. */
export const FrameFlags = {
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

/** Error codes, RFC 9113 §7. */
export const ErrorCode = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
  INADEQUATE_SECURITY: 0xc,
  HTTP_1_1_REQUIRED: 0xd,
} as const;
/** An HTTP/2 error code value (RFC 9113 §7). */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Settings identifiers, RFC 9113 §6.5.2 (and RFC 8441 for CONNECT). */
export const SettingId = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
  ENABLE_CONNECT_PROTOCOL: 0x8,
} as const;

/** Every frame starts with this 9-byte header (§4.1). */
export const FRAME_HEADER_LENGTH = 9;
/** The client connection preface (§3.4). */
export const CONNECTION_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
/** Initial flow-control window of every stream and the connection (§6.9.2). */
export const DEFAULT_WINDOW_SIZE = 65_535;
/** Largest window and largest increment (§6.9.1). */
export const MAX_WINDOW_SIZE = 2 ** 31 - 1;
/** SETTINGS_MAX_FRAME_SIZE bounds (§6.5.2). */
export const MIN_MAX_FRAME_SIZE = 16_384;
export const MAX_MAX_FRAME_SIZE = 2 ** 24 - 1;
/** Stream identifiers are 31 bits (§5.1.1). */
export const MAX_STREAM_ID = 2 ** 31 - 1;

/** A frame as read from the wire: its header fields and its payload. */
export interface Frame {
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
  /** The payload; a view that stays valid only until the next read from the reader. */
  readonly payload: Buffer;
}

/** A connection error (§5.4.1): the connection sends GOAWAY with `code` and closes. */
export class Http2ConnectionError extends Error {
  /** The error code sent in GOAWAY. */
  readonly code: ErrorCode;
  /** A connection error with `code` (RFC 9113 §5.4.1). */
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = "Http2ConnectionError";
    this.code = code;
  }
}

/** A stream error (§5.4.2): the stream is reset with `code`; the connection continues. */
export class Http2StreamError extends Error {
  /** The stream to reset. */
  readonly streamId: number;
  /** The error code sent in RST_STREAM. */
  readonly code: ErrorCode;
  /** A stream error on `streamId` with `code` (RFC 9113 §5.4.2). */
  constructor(streamId: number, code: ErrorCode, message: string) {
    super(message);
    this.name = "Http2StreamError";
    this.streamId = streamId;
    this.code = code;
  }
}
