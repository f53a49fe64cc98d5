/**
 * One endpoint to listen on and how its connections are handled
 * (Kestrel's `ListenOptions`): the endpoint, the protocols, and the
 * connection middleware that runs before the protocol handler.
 *
 * @module
 */
import { type ConnectionMiddleware, type EndPoint, formatEndPoint } from "@x/abstractions";
import { HttpProtocols } from "./http-protocols.js";

export class ListenOptions {
  readonly endPoint: EndPoint;
  protocols: HttpProtocols = HttpProtocols.Http1AndHttp2;
  /** `http`, or `https` once TLS middleware is added. */
  scheme: "http" | "https" = "http";
  /** Set by `listenLocalhost` and `localhost` URLs: binds 127.0.0.1 and ::1 as one endpoint. */
  readonly isLocalhost: boolean;
  /** The endpoint's name in the `Kestrel:Endpoints` configuration, when it came from there. */
  endpointName: string | undefined;
  readonly #middleware: ConnectionMiddleware[] = [];

  constructor(endPoint: EndPoint, isLocalhost = false) {
    this.endPoint = endPoint;
    this.isLocalhost = isLocalhost;
  }

  /** Adds connection middleware; it runs per connection, in the order added. */
  use(middleware: ConnectionMiddleware): this {
    if (typeof middleware !== "function") throw new TypeError("middleware must be a function");
    this.#middleware.push(middleware);
    return this;
  }

  get middleware(): readonly ConnectionMiddleware[] {
    return this.#middleware;
  }

  /** The URL this endpoint answers on, e.g. `http://127.0.0.1:5000` or `http://unix:/tmp/x.sock`. */
  toUrl(endPoint: EndPoint = this.endPoint): string {
    if (endPoint.kind === "unix") return `${this.scheme}://unix:${endPoint.path}`;
    if (this.isLocalhost) return `${this.scheme}://localhost:${endPoint.port}`;
    return `${this.scheme}://${formatEndPoint(endPoint)}`;
  }
}
