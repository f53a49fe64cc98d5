/**
 * Frame serializers (RFC 9113 §4.1, §6): each returns the bytes to write.
 * DATA can be written as a 9-byte header followed by the caller's payload
 * buffer, so a body chunk is never copied into a frame.
 *
 * Arguments are trusted (the connection builds them): lengths, stream ids and
 * error codes are written as given, masked to their field width.
 *
 * @module
 */
import { FRAME_HEADER_LENGTH, FrameFlags, FrameType } from "./frame-types.js";

/** Writes a frame header (§4.1) into `target` at `offset`; the reserved bit is sent as 0. */
function writeHeader(target: Buffer, offset: number, length: number, type: number, flags: number, streamId: number): void {
  target.writeUIntBE(length, offset, 3);
  target[offset + 3] = type;
  target[offset + 4] = flags;
  target.writeUInt32BE(streamId & 0x7fff_ffff, offset + 5);
}

/** Allocates a whole frame with its header written; the caller fills the payload from byte 9. */
function frame(length: number, type: number, flags: number, streamId: number): Buffer {
  const buf = Buffer.allocUnsafe(FRAME_HEADER_LENGTH + length);
  writeHeader(buf, 0, length, type, flags, streamId);
  return buf;
}

/** The 9-byte frame header (§4.1), for a payload the caller writes after it. */
export function frameHeader(length: number, type: number, flags: number, streamId: number): Buffer {
  const buf = Buffer.allocUnsafe(FRAME_HEADER_LENGTH);
  writeHeader(buf, 0, length, type, flags, streamId);
  return buf;
}

/** SETTINGS (§6.5) with the given identifier/value pairs, in order. */
export function settingsFrame(entries: ReadonlyArray<readonly [number, number]>): Buffer {
  const buf = frame(entries.length * 6, FrameType.SETTINGS, 0, 0);
  let at = FRAME_HEADER_LENGTH;
  for (const [id, value] of entries) {
    buf.writeUInt16BE(id, at);
    buf.writeUInt32BE(value >>> 0, at + 2);
    at += 6;
  }
  return buf;
}

/** SETTINGS with the ACK flag and no payload (§6.5.3). */
export function settingsAck(): Buffer {
  return frame(0, FrameType.SETTINGS, FrameFlags.ACK, 0);
}

/** PING (§6.7); `opaque` must be 8 bytes (an ACK echoes the received ones). */
export function pingFrame(opaque: Buffer, ack: boolean): Buffer {
  if (opaque.length !== 8) throw new RangeError("PING opaque data must be 8 bytes");
  const buf = frame(8, FrameType.PING, ack ? FrameFlags.ACK : 0, 0);
  opaque.copy(buf, FRAME_HEADER_LENGTH);
  return buf;
}

/** GOAWAY (§6.8). */
export function goAwayFrame(lastStreamId: number, errorCode: number, debugData?: Buffer): Buffer {
  const debugLength = debugData === undefined ? 0 : debugData.length;
  const buf = frame(8 + debugLength, FrameType.GOAWAY, 0, 0);
  buf.writeUInt32BE(lastStreamId & 0x7fff_ffff, FRAME_HEADER_LENGTH);
  buf.writeUInt32BE(errorCode >>> 0, FRAME_HEADER_LENGTH + 4);
  if (debugData !== undefined) debugData.copy(buf, FRAME_HEADER_LENGTH + 8);
  return buf;
}

/** RST_STREAM (§6.4). */
export function rstStreamFrame(streamId: number, errorCode: number): Buffer {
  const buf = frame(4, FrameType.RST_STREAM, 0, streamId);
  buf.writeUInt32BE(errorCode >>> 0, FRAME_HEADER_LENGTH);
  return buf;
}

/** WINDOW_UPDATE (§6.9); stream 0 updates the connection window. */
export function windowUpdateFrame(streamId: number, increment: number): Buffer {
  const buf = frame(4, FrameType.WINDOW_UPDATE, 0, streamId);
  buf.writeUInt32BE(increment & 0x7fff_ffff, FRAME_HEADER_LENGTH);
  return buf;
}

/** The 9-byte header of an unpadded DATA frame (§6.1) carrying `length` bytes; write the payload after it. */
export function dataFrameHeader(streamId: number, length: number, endStream: boolean): Buffer {
  return frameHeader(length, FrameType.DATA, endStream ? FrameFlags.END_STREAM : 0, streamId);
}

/**
 * One DATA frame as `[header, data]` (`[header]` when `data` is empty): the
 * payload is not copied. `data` must fit the peer's SETTINGS_MAX_FRAME_SIZE.
 */
export function dataFrame(streamId: number, data: Buffer, endStream: boolean): Buffer[] {
  const header = dataFrameHeader(streamId, data.length, endStream);
  return data.length === 0 ? [header] : [header, data];
}

/**
 * A header block as HEADERS then CONTINUATION frames (§6.2, §6.10), each
 * payload at most `maxFrameSize` (the peer's SETTINGS_MAX_FRAME_SIZE).
 * END_STREAM goes on the HEADERS frame, END_HEADERS on the last frame.
 * Each returned buffer is a whole frame (header and fragment in one).
 */
export function headersFrames(streamId: number, block: Buffer, endStream: boolean, maxFrameSize: number): Buffer[] {
  if (!(maxFrameSize >= 1)) throw new RangeError("maxFrameSize must be positive");
  const frames: Buffer[] = [];
  let at = 0;
  do {
    const n = Math.min(maxFrameSize, block.length - at);
    const last = at + n === block.length;
    const type = at === 0 ? FrameType.HEADERS : FrameType.CONTINUATION;
    let flags = last ? FrameFlags.END_HEADERS : 0;
    if (at === 0 && endStream) flags |= FrameFlags.END_STREAM;
    const buf = frame(n, type, flags, streamId);
    block.copy(buf, FRAME_HEADER_LENGTH, at, at + n);
    frames.push(buf);
    at += n;
  } while (at < block.length);
  return frames;
}
