/**
 * The server core (Kestrel's `KestrelServer`): binds the endpoints, runs each
 * accepted connection through its endpoint's connection pipeline to the
 * protocol handler, drives every timeout from one heartbeat, and stops
 * gracefully.
 *
 * @module
 */
import {
  type Clock,
  composeConnectionMiddleware,
  type ConnectionContext,
  type ConnectionDelegate,
  type EndPoint,
  FeatureCollection,
  HeartbeatTimer,
  freezeLimits,
  type LoggerFactory,
  nullLoggerFactory,
  OptionsValidationError,
  type RequestDelegate,
  type ServerAddresses,
  ServerAddressesFeature,
  type ServiceContext,
  systemClock,
  createResourceCounter,
  DecrementConcurrentConnectionCountFeature,
} from "@x/abstractions";
import { processHttp1Connection } from "@x/http1";
import { processHttp2Connection } from "@x/http2";
import { type SocketListener, SocketTransportFactory } from "@x/transport-sockets";
import { bindAll, type BindEndPoint, type BoundEndpoint, resolveListenOptions } from "./address-binder.js";
import { ConnectionManager } from "./connection-manager.js";
import type { ListenOptions } from "./listen-options.js";
import { createProtocolSelector } from "./protocol-selection.js";
import { ServerOptions } from "./server-options.js";

/** What a {@link Server} can be given instead of its defaults. */
export interface ServerDependencies {
  loggerFactory?: LoggerFactory;
  /** The time source for every timeout; tests pass a `ManualClock`. */
  clock?: Clock;
  /** Set false in tests that drive `heartbeat.tick()` by hand. */
  startHeartbeatTimer?: boolean;
  /**
   * Binds the endpoints instead of a `SocketTransportFactory` of the
   * server's own (Kestrel's pluggable `IConnectionListenerFactory`): for
   * listeners bound elsewhere, such as node:http compatibility's
   * synchronously bound `net.Server` (`SocketTransportFactory.adopt`).
   */
  transport?: ConnectionListenerFactory;
}

/** Creates the listener of one endpoint; `onConnection` receives every accepted connection. */
export interface ConnectionListenerFactory {
  bind(endPoint: EndPoint, onConnection: (connection: ConnectionContext) => void): Promise<SocketListener>;
}

/** An endpoint `rebind` could not bind, and why. */
export interface RebindFailure {
  readonly listenOptions: ListenOptions;
  readonly error: unknown;
}

/** Kestrel's host default shutdown timeout. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 30_000;

const ServerState = { Created: 0, Starting: 1, Started: 2, Stopping: 3, Stopped: 4 } as const;
type ServerState = (typeof ServerState)[keyof typeof ServerState];

/**
 * @example
 * const server = new Server();
 * server.options.listen("127.0.0.1", 0);
 * await server.start((ctx) => ctx.response.end("Hello"));
 * server.addresses; // ["http://127.0.0.1:39211"]
 * await server.stop();
 */
export class Server {
  /** The server's options (endpoints, limits); set them before `start()`. */
  readonly options: ServerOptions;
  /** Server features (`ServerAddresses`). */
  readonly features = new FeatureCollection();
  /** The heartbeat that drives the `Date` header and connection timeouts. */
  readonly heartbeat: HeartbeatTimer;
  readonly #serverAddresses: ServerAddresses = { addresses: [], preferHostingUrls: false };
  readonly #loggerFactory: LoggerFactory;
  readonly #clock: Clock;
  readonly #bind: BindEndPoint;
  readonly #startTimer: boolean;
  #state: ServerState = ServerState.Created;
  #starting: Promise<void> | null = null;
  #stopping: Promise<void> | null = null;
  #bound: BoundEndpoint[] = [];
  #manager: ConnectionManager | null = null;
  /**
   * One per endpoint, aborted when the endpoint is removed or the server
   * stops: its connection middleware releases what it holds (certificate file watches).
   */
  readonly #endpointLifetimes = new Map<ListenOptions, AbortController>();
  /** Open connections by the endpoint that accepted them, so a removed endpoint can close its own. */
  readonly #endpointConnections = new Map<ListenOptions, Set<ConnectionContext>>();
  /** The rebind in progress: rebinds run one at a time, and stop waits for them. */
  #rebinding: Promise<unknown> | null = null;

