/**
 * Reads the SNI host name from a TLS ClientHello without consuming it, so the
 * certificate selector runs exactly once per connection, with the name or
 * with null, before OpenSSL sees the bytes. node:tls's SNICallback alone
 * cannot do this: it is skipped when the client sends no SNI.
 *
 * Layouts: RFC 8446 §5.1 (record), §4.1.2 (ClientHello), §4.2 (extensions);
 * RFC 6066 §3 (server_name).
 *
 * @module
 */
import { createErrorClass } from "@x/abstractions";

/** Bytes that are not a TLS ClientHello (plain HTTP, garbage, or truncated lengths). */
export const ClientHelloError = createErrorClass("ClientHelloError", "ERR_X_TLS_BAD_CLIENT_HELLO", "Malformed TLS ClientHello");

const RECORD_HEADER = 5;
const CONTENT_TYPE_HANDSHAKE = 0x16;
const HANDSHAKE_CLIENT_HELLO = 0x01;
const EXTENSION_SERVER_NAME = 0x0000;
const NAME_TYPE_HOST_NAME = 0x00;
/** RFC 8446 §5.1: "The length MUST NOT exceed 2^14 bytes." */
const MAX_RECORD = 1 << 14;
/** A ClientHello larger than this is refused rather than buffered (a memory bound, not an RFC limit). */
export const MAX_CLIENT_HELLO = 64 * 1024;

/** `undefined` while more bytes are needed; otherwise the SNI name or null. */
export type ClientHelloResult = { readonly serverName: string | null } | undefined;

/**
 * Parses the records in `data` until the ClientHello is complete. Short
 * input is not an error: it returns `undefined`.
 *
 * @throws ClientHelloError for anything that is not a ClientHello.
 */
export function parseClientHello(data: Buffer): ClientHelloResult {
  // A ClientHello may be fragmented over several handshake records (RFC 8446 §5.1).
  const fragments: Buffer[] = [];
  let handshakeLength = -1;
  let collected = 0;
  let offset = 0;
  while (true) {
    if (data.length - offset < RECORD_HEADER) return undefined;
    if (data[offset] !== CONTENT_TYPE_HANDSHAKE || data[offset + 1] !== 0x03) throw new ClientHelloError("Not a TLS handshake record");
    const length = data.readUInt16BE(offset + 3);
    if (length === 0 || length > MAX_RECORD) throw new ClientHelloError("Bad TLS record length");
    if (data.length - offset - RECORD_HEADER < length) return undefined;
    fragments.push(data.subarray(offset + RECORD_HEADER, offset + RECORD_HEADER + length));
    collected += length;
    offset += RECORD_HEADER + length;
    if (handshakeLength < 0 && collected >= 4) {
      const head = fragments.length === 1 ? fragments[0]! : Buffer.concat(fragments);
      if (head[0] !== HANDSHAKE_CLIENT_HELLO) throw new ClientHelloError("First handshake message is not a ClientHello");
      handshakeLength = head.readUIntBE(1, 3);
      if (handshakeLength > MAX_CLIENT_HELLO) throw new ClientHelloError("ClientHello too large");
    }
    if (handshakeLength >= 0 && collected >= 4 + handshakeLength) break;
  }
  const message = Buffer.concat(fragments).subarray(4, 4 + handshakeLength);
  return { serverName: readServerName(message) };
}

/** Walks a ClientHello body to the server_name extension. */
function readServerName(body: Buffer): string | null {
  let p = 2 + 32; // legacy_version, random
  p = skipVector(body, p, 1); // legacy_session_id
  p = skipVector(body, p, 2); // cipher_suites
  p = skipVector(body, p, 1); // legacy_compression_methods
  if (p === body.length) return null; // no extensions at all (TLS 1.2 allows it)
  const end = p + 2 + need(body, p, 2);
  if (end > body.length) throw new ClientHelloError("Extensions overrun the ClientHello");
  p += 2;
  while (p + 4 <= end) {
    const type = body.readUInt16BE(p);
    const length = body.readUInt16BE(p + 2);
    p += 4;
    if (p + length > end) throw new ClientHelloError("Extension overruns the ClientHello");
    if (type === EXTENSION_SERVER_NAME) return readHostName(body.subarray(p, p + length));
    p += length;
  }
  return null;
}

/** RFC 6066 §3: ServerNameList; only host_name(0) is defined. */
function readHostName(ext: Buffer): string | null {
  if (ext.length < 2) throw new ClientHelloError("Empty server_name extension");
  const end = Math.min(ext.length, 2 + ext.readUInt16BE(0));
  let p = 2;
  while (p + 3 <= end) {
    const type = ext[p]!;
    const length = ext.readUInt16BE(p + 1);
    p += 3;
    if (p + length > end) throw new ClientHelloError("server_name overruns its extension");
    // RFC 6066 §3: "The hostname is represented as a byte string using ASCII encoding without a trailing dot."
    if (type === NAME_TYPE_HOST_NAME && length > 0) return ext.toString("latin1", p, p + length).toLowerCase();
    p += length;
  }
  return null;
}

function need(buf: Buffer, p: number, size: number): number {
  if (p + size > buf.length) throw new ClientHelloError("ClientHello truncated");
  return size === 1 ? buf[p]! : buf.readUInt16BE(p);
}

function skipVector(buf: Buffer, p: number, lengthSize: number): number {
  const next = p + lengthSize + need(buf, p, lengthSize);
  if (next > buf.length) throw new ClientHelloError("ClientHello truncated");
  return next;
}
