/**
 * Turns one accepted socket into a {@link ConnectionContext} and hands it on.
 *
 * @module
 */
import type { Socket } from "node:net";
import { ConnectionContext, type EndPoint, ipEndPoint, type Logger } from "@x/abstractions";
import { createConnectionId } from "./connection-id.js";
import type { ResolvedSocketTransportOptions } from "./socket-transport-options.js";

/** Receives each accepted connection. Whatever it returns is not awaited. */
export type ConnectionHandler = (connection: ConnectionContext) => void;

/**
 * Wraps `socket` and calls `onConnection`. `listenEndPoint` is the bound
 * endpoint; a Unix socket's local endpoint is the listening path and its peer
 * has none, as in Kestrel's `UnixDomainSocketEndPoint`.
 */
const kConnectionId = Symbol("x.transport.connectionId");

/** One 'error' listener per listener (not per socket): it finds the socket's id on `this`. */
export function createSocketErrorListener(logger: Logger): (this: Socket, error: NodeJS.ErrnoException) => void {
  return function onSocketError(this: Socket, error: NodeJS.ErrnoException) {
    logSocketError(logger, (this as unknown as Record<symbol, string>)[kConnectionId] ?? "", error);
  };
}

function ipEndPointOf(address: string | undefined, port: number | undefined): EndPoint | null {
  // Undefined once the peer has already gone (reset while still in the accept queue).
  return address === undefined || port === undefined ? null : ipEndPoint(address, port);
}

export function acceptSocket(
  socket: Socket,
  listenEndPoint: EndPoint,
  options: ResolvedSocketTransportOptions,
  onConnection: ConnectionHandler,
  onSocketError: (this: Socket, error: NodeJS.ErrnoException) => void,
): void {
  const { logger } = options;
  const id = createConnectionId();
  (socket as unknown as Record<symbol, string>)[kConnectionId] = id;
  // Before anything else: an 'error' with no listener is thrown by the
  // emitter and takes the whole process down, and peers reset connections
  // (ECONNRESET, EPIPE) all the time. Layers above add their own listeners.
  socket.on("error", onSocketError);
  // Pipe handles have no TCP_NODELAY; Node ignores the call for them.
  socket.setNoDelay(options.noDelay);
  if (socket.destroyed) {
    logger.debug({ connectionId: id }, `Connection id "${id}" closed before it was accepted.`);
    return;
  }

  // Endpoints are read from the socket only when someone asks: most requests never do,
  // and each read costs a syscall and an object kept for the connection's lifetime.
  const connection =
    listenEndPoint.kind === "ip"
      ? new ConnectionContext({
          id,
          transport: socket,
          localEndPoint: () => ipEndPointOf(socket.localAddress, socket.localPort),
          remoteEndPoint: () => ipEndPointOf(socket.remoteAddress, socket.remotePort),
        })
      : new ConnectionContext({ id, transport: socket, localEndPoint: listenEndPoint, remoteEndPoint: null });
  let result: unknown;
  try {
    result = onConnection(connection);
  } catch (error) {
    // Thrown from inside the server's 'connection' event this would be an
    // uncaught exception; one bad connection must not stop the others.
    logHandlerError(logger, connection, error);
    return;
  }
  if (isPromiseLike(result)) {
    result.then(undefined, (error: unknown) => logHandlerError(logger, connection, error));
  }
}

function logSocketError(logger: Logger, id: string, error: NodeJS.ErrnoException): void {
  // Kestrel logs resets and other socket errors at debug: they are the
  // peer's doing and say nothing about the server's health.
  const message =
    error.code === "ECONNRESET" ? `Connection id "${id}" reset.` : `Connection id "${id}" communication error.`;
  logger.debug({ err: error, connectionId: id }, message);
}

function logHandlerError(logger: Logger, connection: ConnectionContext, error: unknown): void {
  logger.error({ err: error, connectionId: connection.id }, `Connection id "${connection.id}" handler failed.`);
  connection.abort();
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === "function";
}
