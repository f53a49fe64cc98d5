/**
 * The transport-neutral connection every layer above the transport sees
 * (Kestrel's `ConnectionContext`): an id, a duplex stream, the two
 * endpoints, features, abort and a graceful close request.
 *
 * @module
 */
import type { Duplex } from "node:stream";
import type { EndPoint } from "./endpoints.js";
import type { ConnectionInfo } from "./http-context.js";
import { FeatureCollection } from "./features.js";
import { ConnectionTransportFeature } from "./well-known-features.js";

/** An endpoint, or a function that reads it when first asked (sockets know theirs, lazily). */
export type EndPointSource = EndPoint | null | (() => EndPoint | null);

/** What a transport supplies to create a {@link ConnectionContext}. */
export interface ConnectionContextInit {
  id: string;
  transport: Duplex;
  localEndPoint: EndPointSource;
  remoteEndPoint: EndPointSource;
}

/** One accepted connection as it goes through connection middleware: its id, its byte stream, its endpoints and features (Kestrel's `ConnectionContext`). */
export class ConnectionContext {
  /** The connection id, unique within the process (the transport's `createConnectionId`). */
  readonly id: string;
  /**
   * The byte stream. Connection middleware may replace it (TLS wraps the
   * socket and puts the decrypted stream here).
   */
  transport: Duplex;
  /** The stream the transport accepted; aborting destroys it too. */
  readonly rawTransport: Duplex;
  #localEndPoint: EndPointSource;
  #remoteEndPoint: EndPointSource;
  #features: FeatureCollection | undefined;
  #items: Map<unknown, unknown> | undefined;
  #closed: Promise<void> | undefined;
  #closeRequested = false;
  #onCloseRequested: (() => void) | undefined;

  /** Wraps an accepted transport; `init.transport` is both `transport` and `rawTransport`. */
  constructor(init: ConnectionContextInit) {
    this.id = init.id;
    this.transport = init.transport;
    this.rawTransport = init.transport;
    this.#localEndPoint = init.localEndPoint;
    this.#remoteEndPoint = init.remoteEndPoint;
  }

  /** The local (server) endpoint, or null when unknown; read from the source on first use. */
  get localEndPoint(): EndPoint | null {
    if (typeof this.#localEndPoint === "function") this.#localEndPoint = this.#localEndPoint();
    return this.#localEndPoint;
  }

  /** The remote (client) endpoint, or null when unknown (Unix sockets); read from the source on first use. */
  get remoteEndPoint(): EndPoint | null {
    if (typeof this.#remoteEndPoint === "function") this.#remoteEndPoint = this.#remoteEndPoint();
    return this.#remoteEndPoint;
  }

  /** Connection features (TLS handshake, connection limits, ...). Created on first use. */
  get features(): FeatureCollection {
    if (this.#features === undefined) {
      this.#features = new FeatureCollection();
      this.#features.set(ConnectionTransportFeature, this);
    }
    return this.#features;
  }

  /** Per-connection state for middleware. Created on first use. */
  get items(): Map<unknown, unknown> {
    return (this.#items ??= new Map());
  }

  /** Resolves once the underlying stream has closed. */
  get closed(): Promise<void> {
    if (this.#closed === undefined) {
      const raw = this.rawTransport;
      this.#closed = raw.destroyed && raw.closed !== false ? Promise.resolve() : new Promise((resolve) => raw.once("close", () => resolve()));
    }
    return this.#closed;
  }

  /** Tears the connection down at once. */
  abort(reason?: Error): void {
    if (this.transport !== this.rawTransport) this.transport.destroy(reason);
    this.rawTransport.destroy(reason);
  }

  /** True once a graceful close has been asked for (server shutdown). */
  get isCloseRequested(): boolean {
    return this.#closeRequested;
  }

  /**
   * Asks the protocol handler to finish what is in flight and close
   * (HTTP/1.1 closes an idle connection at once; HTTP/2 sends GOAWAY).
   */
  requestClose(): void {
    if (this.#closeRequested) return;
    this.#closeRequested = true;
    this.#onCloseRequested?.();
  }

  /** The protocol handler registers how it closes gracefully. Called at once if a close was already requested. */
  onCloseRequested(callback: () => void): void {
    this.#onCloseRequested = callback;
    if (this.#closeRequested) callback();
  }
}

/** Handles one connection to completion. */
export type ConnectionDelegate = (connection: ConnectionContext) => Promise<void>;

/** Connection middleware: runs per connection, in order, before the protocol handler. */
export type ConnectionMiddleware = (connection: ConnectionContext, next: ConnectionDelegate) => Promise<void>;

/** Composes connection middleware around a terminal connection delegate. */
export function composeConnectionMiddleware(middleware: readonly ConnectionMiddleware[], terminal: ConnectionDelegate): ConnectionDelegate {
  let next = terminal;
  for (let i = middleware.length - 1; i >= 0; i--) {
    const mw = middleware[i]!;
    const downstream = next;
    next = (connection) => mw(connection, downstream);
  }
  return next;
}

/** The addresses of a connection as `HttpContext.connection` shows them (frozen; read the endpoints once). */
export function connectionInfoOf(connection: ConnectionContext): ConnectionInfo {
  const local = connection.localEndPoint;
  const remote = connection.remoteEndPoint;
  return Object.freeze({
    id: connection.id,
    localAddress: local?.kind === "ip" ? local.address : null,
    localPort: local?.kind === "ip" ? local.port : 0,
    remoteAddress: remote?.kind === "ip" ? remote.address : null,
    remotePort: remote?.kind === "ip" ? remote.port : 0,
  });
}
