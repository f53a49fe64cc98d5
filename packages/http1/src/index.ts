/**
 * `@x/http1`: the HTTP/1.1 connection handler, with its own incremental
 * parser and writer. It depends only on `@x/abstractions`; `@x/server`
 * hands it connections.
 *
 * @module
 */
export { Http1Connection, processHttp1Connection } from "./connection.js";
export type { Http1ConnectionOptions } from "./connection.js";
export type { BodySink } from "./body-decoder.js";
export type { ContextOwner } from "./context.js";
export type { ResponseOwner } from "./response.js";
export { Http1ParseError, RejectionReason } from "./errors.js";
export { normalizePath, removeDotSegments } from "./path.js";
export { isValidAuthority } from "./request-head.js";
// The request-body queue is protocol-neutral; @x/http2 reuses it for stream bodies.
export { emptyBody, Http1RequestBody } from "./request-body.js";
export type { BodyOwner } from "./request-body.js";
