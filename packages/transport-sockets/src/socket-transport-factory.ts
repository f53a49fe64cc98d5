/**
 * Binds TCP and Unix domain socket endpoints (Kestrel's
 * `SocketTransportFactory`).
 *
 * @module
 */
import { createServer, type ListenOptions } from "node:net";
import type { EndPoint } from "@x/abstractions";
import type { ConnectionHandler } from "./accept-socket.js";
import { NetSocketListener, type SocketListener } from "./socket-listener.js";
import {
  type ResolvedSocketTransportOptions,
  resolveSocketTransportOptions,
  type SocketTransportOptions,
} from "./socket-transport-options.js";
import { prepareUnixSocketPath } from "./unix-socket-path.js";

/**
 * Creates listeners that turn accepted sockets into `ConnectionContext`s.
 * It knows nothing of HTTP; `@x/server` puts protocols on top.
 *
 * @example
 * import { ipEndPoint } from "@x/abstractions";
 * import { SocketTransportFactory } from "@x/transport-sockets";
 *
 * const factory = new SocketTransportFactory({ backlog: 1024 });
 * const listener = await factory.bind(ipEndPoint("127.0.0.1", 0), (connection) => {
 *   connection.transport.pipe(connection.transport); // echo
 * });
 * listener.endPoint; // { kind: "ip", address: "127.0.0.1", port: 41234, family: 4 }
 * await listener.unbind();
 */
export class SocketTransportFactory {
  readonly #options: ResolvedSocketTransportOptions;

  /** @throws OptionsValidationError when an option has an invalid value. */
  constructor(options?: SocketTransportOptions) {
    this.#options = resolveSocketTransportOptions(options);
  }

  /**
   * Listens on `endPoint` and calls `onConnection` for every accepted socket.
   *
   * @throws AddressInUseError when the endpoint is taken (`EADDRINUSE`, or a
   *   Unix socket path held by a live server or a non-socket file).
   * @throws AddressNotAvailableError when the host cannot bind the address
   *   (`EADDRNOTAVAIL`, `EAFNOSUPPORT`).
   */
  async bind(endPoint: EndPoint, onConnection: ConnectionHandler): Promise<SocketListener> {
    const { noDelay, backlog } = this.#options;
    if (endPoint.kind === "unix") await prepareUnixSocketPath(endPoint);
    // allowHalfOpen: a client's FIN must not end our side before its response is written;
    // the protocol handler decides when to close (Kestrel keeps output open the same way).
    const server = createServer({ allowHalfOpen: true, noDelay, pauseOnConnect: false });
    const listener = new NetSocketListener(server, endPoint, this.#options, onConnection);
    await listener.listen(toListenOptions(endPoint, backlog));
    return listener;
  }
}

function toListenOptions(endPoint: EndPoint, backlog: number): ListenOptions {
  if (endPoint.kind === "unix") return { path: endPoint.path, backlog };
  // `::` must be dual-stack so IPv4 clients reach an IPv6-any listener, as in
  // Kestrel's ListenAnyIP. The flag only matters for `::`: `0.0.0.0` and
  // specific addresses bind one family whatever it says.
  return { host: endPoint.address, port: endPoint.port, backlog, ipv6Only: false };
}
