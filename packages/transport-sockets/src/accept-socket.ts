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
export function acceptSocket(
  socket: Socket,
  listenEndPoint: EndPoint,
  options: ResolvedSocketTransportOptions,
  onConnection: ConnectionHandler,
): void {
  const { logger } = options;
  const id = createConnectionId();
  // Before anything else: an 'error' with no listener is thrown by the
  // emitter and takes the whole process down, and peers reset connections
  // (ECONNRESET, EPIPE) all the time. Layers above add their own listeners.
  socket.on("error", (error: NodeJS.ErrnoException) => logSocketError(logger, id, error));
  // Pipe handles have no TCP_NODELAY; Node ignores the call for them.
  socket.setNoDelay(options.noDelay);

  let localEndPoint: EndPoint | null = listenEndPoint;
  let remoteEndPoint: EndPoint | null = null;
  if (listenEndPoint.kind === "ip") {
    const { localAddress, localPort, remoteAddress, remotePort } = socket;
    // Addresses read as undefined once the peer has already gone (reset
    // while still in the accept queue); there is nothing left to serve.
    if (localAddress === undefined || localPort === undefined || remoteAddress === undefined || remotePort === undefined) {
      logger.debug({ connectionId: id }, `Connection id "${id}" closed before it was accepted.`);
      socket.destroy();
      return;
    }
    localEndPoint = ipEndPoint(localAddress, localPort);
    remoteEndPoint = ipEndPoint(remoteAddress, remotePort);
  }

  const connection = new ConnectionContext({ id, transport: socket, localEndPoint, remoteEndPoint });
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
