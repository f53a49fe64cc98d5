/**
 * Forwards requests to an out-of-process app over loopback HTTP/1.1: one
 * `LoopbackPool` per process (undici's for upgrades), both bodies streamed with
 * backpressure (the request body is pulled as the app reads it; each
 * response chunk is written only once the client's side has room), and
 * `requestTimeout` as the wait for the app's response (502.3 when it passes).
 * Upgrade requests (WebSockets) are tunnelled byte for byte.
 *
 * @module
 */
import type { Duplex } from "node:stream";
import { BadHttpRequestError, type HttpContext, HttpRequestBodyDetectionFeature, HttpUpgradeFeature, type Logger } from "@x/abstractions";
import { type Dispatcher, errors, Pool } from "undici";
import type { AppProcess } from "../process/app-process.js";
import { copyResponseHeaders, requestHeadersForApp, targetForApp } from "./forward-headers.js";
import { ForwardHandler, type ForwardOutcome } from "./forward-handler.js";
import { DEFAULT_PIPELINE, LoopbackPool, LoopbackTimeoutError, type PipelineOptions } from "./loopback-pool.js";

/** What a forward ended with, when it could not deliver the app's response. */
export type ForwardFailure = "timeout" | "unreachable";

/** Forwards requests (and upgrades) to app processes over loopback HTTP/1.1, with the pairing token and the `X-Forwarded-*` headers, within the request timeout. */
export class AppForwarder {
  /** Requests go through the lean loopback client; upgrades (rare) through undici's. */
  readonly #pools = new Map<AppProcess, LoopbackPool>();
  readonly #upgradePools = new Map<AppProcess, Pool>();
  readonly #tunnels = new Set<{ client: Duplex; app: Duplex }>();
  readonly #requestTimeoutMs: number;
  readonly #pipeline: PipelineOptions;
  readonly #logger: Logger;
  /** Once a second: request timeouts, and long-running requests start watching for the client going away. */
  readonly #heartbeat: NodeJS.Timeout;

