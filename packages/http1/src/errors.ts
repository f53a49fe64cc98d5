/**
 * HTTP/1.1 parse errors and the one table that maps each reason to the
 * status code the server answers (hyper's `on_error`, Kestrel's
 * `RequestRejectionReason`). After any of them the connection closes.
 *
 * @module
 */
import { BadHttpRequestError } from "@x/abstractions";

/** Why the HTTP/1.1 layer rejects a request, with the status code it answers (Kestrel's `RequestRejectionReason`). */
export const RejectionReason = {
  InvalidRequestLine: 400,
  InvalidRequestTarget: 400,
  InvalidRequestHeader: 400,
  InvalidHeaderName: 400,
  InvalidHeaderValue: 400,
  ObsoleteLineFolding: 400,
  WhitespaceBeforeColon: 400,
  BareLineFeed: 400,
  MissingHost: 400,
  MultipleHost: 400,
  InvalidHost: 400,
  InvalidContentLength: 400,
  MultipleContentLengths: 400,
  ContentLengthAndTransferEncoding: 400,
  FinalTransferCodingNotChunked: 400,
  TransferEncodingInHttp10: 400,
  BadChunkSizeData: 400,
  BadChunkSuffix: 400,
  BadChunkExtension: 400,
  ChunkedRequestIncomplete: 400,
  UnexpectedEndOfRequestContent: 400,
  InvalidTrailer: 400,
  MethodNotAllowedForTarget: 400,
  UpgradeRequestCannotHavePayload: 400,
  RequestLineTooLong: 414,
  HeadersTooLarge: 431,
  TooManyHeaders: 431,
  RequestBodyTooLarge: 413,
  RequestHeadersTimeout: 408,
  RequestBodyTimeout: 408,
  UnsupportedHttpVersion: 505,
  /** RFC 9112 §6.1: a transfer coding other than chunked (gzip, deflate, compress, ...). */
  UnsupportedTransferCoding: 501,
} as const;

/** The name of a {@link RejectionReason}. */
export type RejectionReason = keyof typeof RejectionReason;

/** A request the HTTP/1.1 layer rejects; `statusCode` comes from {@link RejectionReason}. */
export class Http1ParseError extends BadHttpRequestError {
  /** `detail` is appended to the message; the status code comes from the reason. */
  constructor(reason: RejectionReason, detail?: string) {
    super(detail ? `${reason}: ${detail}` : reason, RejectionReason[reason], reason);
  }
}

export function reject(reason: RejectionReason, detail?: string): never {
  throw new Http1ParseError(reason, detail);
}
