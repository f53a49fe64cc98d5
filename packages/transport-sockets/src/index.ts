/**
 * `@x/transport-sockets`: TCP and Unix domain socket listeners that turn
 * accepted sockets into `ConnectionContext`s. Knows nothing of HTTP.
 *
 * @module
 */
export type { ConnectionHandler } from "./accept-socket.js";
export { createConnectionId } from "./connection-id.js";
export { AddressInUseError, AddressNotAvailableError } from "./errors.js";
export type { SocketListener } from "./socket-listener.js";
export { SocketTransportFactory } from "./socket-transport-factory.js";
export type { SocketTransportOptions } from "./socket-transport-options.js";