  /**
   * `requestTimeoutMs` bounds each forwarded request (ANCM's `requestTimeout`);
   * `pipeline` says how safe, bodiless requests may share connections (see `LoopbackPool`).
   */
  constructor(requestTimeoutMs: number, logger: Logger, pipeline: PipelineOptions = DEFAULT_PIPELINE) {
    this.#requestTimeoutMs = requestTimeoutMs;
    this.#logger = logger;
    this.#pipeline = pipeline;
    // The pools already track what is in flight: a second set of every forward here made each
    // request's objects outlive young-generation collections (measured: ~2 MB promoted per scavenge).
    this.#heartbeat = setInterval(() => {
      const now = Date.now();
      for (const pool of this.#pools.values()) pool.tick(now);
    }, 1_000);
    this.#heartbeat.unref();
  }

  /** Open WebSocket (upgrade) tunnels. */
  get tunnelCount(): number {
    return this.#tunnels.size;
  }

  /**
   * Sends the request to `process` and writes its response. Returns null on
   * success, or why the app's response could not be delivered while the
   * client's response has not started (the caller answers 502.3).
   */
  async forward(context: HttpContext, process: AppProcess): Promise<ForwardFailure | null> {
    // Features are built on first use: look only when the request asks for an upgrade.
    if (context.request.headers.has("upgrade")) {
      const upgrade = context.features.get(HttpUpgradeFeature);
      if (upgrade?.isUpgradableRequest) return this.#tunnel(context, process, upgrade.upgrade.bind(upgrade));
    }
    const pool = this.#poolFor(process);
    const { request } = context;
    const canHaveBody = hasBody(context);
    const outcome = await new Promise<ForwardOutcome>((resolve) => {
      pool.dispatch(
        {
          method: request.method,
          path: targetForApp(context),
          headers: requestHeadersForApp(context, process.token),
          // Pulled as the socket to the app takes it: the client's body is read no faster than the app reads.
          body: canHaveBody ? request.body : null,
          hasContentLength: request.contentLength !== null && request.headers.has("content-length"),
        },
        new ForwardHandler(context, resolve),
      );
    });
    return outcome === null ? null : this.#failed(context, outcome.error);
  }

  /** Closes the pools of a process that is gone. */
  release(process: AppProcess): void {
    this.#pools.get(process)?.close();
    this.#pools.delete(process);
    const upgrades = this.#upgradePools.get(process);
    this.#upgradePools.delete(process);
    void upgrades?.destroy().catch(() => {});
  }

  /** Cuts every WebSocket tunnel (the app is going offline or the front stops). */
  closeTunnels(): void {
    for (const tunnel of this.#tunnels) {
      tunnel.client.destroy();
      tunnel.app.destroy();
    }
    this.#tunnels.clear();
  }

  /** Stops the client-abort watch, closes tunnels and every connection pool. */
  async close(): Promise<void> {
    clearInterval(this.#heartbeat);
    this.closeTunnels();
    for (const pool of this.#pools.values()) pool.close();
    this.#pools.clear();
    await Promise.allSettled([...this.#upgradePools.values()].map((p) => p.destroy()));
    this.#upgradePools.clear();
  }

  #poolFor(process: AppProcess): LoopbackPool {
    let pool = this.#pools.get(process);
    if (pool === undefined) {
      pool = new LoopbackPool(process.port, this.#requestTimeoutMs, this.#pipeline);
      this.#pools.set(process, pool);
    }
    return pool;
  }

  #upgradePoolFor(process: AppProcess): Pool {
    let pool = this.#upgradePools.get(process);
    if (pool === undefined) {
      pool = new Pool(`http://127.0.0.1:${process.port}`, {
        pipelining: 1,
        keepAliveTimeout: 60_000,
        keepAliveMaxTimeout: 120_000,
        // The front enforces its own limits; the app's responses may be of any size.
        maxResponseSize: -1,
      });
      this.#upgradePools.set(process, pool);
    }
    return pool;
  }

  #failed(context: HttpContext, error: unknown): ForwardFailure | null {
    if (context.requestAborted.aborted) return null;
    if (error instanceof BadHttpRequestError) {
      // The front's own limits rejected the client's body (413 over maxRequestBodySize, 408 too
      // slow, 400 bad framing): not the app's doing. Thrown on, the front's server answers it
      // with its status, as it does for a rejected request head.
      this.#logger.info({ path: context.request.path, status: error.statusCode, reason: error.reason }, `The front rejected the request body: ${error.message}`);
      throw error;
    }
    if (error instanceof LoopbackTimeoutError || error instanceof errors.HeadersTimeoutError || error instanceof errors.BodyTimeoutError) {
      this.#logger.warn({ path: context.request.path }, `The app did not respond within requestTimeout (${this.#requestTimeoutMs / 1000} s)`);
      return "timeout";
    }
    this.#logger.warn({ err: error, path: context.request.path }, "Forwarding the request to the app failed");
    return "unreachable";
  }

  async #tunnel(context: HttpContext, process: AppProcess, accept: () => Promise<Duplex>): Promise<ForwardFailure | null> {
    const pool = this.#upgradePoolFor(process);
    const protocol = context.request.headers.get("upgrade") ?? "websocket";
    let upgraded: Dispatcher.UpgradeData;
    try {
      upgraded = await pool.upgrade({
        method: context.request.method,
        path: targetForApp(context),
        headers: requestHeadersForApp(context, process.token),
        protocol,
        signal: context.requestAborted,
      });
    } catch (error) {
      return this.#failed(context, error);
    }
    const app = upgraded.socket as Duplex;
    copyResponseHeaders(upgraded.headers as Record<string, string | string[]>, context.response.headers, true);
    let client: Duplex;
    try {
      client = await accept();
    } catch (error) {
      app.destroy();
      this.#logger.debug({ err: error }, "The client's side of the upgrade failed");
      return null;
    }
    const tunnel = { client, app };
    this.#tunnels.add(tunnel);
    await new Promise<void>((resolve) => {
      let open = 2;
      const done = () => {
        if (--open > 0) return;
        resolve();
      };
      const close = () => {
        client.destroy();
        app.destroy();
      };
      client.on("error", close);
      app.on("error", close);
      client.once("close", () => {
        app.destroy();
        done();
      });
      app.once("close", () => {
        client.destroy();
        done();
      });
      client.pipe(app);
      app.pipe(client);
    });
    this.#tunnels.delete(tunnel);
    return null;
  }
}

/**
 * Whether the request has a body to forward. HTTP/1.x says so in its head
 * (Content-Length or Transfer-Encoding, RFC 9112 §6.3), without building the
 * feature collection; HTTP/2 asks the stream.
 */
function hasBody(context: HttpContext): boolean {
  const { request } = context;
  if (request.protocol !== "HTTP/2") return (request.contentLength !== null && request.contentLength > 0) || request.headers.has("transfer-encoding");
  return context.features.get(HttpRequestBodyDetectionFeature)?.canHaveBody ?? request.contentLength !== null;
}
