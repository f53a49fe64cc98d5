/**
 * `@x/http2`: HTTP/2 (RFC 9113) over the connection abstraction, with HPACK
 * (RFC 7541) through hpack.js. `@x/server` hands it connections whose
 * protocol was selected as h2 (ALPN over TLS, or prior knowledge in cleartext).
 *
 * @module
 */
export { Http2Connection, processHttp2Connection } from "./connection.js";
export type { Http2ConnectionOptions } from "./connection.js";
export { CONNECTION_PREFACE, ErrorCode, FrameType, Http2ConnectionError, Http2StreamError, SettingId } from "./frame-types.js";
export type { Frame } from "./frame-types.js";
export { HeaderListTooLargeError, HpackDecoder, HpackEncoder } from "./hpack.js";
export type { HeaderField, HpackDecoderOptions, TableEntryInfo } from "./hpack.js";
export type { StreamOwner } from "./stream.js";
