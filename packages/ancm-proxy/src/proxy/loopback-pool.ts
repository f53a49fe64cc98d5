/**
 * A small HTTP/1.1 client for the one peer the front talks to: its own app
 * process on 127.0.0.1. It exists because a general-purpose client costs
 * about twice the CPU per request on this path, which is the out-of-process
 * front's hot path.
 *
 * Requests with a body, and unsafe methods, get a keep-alive connection of
 * their own, one request at a time. Safe, bodiless requests that arrive in
 * the same turn of the event loop are pipelined onto one connection
 * (RFC 9112 §9.3.2, up to `depth` of them) and their heads go out in one
 * write: the app then reads them in one go and answers them in one write,
 * so a loaded front and app make a few system calls per batch rather than
 * per request. Requests are only ever batched with others of the same turn,
 * never queued behind an older one; and when the first response of a batch
 * takes longer than `patienceMs` (and than 8 times the typical response, so
 * that load alone does not count as slowness), the requests behind it are
 * sent again on connections of their own (they are safe, hence idempotent,
 * RFC 9110 §9.2.2) so a slow response (a long poll, a stream) holds up no
 * one else for longer than that. The path of such a slow response is then
 * kept out of batches for a while (`SlowPaths`), so the same wait does not
 * come back with every batch.
 *
 * @module
 */
import { FORWARDING_PIPELINE_DEFAULTS, type ForwardingPipelineSettings } from "../settings/forwarding-pipeline.js";
import { type ConnectionOwner, LoopbackConnection } from "./loopback-connection.js";
import { Exchange, type LoopbackHandler, type LoopbackRequest, LoopbackTimeoutError } from "./loopback-exchange.js";
import { SlowPaths } from "./slow-paths.js";

export type { LoopbackController, LoopbackHandler, LoopbackRequest } from "./loopback-exchange.js";
export { LoopbackTimeoutError } from "./loopback-exchange.js";

/** Closes idle keep-alive connections after this long (the app's own keep-alive is 130 s). */
const IDLE_CLOSE_MS = 60_000;

/** How requests may share connections: `depth` (1 turns pipelining off) and `patienceMs`, as the settings give them. */
export type PipelineOptions = ForwardingPipelineSettings;

/** x-ancm's defaults (`forwardingPipelineDepth` 16, `forwardingPipelinePatience` 100 ms). */
/** A first response is moved past only when it has taken this many times the typical time (and the patience). */
const OUTLIER_FACTOR = 8;
/** Responses measured before a slow one may mark its path. */
const WARM_SAMPLES = 64;

export const DEFAULT_PIPELINE: PipelineOptions = FORWARDING_PIPELINE_DEFAULTS;