  /** A server with `options`; `deps` replace its logger factory, clock and heartbeat timer (tests). */
  constructor(options: ServerOptions = new ServerOptions(), deps: ServerDependencies = {}) {
    this.options = options;
    this.#loggerFactory = deps.loggerFactory ?? nullLoggerFactory;
    this.#clock = deps.clock ?? systemClock;
    this.#startTimer = deps.startHeartbeatTimer ?? true;
    this.heartbeat = new HeartbeatTimer(this.#clock, this.#loggerFactory.createLogger("X.Server.Heartbeat"));
    const transport = deps.transport ?? new SocketTransportFactory({ logger: this.#loggerFactory.createLogger("X.Transport.Sockets") });
    this.#bind = (endPoint, lo) => transport.bind(endPoint, this.#onConnectionFor(lo));
    this.features.set(ServerAddressesFeature, this.#serverAddresses);
  }

  /** The URLs bound once started; before start, the hosting URLs to bind. */
  get addresses(): string[] {
    return this.#serverAddresses.addresses;
  }

  /** Open connections. */
  get connectionCount(): number {
    return this.#manager?.count ?? 0;
  }

  /**
   * Asks every open connection to close gracefully while the server keeps
   * listening: idle keep-alive connections close at once, busy ones after
   * their response (HTTP/2: GOAWAY). Upgraded connections are not affected.
   */
  requestCloseConnections(): void {
    this.#manager?.requestCloseAll();
  }

  /** Aborts every open connection at once (requests in flight included) while the server keeps listening. */
  abortConnections(): void {
    this.#manager?.abortAll();
  }

  /** Binds every endpoint and starts accepting connections for `app`. Once only. */
  start(app: RequestDelegate): Promise<void> {
    if (this.#state !== ServerState.Created) return Promise.reject(new OptionsValidationError("The server has already been started", "Server"));
    this.#state = ServerState.Starting;
    this.#starting = this.#start(app);
    return this.#starting;
  }

  async #start(app: RequestDelegate): Promise<void> {
    const logger = this.#loggerFactory.createLogger("X.Server");
    const urls = this.#serverAddresses.addresses.slice();
    try {
      // Inside the try: invalid limits must leave the server Stopped, not
      // stuck in Starting with no connection manager for stop() to drain.
      const limits = freezeLimits(this.options.limits);
      this.#service = {
        limits,
        loggerFactory: this.#loggerFactory,
        clock: this.#clock,
        dateHeader: this.heartbeat.dateHeader,
        heartbeat: this.heartbeat,
        addServerHeader: this.options.addServerHeader,
        disableStringReuse: this.options.disableStringReuse,
        accessLog: this.options.accessLog,
        upgradedConnections: createResourceCounter(limits.maxConcurrentUpgradedConnections),
      };
      this.#manager = new ConnectionManager(limits.maxConcurrentConnections);
      this.#app = app;
      const endpoints = resolveListenOptions(this.options, urls, this.#serverAddresses.preferHostingUrls, logger);
      for (const lo of endpoints) this.#pipelines.set(lo, this.#buildPipeline(lo));
      this.#bound = await bindAll(endpoints, this.#bind, logger);
    } catch (error) {
      this.#state = ServerState.Stopped;
      this.#endEndpointLifetimes();
      throw error;
    }
    this.#publishAddresses();
    // stop() was called while binding: it waits for this and unbinds; do not come back to life.
    if (this.#state !== ServerState.Starting) return;
    if (this.#startTimer) this.heartbeat.start();
    this.#state = ServerState.Started;
  }

  /**
   * Stops gracefully: stop accepting, close idle keep-alive connections at
   * once, let in-flight requests finish for up to `timeoutMs`, then abort the rest.
   */
  stop(timeoutMs = DEFAULT_SHUTDOWN_TIMEOUT_MS): Promise<void> {
    // Kestrel's StopAsync: a call while a stop is under way waits for that stop.
    if (this.#stopping !== null) return this.#stopping;
    if (this.#state !== ServerState.Started && this.#state !== ServerState.Starting) return Promise.resolve();
    this.#stopping = this.#stop(timeoutMs);
    return this.#stopping;
  }

  async #stop(timeoutMs: number): Promise<void> {
    this.#state = ServerState.Stopping;
    const logger = this.#loggerFactory.createLogger("X.Server");
    // A stop during start (or a rebind) waits for the binding to finish, so nothing stays bound.
    await this.#starting?.catch(() => {});
    await this.#rebinding;
    await Promise.allSettled(this.#bound.map((b) => b.unbind()));
    const manager = this.#manager;
    if (manager === null) {
      this.#endEndpointLifetimes();
      this.#state = ServerState.Stopped;
      return;
    }
    manager.requestCloseAll();
    if (!(await manager.waitForDrain(timeoutMs))) {
      logger.warn({ connections: manager.count }, "Some connections failed to close gracefully during server shutdown; aborting them");
      manager.abortAll();
      await manager.waitForDrain(1_000);
    }
    this.heartbeat.stop();
    this.#endEndpointLifetimes();
    this.#state = ServerState.Stopped;
  }

  /**
   * Changes the bound endpoints of a running server, as Kestrel does when its
   * configuration section changes: unbinds `remove` first (so an endpoint can
   * come back on the same port with new settings), binds `add`, and updates
   * `addresses`. Connections accepted by a removed endpoint are asked to close
   * once their request completes and are aborted after `timeoutMs`; the
   * other endpoints keep serving throughout. An endpoint that fails to bind
   * is logged and reported in the result; the others still bind.
   */
  rebind(remove: readonly ListenOptions[], add: readonly ListenOptions[], timeoutMs = DEFAULT_SHUTDOWN_TIMEOUT_MS): Promise<RebindFailure[]> {
    const previous = this.#rebinding ?? Promise.resolve();
    const run = previous.then(() => this.#rebind(remove, add, timeoutMs));
    this.#rebinding = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  async #rebind(remove: readonly ListenOptions[], add: readonly ListenOptions[], timeoutMs: number): Promise<RebindFailure[]> {
    if (this.#state !== ServerState.Started) throw new OptionsValidationError("Endpoints can only be rebound while the server is running", "Server");
    const logger = this.#loggerFactory.createLogger("X.Server");
    const removing = new Set(remove);
    const unbinding = this.#bound.filter((b) => removing.has(b.listenOptions));
    this.#bound = this.#bound.filter((b) => !removing.has(b.listenOptions));
    await Promise.allSettled(unbinding.map((b) => b.unbind()));
    const draining: ConnectionContext[] = [];
    for (const lo of remove) {
      this.#pipelines.delete(lo);
      this.#endpointLifetimes.get(lo)?.abort();
      this.#endpointLifetimes.delete(lo);
      for (const connection of this.#endpointConnections.get(lo) ?? []) {
        draining.push(connection);
        connection.requestClose();
      }
    }
    for (const b of unbinding) logger.info(`Stopped listening on ${b.url}`);
    const failures: RebindFailure[] = [];
    for (const lo of add) {
      this.#pipelines.set(lo, this.#buildPipeline(lo));
      try {
        const bound = await bindAll([lo], this.#bind, logger);
        this.#bound.push(...bound);
        for (const b of bound) logger.info(`Now listening on: ${b.url}`);
      } catch (error) {
        this.#pipelines.delete(lo);
        this.#endpointLifetimes.get(lo)?.abort();
        this.#endpointLifetimes.delete(lo);
        logger.error({ err: error }, `Unable to bind ${lo.toUrl()}: ${(error as Error).message}`);
        failures.push({ listenOptions: lo, error });
      }
    }
    this.#publishAddresses();
    if (draining.length > 0) this.#abortAfter(draining, timeoutMs);
    return failures;
  }

  /** Aborts the connections of removed endpoints that are still open after the timeout. */
  #abortAfter(connections: readonly ConnectionContext[], timeoutMs: number): void {
    const timer = setTimeout(() => {
      for (const connection of connections) if (!connection.rawTransport.destroyed) connection.abort();
    }, timeoutMs);
    timer.unref();
  }

  #publishAddresses(): void {
    const addresses = this.#serverAddresses.addresses;
    addresses.length = 0;
    for (const b of this.#bound) addresses.push(b.url);
  }

  #endEndpointLifetimes(): void {
    for (const lifetime of this.#endpointLifetimes.values()) lifetime.abort();
    this.#endpointLifetimes.clear();
  }

  // ---- connections ------------------------------------------------------------------

  #service: ServiceContext | null = null;
  #app: RequestDelegate | null = null;
  readonly #pipelines = new Map<ListenOptions, ConnectionDelegate>();

  /** Connection middleware of the endpoint, then the protocol handler. */
  #buildPipeline(lo: ListenOptions): ConnectionDelegate {
    const service = this.#service!;
    const app = this.#app!;
    const scheme = lo.scheme;
    const http1: ConnectionDelegate = (connection) => processHttp1Connection(connection, service, app, { scheme });
    const http2: ConnectionDelegate = (connection) => processHttp2Connection(connection, service, app, { scheme });
    const terminal = createProtocolSelector(
      lo.protocols,
      { http1, http2 },
      this.#loggerFactory.createLogger("X.Server.Connections"),
      service.limits.requestHeadersTimeout,
    );
    const lifetime = new AbortController();
    this.#endpointLifetimes.set(lo, lifetime);
    this.#endpointConnections.set(lo, new Set());
    const middleware = lo.buildMiddleware({
      createLogger: (category) => this.#loggerFactory.createLogger(category),
      heartbeat: this.heartbeat,
      signal: lifetime.signal,
    });
    return composeConnectionMiddleware(middleware, terminal);
  }

  #onConnectionFor(lo: ListenOptions): (connection: ConnectionContext) => void {
    return (connection) => this.#onConnection(lo, connection);
  }

  #onConnection(lo: ListenOptions, connection: ConnectionContext): void {
    const manager = this.#manager;
    const pipeline = this.#pipelines.get(lo);
    if (manager === null || pipeline === undefined || this.#state >= ServerState.Stopping) {
      connection.abort();
      return;
    }
    if (!manager.tryAdd(connection)) {
      // maxConcurrentConnections: Kestrel closes the new connection at once.
      this.#loggerFactory.createLogger("X.Server.Connections").debug({ connectionId: connection.id }, "Connection rejected: maxConcurrentConnections reached");
      connection.abort();
      return;
    }
    const open = this.#endpointConnections.get(lo);
    open?.add(connection);
    if (manager.isCapped) {
      connection.features.set(DecrementConcurrentConnectionCountFeature, { releaseConnection: () => manager.releaseSlot(connection) });
    }
    let done: Promise<void>;
    try {
      done = pipeline(connection);
    } catch (error) {
      // Middleware that throws before returning a promise must still release its slot.
      done = Promise.reject(error);
    }
    // One closure for both outcomes: the pipeline resolves with nothing, so anything is a failure.
    const settle = (error?: unknown) => this.#onConnectionDone(connection, open, error);
    done.then(settle, settle);
  }

  #onConnectionDone(connection: ConnectionContext, open: Set<ConnectionContext> | undefined, error: unknown): void {
    open?.delete(connection);
    if (error !== undefined) {
      this.#loggerFactory.createLogger("X.Server.Connections").debug({ connectionId: connection.id, err: error }, "Connection pipeline failed");
    }
    if (!connection.rawTransport.destroyed) connection.abort();
    this.#manager?.remove(connection);
  }
}
