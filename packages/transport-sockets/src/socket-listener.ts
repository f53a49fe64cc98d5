/**
 * A bound listening socket: reports where it is bound, accepts connections,
 * and stops accepting on unbind.
 *
 * @module
 */
import type { ListenOptions, Server, Socket } from "node:net";
import { type EndPoint, formatEndPoint, ipEndPoint, unixEndPoint } from "@x/abstractions";
import { acceptSocket, type ConnectionHandler, createSocketErrorListener } from "./accept-socket.js";
import { toBindError } from "./errors.js";
import type { ResolvedSocketTransportOptions } from "./socket-transport-options.js";
import { removeUnixSocketFile } from "./unix-socket-path.js";

/** A listener returned by {@link SocketTransportFactory.bind}. */
export interface SocketListener {
  /** The endpoint actually bound: a requested port 0 reads as the port the OS chose. */
  readonly endPoint: EndPoint;
  /**
   * Stops accepting connections. Connections already accepted stay open:
   * the server drains them on its own schedule (Kestrel's `UnbindAsync`).
   * Removes a Unix socket's file. Safe to call more than once.
   */
  unbind(): Promise<void>;
}

/**
 * {@link SocketListener} over a `net.Server`. Internal: the factory is the
 * only way to create one.
 */
export class NetSocketListener implements SocketListener {
  readonly #server: Server;
  readonly #options: ResolvedSocketTransportOptions;
  readonly #onConnection: ConnectionHandler;
  #endPoint: EndPoint;
  #unbinding: Promise<void> | undefined;

  constructor(server: Server, endPoint: EndPoint, options: ResolvedSocketTransportOptions, onConnection: ConnectionHandler) {
    this.#server = server;
    this.#endPoint = endPoint;
    this.#options = options;
    this.#onConnection = onConnection;
    // Bound once per listener rather than a closure per accept.
    server.on("connection", this.#accept);
  }

  get endPoint(): EndPoint {
    return this.#endPoint;
  }

  /** Starts listening; rejects with a typed bind error (see `errors.ts`). */
  async listen(options: ListenOptions): Promise<void> {
    const server = this.#server;
    await new Promise<void>((resolve, reject) => {
      const onError = (error: unknown) => reject(toBindError(this.#endPoint, error));
      server.once("error", onError);
      server.listen(options, () => {
        server.off("error", onError);
        resolve();
      });
    });
    this.#serve();
  }

  /**
   * Serves a `net.Server` whose `listen()` was already called (node's
   * synchronous bind, as node:http compatibility needs): resolves once it
   * listens; rejects with a typed bind error if binding failed.
   */
  async attach(): Promise<void> {
    const server = this.#server;
    if (!server.listening) {
      await new Promise<void>((resolve, reject) => {
        const onError = (error: unknown) => {
          server.off("listening", onListening);
          reject(toBindError(this.#endPoint, error));
        };
        const onListening = () => {
          server.off("error", onError);
          resolve();
        };
        server.once("error", onError);
        server.once("listening", onListening);
      });
    }
    this.#serve();
  }

  #serve(): void {
    const server = this.#server;
    // From here on no error may escape as an exception: an 'error' event
    // without a listener would crash the process (EMFILE while accepting,
    // for one). Log it and keep the listener up.
    server.on("error", (error) => {
      this.#options.logger.error({ err: error, endPoint: formatEndPoint(this.#endPoint) }, "Socket listener error.");
    });
    const address = server.address();
    if (address !== null && typeof address === "object") {
      this.#endPoint = ipEndPoint(address.address, address.port);
    } else if (typeof address === "string") {
      this.#endPoint = unixEndPoint(address);
    }
  }

  unbind(): Promise<void> {
    this.#unbinding ??= this.#close();
    return this.#unbinding;
  }

  async #close(): Promise<void> {
    // close() shuts the listening handle at once; its callback would wait for
    // every accepted connection to end, which is not ours to wait for.
    this.#server.close();
    if (this.#endPoint.kind === "unix") await removeUnixSocketFile(this.#endPoint.path);
  }

  #onSocketError: ((this: Socket, error: NodeJS.ErrnoException) => void) | undefined;

  #accept = (socket: Socket): void => {
    this.#onSocketError ??= createSocketErrorListener(this.#options.logger);
    acceptSocket(socket, this.#endPoint, this.#options, this.#onConnection, this.#onSocketError);
  };
}
