/**
 * Binds TCP and Unix domain socket endpoints (Kestrel's
 * `SocketTransportFactory`).
 *
 * @module
 */
import { createServer, type ListenOptions, type Server as NetServer } from "node:net";
import { type EndPoint, ipEndPoint, OptionsValidationError, unixEndPoint } from "@x/abstractions";
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

  /**
   * Accepts connections from a `net.Server` the caller created and called
   * `listen()` on (node's `listen()` binds synchronously, so `address()`
   * answers at once: node:http compatibility needs that). The server must
   * be `allowHalfOpen`, as the ones `bind` creates are. Resolves once it
   * listens; rejects with `AddressInUseError`/`AddressNotAvailableError`.
   *
   * @throws OptionsValidationError when `server` is not `allowHalfOpen`.
   */
  adopt(server: NetServer, onConnection: ConnectionHandler): Promise<SocketListener> {
    if ((server as NetServer & { allowHalfOpen?: boolean }).allowHalfOpen !== true) {
      throw new OptionsValidationError("An adopted net.Server must be created with { allowHalfOpen: true }: the protocol decides when to close", "allowHalfOpen");
    }
    const address = server.address();
    const endPoint: EndPoint = typeof address === "string" ? unixEndPoint(address) : address !== null ? ipEndPoint(address.address, address.port) : ipEndPoint("::", 0);
    const listener = new NetSocketListener(server, endPoint, this.#options, onConnection);
    return listener.attach().then(() => listener);
  }
}

function toListenOptions(endPoint: EndPoint, backlog: number): ListenOptions {
  if (endPoint.kind === "unix") return { path: endPoint.path, backlog };
  // `::` must be dual-stack so IPv4 clients reach an IPv6-any listener, as in
  // Kestrel's ListenAnyIP. The flag only matters for `::`: `0.0.0.0` and
  // specific addresses bind one family whatever it says.
  return { host: endPoint.address, port: endPoint.port, backlog, ipv6Only: false };
}