export class LoopbackPool implements ConnectionOwner {
  readonly port: number;
  readonly timeoutMs: number;
  readonly #pipeline: PipelineOptions;
  readonly #idle: LoopbackConnection[] = [];
  readonly #all = new Set<LoopbackConnection>();
  readonly #inFlight = new Set<Exchange>();
  /** The connection this turn's pipelinable requests join, until the end-of-turn flush. */
  #batch: LoopbackConnection | null = null;
  #toFlush: LoopbackConnection[] = [];
  #flushScheduled = false;
  /** Connections with requests waiting behind the first: watched for a slow first response. */
  readonly #pipelined = new Set<LoopbackConnection>();
  /**
   * A moving average of how long pipelinable responses take once first on
   * their connection. Under load every response takes longer; only one
   * well beyond the typical time (and the patience) is slow, else batching
   * would stop exactly when the CPU it saves is most needed.
   */
  #typicalMs = 0;
  /** Responses that went into `#typicalMs`, up to `WARM_SAMPLES`. */
  #samples = 0;
  /** Paths answered slowly of late: their requests are not batched. */
  readonly #slowPaths = new SlowPaths();
  #patienceTimer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(port: number, requestTimeoutMs: number, pipeline: PipelineOptions = DEFAULT_PIPELINE) {
    this.port = port;
    this.timeoutMs = requestTimeoutMs;
    this.#pipeline = pipeline;
  }

  now(): number {
    return Date.now();
  }

  /** Sends `request` to the app and reports its response to `handler`. */
  dispatch(request: LoopbackRequest, handler: LoopbackHandler): void {
    const exchange = new Exchange(request, handler, this.now() + this.timeoutMs);
    handler.onRequestStart?.(exchange, null);
    if (this.#closed) {
      exchange.fail(new Error("The connection pool to the app is closed"));
      return;
    }
    this.#inFlight.add(exchange);
    this.#assign(exchange);
  }

  #assign(exchange: Exchange): void {
    const batching =
      exchange.pipelinable &&
      !exchange.retried &&
      this.#pipeline.depth > 1 &&
      // The clock is read only when some path is marked.
      (this.#slowPaths.size === 0 || !this.#slowPaths.isSlow(exchange.request.path, this.now()));
    if (batching) {
      const batch = this.#batch;
      if (batch?.canPipeline(this.#pipeline.depth)) {
        batch.start(exchange);
        if (batch.depth === 2) this.#watch(batch);
        return;
      }
    }
    // An idle connection may since have closed, or become this turn's batch again: skip those.
    let connection = this.#idle.pop();
    while (connection !== undefined && (connection.isClosed || connection.depth > 0)) connection = this.#idle.pop();
    if (connection === undefined) {
      connection = new LoopbackConnection(this, this.port);
      this.#all.add(connection);
    }
    connection.start(exchange);
    if (batching) this.#batch = connection;
  }

  /** @internal */
  needsFlush(connection: LoopbackConnection): void {
    this.#toFlush.push(connection);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(flushPool, this);
  }

  /** @internal End of the turn: every queued head goes out, and the next request starts a new batch. */
  flush(): void {
    this.#flushScheduled = false;
    this.#batch = null;
    const connections = this.#toFlush;
    this.#toFlush = [];
    for (const connection of connections) connection.flush();
  }

  /** @internal A connection gave an exchange back: send it once more, alone. */
  redispatch(exchange: Exchange): void {
    exchange.retried = true;
    exchange.carrier = null;
    if (this.#closed) {
      exchange.fail(new Error("The connection pool to the app is closed"));
      this.#inFlight.delete(exchange);
      return;
    }
    this.#assign(exchange);
  }

  /** @internal How long the app took over a pipelinable response, for the typical time (samples capped at the patience). */
  answered(elapsedMs: number): void {
    const sample = Math.min(elapsedMs, this.#pipeline.patienceMs);
    this.#typicalMs += (sample - this.#typicalMs) / 16;
    if (this.#samples < WARM_SAMPLES) this.#samples++;
  }

  /** @internal The exchange ended (either way): out of the timeout sweep. */
  settled(exchange: Exchange): void {
    this.#inFlight.delete(exchange);
  }

  #watch(connection: LoopbackConnection): void {
    this.#pipelined.add(connection);
    if (this.#patienceTimer !== null) return;
    this.#patienceTimer = setInterval(checkPatience, Math.max(1, this.#pipeline.patienceMs / 2), this);
    this.#patienceTimer.unref();
  }

  /** @internal Moves the requests behind a first response slower than the patience to other connections. */
  checkPatience(now = this.now()): void {
    for (const connection of this.#pipelined) {
      if (connection.isClosed || connection.depth <= 1) this.#pipelined.delete(connection);
      else if (now - connection.headSince >= Math.max(this.#pipeline.patienceMs, OUTLIER_FACTOR * this.#typicalMs)) {
        this.#pipelined.delete(connection);
        if (this.#batch === connection) this.#batch = null;
        // Until the typical time is known (a burst of new connections at start), move but do not mark.
        const target = connection.firstTarget;
        if (target !== undefined && this.#samples >= WARM_SAMPLES) this.#slowPaths.mark(target, now);
        connection.retire();
      }
    }
    if (this.#pipelined.size === 0 && this.#patienceTimer !== null) {
      clearInterval(this.#patienceTimer);
      this.#patienceTimer = null;
    }
  }

  /**
   * Called once a second by the forwarder: fails exchanges whose app has
   * not answered (or sent body bytes) within requestTimeout, tells the
   * handlers of the others that they are still running (the first time),
   * and closes connections idle for a minute.
   */
  tick(now = this.now()): void {
    for (const exchange of this.#inFlight) {
      if (exchange.settled) continue;
      if (!exchange.paused && now >= exchange.deadline) {
        exchange.abort(new LoopbackTimeoutError(`The app did not respond within requestTimeout (${this.timeoutMs / 1000} s)`));
      } else if (!exchange.swept) {
        exchange.swept = true;
        exchange.handler.onStillRunning?.(exchange);
      }
    }
    for (let i = this.#idle.length - 1; i >= 0; i--) {
      const connection = this.#idle[i]!;
      if (now - connection.idleSince >= IDLE_CLOSE_MS) {
        this.#idle.splice(i, 1);
        connection.close();
      }
    }
  }

  /** @internal A connection answered everything sent on it and may carry more. */
  release(connection: LoopbackConnection): void {
    if (this.#closed) {
      connection.close();
      return;
    }
    connection.idleSince = this.now();
    this.#idle.push(connection);
  }

  /** @internal */
  forget(connection: LoopbackConnection): void {
    this.#all.delete(connection);
    this.#pipelined.delete(connection);
    if (this.#batch === connection) this.#batch = null;
  }

  /** Closes every connection; exchanges in flight fail. */
  close(): void {
    this.#closed = true;
    this.#idle.length = 0;
    this.#batch = null;
    if (this.#patienceTimer !== null) clearInterval(this.#patienceTimer);
    this.#patienceTimer = null;
    this.#pipelined.clear();
    for (const connection of [...this.#all]) connection.close();
    this.#all.clear();
    for (const exchange of this.#inFlight) exchange.fail(new Error("The connection pool to the app is closed"));
    this.#inFlight.clear();
  }
}

function flushPool(pool: LoopbackPool): void {
  pool.flush();
}

function checkPatience(pool: LoopbackPool): void {
  pool.checkPatience();
}
