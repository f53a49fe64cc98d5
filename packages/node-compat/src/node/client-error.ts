/**
 * node:http's `'clientError'`: a request our server rejects before the app
 * sees it (malformed, too large, too slow) becomes the event's error, with
 * the `code` node's parser (llhttp) gives the same fault, `bytesParsed` and
 * `rawPacket`, and the connection's socket. With a listener, the listener
 * answers and closes the socket, as on node:http; without one, our server
 * answers itself (node would send a bare 400/431/408 and close).
 *
 * @module
 */
import { ClientErrorFeature, type ClientErrorHandler, type ConnectionMiddleware } from "@x/abstractions";
import type { Duplex } from "node:stream";

/** Our rejection reasons (Kestrel's `RequestRejectionReason`) → llhttp's error codes. */
const NODE_CODES: Record<string, string> = {
  InvalidRequestLine: "HPE_INVALID_METHOD",
  InvalidRequestTarget: "HPE_INVALID_URL",
  MethodNotAllowedForTarget: "HPE_INVALID_URL",
  UnsupportedHttpVersion: "HPE_INVALID_VERSION",
  InvalidRequestHeader: "HPE_INVALID_HEADER_TOKEN",
  InvalidHeaderName: "HPE_INVALID_HEADER_TOKEN",
  InvalidHeaderValue: "HPE_INVALID_HEADER_TOKEN",
  WhitespaceBeforeColon: "HPE_INVALID_HEADER_TOKEN",
  ObsoleteLineFolding: "HPE_INVALID_HEADER_TOKEN",
  BareLineFeed: "HPE_LF_EXPECTED",
  InvalidContentLength: "HPE_INVALID_CONTENT_LENGTH",
  MultipleContentLengths: "HPE_UNEXPECTED_CONTENT_LENGTH",
  ContentLengthAndTransferEncoding: "HPE_UNEXPECTED_CONTENT_LENGTH",
  FinalTransferCodingNotChunked: "HPE_INVALID_TRANSFER_ENCODING",
  UnsupportedTransferCoding: "HPE_INVALID_TRANSFER_ENCODING",
  TransferEncodingInHttp10: "HPE_INVALID_TRANSFER_ENCODING",
  RequestLineTooLong: "HPE_HEADER_OVERFLOW",
  HeadersTooLarge: "HPE_HEADER_OVERFLOW",
  TooManyHeaders: "HPE_HEADER_OVERFLOW",
  RequestHeadersTimeout: "ERR_HTTP_REQUEST_TIMEOUT",
  UnexpectedEndOfRequestContent: "HPE_INVALID_EOF_STATE",
};

/** The error a 'clientError' listener gets: node's `code` (ours as `reason`), `statusCode` as ours would answer. */
export function nodeClientError(error: Error & { statusCode: number; reason: string }, received: Buffer): Error {
  const code = NODE_CODES[error.reason] ?? "HPE_INVALID_CONSTANT";
  const message = code === "ERR_HTTP_REQUEST_TIMEOUT" ? "Request timeout" : `Parse Error: ${error.message}`;
  return Object.assign(new Error(message, { cause: error }), { code, reason: error.reason, statusCode: error.statusCode, bytesParsed: received.length, rawPacket: received });
}

/** A connection middleware that gives every connection a {@link ClientErrorHandler} reporting to `emit` while `listening()`. */
export function clientErrorMiddleware(listening: () => boolean, emit: (error: Error, socket: Duplex) => void): ConnectionMiddleware {
  const handler: ClientErrorHandler = {
    get active() {
      return listening();
    },
    onRejectedRequest(error, stream, received) {
      emit(nodeClientError(error, received), stream);
    },
  };
  return (connection, next) => {
    connection.features.set(ClientErrorFeature, handler);
    return next(connection);
  };
}
