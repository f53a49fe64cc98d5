import { type AddressInfo, createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type LoopbackController, LoopbackPool, LoopbackTimeoutError, type PipelineOptions } from "../../src/proxy/loopback-pool.js";
import { headerRecord } from "./header-record.js";

// ---------------------------------------------------------------------------
// The "app": a hand-written HTTP/1.1 responder on 127.0.0.1 that records what
// it receives, per connection and per `data` chunk, and answers in order.
// ---------------------------------------------------------------------------

interface AppRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  /** Index of the connection it arrived on (in `App.connections`). */
  readonly connection: number;
}

interface AppConnection {
  readonly id: number;
  readonly socket: Socket;
  /** Every `data` chunk, as received. */
  readonly chunks: Buffer[];
  readonly requests: AppRequest[];
  pending: Buffer;
  chain: Promise<void>;
  /** The app ended it (after `Connection: close`) or destroyed it. */
  done: boolean;
  /** The socket closed (either side). */
  closed: boolean;
}

interface AppOptions {
  /** Destroy the connection, without answering, once these requests arrived on it. */
  readonly drop?: (connection: AppConnection, requests: readonly AppRequest[]) => boolean;
  /** Write every response in pieces of this many bytes, a `setImmediate` apart. */
  readonly pieceSize?: number;
}

interface ParsedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  readonly length: number;
}

/** Parses one request (head and Content-Length or chunked body) at the start of `buf`; null when incomplete. */
function parseRequest(buf: Buffer): ParsedRequest | null {
  const headEnd = buf.indexOf("\r\n\r\n", 0, "latin1");
  if (headEnd === -1) return null;
  const lines = buf.toString("latin1", 0, headEnd).split("\r\n");
  const [method, path] = lines[0]!.split(" ") as [string, string];
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let pos = headEnd + 4;
  const contentLength = headers["content-length"];
  if (contentLength !== undefined) {
    const n = Number(contentLength);
    if (buf.length < pos + n) return null;
    return { method, path, headers, body: Buffer.from(buf.subarray(pos, pos + n)), length: pos + n };
  }
  if (headers["transfer-encoding"]?.toLowerCase() === "chunked") {
    const parts: Buffer[] = [];
    for (;;) {
      const lineEnd = buf.indexOf("\r\n", pos, "latin1");
      if (lineEnd === -1) return null;
      const size = Number.parseInt(buf.toString("latin1", pos, lineEnd), 16);
      pos = lineEnd + 2;
      if (size === 0) {
        // No trailers from this client: the last chunk is followed by an empty line.
        if (buf.length < pos + 2) return null;
        return { method, path, headers, body: Buffer.concat(parts), length: pos + 2 };
      }
      if (buf.length < pos + size + 2) return null;
      parts.push(Buffer.from(buf.subarray(pos, pos + size)));
      pos += size + 2;
    }
  }
  return { method, path, headers, body: Buffer.alloc(0), length: pos };
}

class App {
  readonly server: Server;
  readonly connections: AppConnection[] = [];
  readonly requests: AppRequest[] = [];
  readonly #options: AppOptions;
  readonly #timers = new Set<NodeJS.Timeout>();
  port = 0;

  constructor(options: AppOptions = {}) {
    this.#options = options;
    this.server = createServer((socket) => this.#onConnection(socket));
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const connection of this.connections) connection.socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** How many times `path` arrived, over all connections. */
  received(path: string): number {
    return this.requests.filter((r) => r.path === path).length;
  }

  /** The connections `path` arrived on, in order. */
  connectionsOf(path: string): number[] {
    return this.requests.filter((r) => r.path === path).map((r) => r.connection);
  }

  #onConnection(socket: Socket): void {
    socket.setNoDelay(true);
    const connection: AppConnection = {
      id: this.connections.length,
      socket,
      chunks: [],
      requests: [],
      pending: Buffer.alloc(0),
      chain: Promise.resolve(),
      done: false,
      closed: false,
    };
    this.connections.push(connection);
    socket.on("error", () => {});
    socket.on("close", () => {
      connection.closed = true;
    });
    socket.on("data", (chunk: Buffer) => {
      if (connection.done) return;
      connection.chunks.push(chunk);
      connection.pending = Buffer.concat([connection.pending, chunk]);
      const arrived: AppRequest[] = [];
      for (;;) {
        const parsed = parseRequest(connection.pending);
        if (parsed === null) break;
        connection.pending = connection.pending.subarray(parsed.length);
        const request: AppRequest = { method: parsed.method, path: parsed.path, headers: parsed.headers, body: parsed.body, connection: connection.id };
        connection.requests.push(request);
        this.requests.push(request);
        arrived.push(request);
      }
      if (arrived.length === 0) return;
      const drop = this.#options.drop ?? ((_c: AppConnection, requests: readonly AppRequest[]) => requests.some((r) => r.path === "/drop"));
      if (drop(connection, arrived)) {
        connection.done = true;
        socket.destroy();
        return;
      }
      for (const request of arrived) connection.chain = connection.chain.then(() => this.#respond(connection, request)).catch(() => {});
    });
  }

  #delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        resolve();
      }, ms);
      this.#timers.add(timer);
    });
  }

  async #write(connection: AppConnection, data: string | Buffer): Promise<void> {
    const bytes = typeof data === "string" ? Buffer.from(data, "latin1") : data;
    const step = this.#options.pieceSize;
    if (step === undefined) {
      if (!connection.done && !connection.socket.destroyed) connection.socket.write(bytes);
      return;
    }
    for (let i = 0; i < bytes.length; i += step) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (connection.done || connection.socket.destroyed) return;
      connection.socket.write(bytes.subarray(i, i + step));
    }
  }

  /** A response with a Content-Length body (none on the wire for HEAD). */
  async #fixed(connection: AppConnection, request: AppRequest, body: Buffer | string, extra = ""): Promise<void> {
    const bytes = typeof body === "string" ? Buffer.from(body, "latin1") : body;
    const head = `HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${bytes.length}\r\nx-path: ${request.path}\r\n${extra}\r\n`;
    await this.#write(connection, request.method === "HEAD" ? head : Buffer.concat([Buffer.from(head, "latin1"), bytes]));
  }

  async #respond(connection: AppConnection, request: AppRequest): Promise<void> {
    if (connection.done) return;
    const url = new URL(request.path, "http://app.invalid");
    const ms = Number(url.searchParams.get("ms") ?? "0");
    switch (url.pathname) {
      case "/never":
        // Never answers: everything after it on this connection waits forever too.
        return new Promise<void>(() => {});
      case "/slow":
        await this.#delay(ms);
        return this.#fixed(connection, request, request.path);
      case "/close":
        await this.#fixed(connection, request, request.path, "connection: close\r\n");
        connection.done = true;
        connection.socket.end();
        return;
      case "/stream": {
        await this.#write(connection, `HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nx-path: ${request.path}\r\n\r\n`);
        for (const piece of STREAM_PIECES) {
          if (ms > 0) await this.#delay(ms);
          await this.#write(connection, `${piece.length.toString(16)}\r\n${piece}\r\n`);
        }
        await this.#write(connection, "0\r\n\r\n");
        return;
      }
      case "/slowbody": {
        const body = Buffer.from("first-half|second-half", "latin1");
        await this.#write(connection, Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n`, "latin1"), body.subarray(0, 11)]));
        await this.#delay(ms);
        await this.#write(connection, body.subarray(11));
        return;
      }
      case "/partial":
        // The response begins, then the connection dies.
        await this.#write(connection, "HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial");
        await this.#delay(20);
        connection.done = true;
        connection.socket.destroy();
        return;
      case "/echo":
        return this.#fixed(connection, request, request.body);
      default:
        return this.#fixed(connection, request, request.path);
    }
  }
}

const STREAM_PIECES = ["alpha", "beta", "gamma", "delta", "epsilon"];

// ---------------------------------------------------------------------------
// The client side: dispatch and collect, checking the handler contract.
// ---------------------------------------------------------------------------

interface Outcome {
  status: number | null;
  headers: Record<string, string | string[]>;
  body: Buffer;
  error: Error | null;
  /** onResponseData calls. */
  dataCalls: number;
  stillRunning: number;
  /** performance.now() at the terminal callback. */
  endedAt: number;
}

interface Call {
  readonly controller: LoopbackController;
  readonly outcome: Outcome;
  readonly done: Promise<Outcome>;
}

interface CallOptions {
  /** Body parts (sent with content-length unless `chunked`). */
  readonly body?: readonly Buffer[];
  readonly chunked?: boolean;
  readonly onData?: (controller: LoopbackController, chunk: Buffer, final: boolean) => void;
}

/** Handler contract breaches seen in a test (checked after each test). */
const violations: string[] = [];
const apps: App[] = [];
const pools: LoopbackPool[] = [];

async function startApp(options: AppOptions = {}): Promise<App> {
  const app = new App(options);
  await app.listen();
  apps.push(app);
  return app;
}

function makePool(app: App, pipeline?: PipelineOptions, timeoutMs = 30_000): LoopbackPool {
  const pool = new LoopbackPool(app.port, timeoutMs, pipeline);
  pools.push(pool);
  return pool;
}

/** Long patience: nothing moves off a pipelined connection unless the test means it. */
const PATIENT: PipelineOptions = { depth: 16, patienceMs: 5_000 };

async function* bodyOf(parts: readonly Buffer[]): AsyncIterable<Buffer> {
  for (const part of parts) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    yield part;
  }
}

function call(pool: LoopbackPool, method: string, path: string, options: CallOptions = {}): Call {
  const label = `${method} ${path}`;
  const outcome: Outcome = { status: null, headers: {}, body: Buffer.alloc(0), error: null, dataCalls: 0, stillRunning: 0, endedAt: 0 };
  const chunks: Buffer[] = [];
  let terminals = 0;
  let controller: LoopbackController | null = null;
  let resolve!: (outcome: Outcome) => void;
  const done = new Promise<Outcome>((r) => {
    resolve = r;
  });
  const terminal = (what: string): boolean => {
    terminals++;
    if (terminals > 1) {
      violations.push(`${label}: a second terminal callback (${what})`);
      return false;
    }
    outcome.endedAt = performance.now();
    return true;
  };
  const headers = ["host", "127.0.0.1"];
  let body: AsyncIterable<Buffer> | null = null;
  if (options.body !== undefined) {
    if (options.chunked !== true) headers.push("content-length", String(options.body.reduce((n, b) => n + b.length, 0)));
    body = bodyOf(options.body);
  }
  pool.dispatch(
    { method, path, headers, body, hasContentLength: options.body !== undefined && options.chunked !== true },
    {
      onRequestStart(c) {
        controller = c;
      },
      onResponseStart(_c, status, responseHeaders) {
        if (terminals > 0) violations.push(`${label}: onResponseStart after the end`);
        if (outcome.status !== null) violations.push(`${label}: a second onResponseStart`);
        outcome.status = status;
        outcome.headers = headerRecord(responseHeaders);
      },
      onResponseData(c, chunk, final) {
        if (terminals > 0) violations.push(`${label}: onResponseData after the end`);
        if (outcome.status === null) violations.push(`${label}: onResponseData before onResponseStart`);
        outcome.dataCalls++;
        chunks.push(Buffer.from(chunk));
        options.onData?.(c, chunk, final);
      },
      onResponseEnd() {
        if (!terminal("onResponseEnd")) return;
        if (outcome.status === null) violations.push(`${label}: onResponseEnd without onResponseStart`);
        outcome.body = Buffer.concat(chunks);
        resolve(outcome);
      },
      onResponseError(_c, error) {
        if (!terminal(`onResponseError: ${error.message}`)) return;
        outcome.error = error;
        outcome.body = Buffer.concat(chunks);
        resolve(outcome);
      },
      onStillRunning() {
        outcome.stillRunning++;
      },
    },
  );
  if (controller === null) throw new Error("onRequestStart was not called synchronously");
  return { controller, outcome, done };
}

function get(pool: LoopbackPool, path: string, options: CallOptions = {}): Call {
  return call(pool, "GET", path, options);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitFor(condition: () => boolean, what: string, ms = 2_000): Promise<void> {
  const until = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Asserts a successful 200 whose body is `body`. */
function expectOk(outcome: Outcome, body: string): void {
  expect(outcome.error).toBeNull();
  expect(outcome.status).toBe(200);
  expect(outcome.body.toString("latin1")).toBe(body);
}

function headsIn(chunk: Buffer): number {
  return chunk.toString("latin1").split(" HTTP/1.1\r\n").length - 1;
}

afterEach(async () => {
  for (const pool of pools.splice(0)) pool.close();
  for (const app of apps.splice(0)) await app.close();
  const seen = violations.splice(0);
  expect(seen).toEqual([]);
});

// ---------------------------------------------------------------------------

describe("LoopbackPool", () => {
  it("pipelines GETs of one turn on one connection, their heads in one write, each getting its own response", async () => {
    const app = await startApp();
    const pool = makePool(app, PATIENT);
    const paths = Array.from({ length: 10 }, (_, i) => `/item/${i}?q=${i * 7}`);
    const calls = paths.map((path) => get(pool, path));
    const outcomes = await Promise.all(calls.map((c) => c.done));
    outcomes.forEach((outcome, i) => {
      expectOk(outcome, paths[i]!);
      expect(outcome.headers["x-path"]).toBe(paths[i]);
    });
    expect(app.connections).toHaveLength(1);
    const [connection] = app.connections;
    expect(connection!.requests.map((r) => r.path)).toEqual(paths);
    expect(connection!.chunks.length).toBeLessThan(10);
    expect(headsIn(connection!.chunks[0]!)).toBeGreaterThan(1);
  });

  it.each([
    { depth: 16, connections: 2, perConnection: [16, 4] },
    { depth: 1, connections: 20, perConnection: Array.from({ length: 20 }, () => 1) },
  ])("caps a batch at depth $depth: 20 GETs in one turn take $connections connection(s)", async ({ depth, connections, perConnection }) => {
    const app = await startApp();
    const pool = makePool(app, { depth, patienceMs: 5_000 });
    const paths = Array.from({ length: 20 }, (_, i) => `/n/${i}`);
    const outcomes = await Promise.all(paths.map((path) => get(pool, path).done));
    for (const [i, outcome] of outcomes.entries()) expectOk(outcome, paths[i]!);
    expect(app.connections).toHaveLength(connections);
    // (The app may accept the connections in any order.)
    expect(app.connections.map((c) => c.requests.length).sort((x, y) => y - x)).toEqual(perConnection);
    // Each connection got a run of consecutive requests, in order, and each request went out once.
    for (const connection of app.connections) {
      const first = paths.indexOf(connection.requests[0]!.path);
      expect(connection.requests.map((r) => r.path)).toEqual(paths.slice(first, first + connection.requests.length));
    }
    expect(app.requests).toHaveLength(paths.length);
  });

  it("reuses one keep-alive connection for GETs sent in different turns", async () => {
    const app = await startApp();
    const pool = makePool(app, PATIENT);
    for (let i = 0; i < 5; i++) {
      expectOk(await get(pool, `/serial/${i}`).done, `/serial/${i}`);
    }
    expect(app.connections).toHaveLength(1);
    expect(app.connections[0]!.requests.map((r) => r.path)).toEqual([0, 1, 2, 3, 4].map((i) => `/serial/${i}`));
  });

  it("gives POSTs (Content-Length and chunked) connections of their own, next to a batch of GETs", async () => {
    const app = await startApp();
    const pool = makePool(app, PATIENT);
    const fixedBody = [Buffer.from("hello "), Buffer.from([0, 1, 2, 255, 13, 10, 13, 10]), Buffer.from(" world")];
    const chunkedBody = [Buffer.from("chunk-one;"), Buffer.from("x".repeat(5000)), Buffer.from(";chunk-three")];
    const g1 = get(pool, "/g1");
    const p1 = call(pool, "POST", "/echo", { body: fixedBody });
    const p2 = call(pool, "POST", "/echo", { body: chunkedBody, chunked: true });
    const g2 = get(pool, "/g2");
    const [r1, rp1, rp2, r2] = await Promise.all([g1.done, p1.done, p2.done, g2.done]);
    expectOk(r1, "/g1");
    expectOk(r2, "/g2");
    expect(rp1.error).toBeNull();
    expect(rp1.body.equals(Buffer.concat(fixedBody))).toBe(true);
    expect(rp2.error).toBeNull();
    expect(rp2.body.equals(Buffer.concat(chunkedBody))).toBe(true);

    expect(app.connections).toHaveLength(3);
    const posts = app.requests.filter((r) => r.method === "POST");
    expect(posts).toHaveLength(2);
    const [fixedPost, chunkedPost] = [posts.find((r) => r.headers["content-length"] !== undefined)!, posts.find((r) => r.headers["content-length"] === undefined)!];
    expect(fixedPost.body.equals(Buffer.concat(fixedBody))).toBe(true);
    expect(fixedPost.headers["transfer-encoding"]).toBeUndefined();
    expect(chunkedPost.headers["transfer-encoding"]).toBe("chunked");
    expect(chunkedPost.body.equals(Buffer.concat(chunkedBody))).toBe(true);
    // Each POST alone on its connection; both GETs together on the third.
    for (const post of posts) expect(app.connections[post.connection]!.requests).toHaveLength(1);
    expect(app.connectionsOf("/g1")).toEqual(app.connectionsOf("/g2"));
    expect(app.connections[app.connectionsOf("/g1")[0]!]!.requests.map((r) => r.path)).toEqual(["/g1", "/g2"]);
  });

  it("reads no body for a HEAD pipelined between GETs", async () => {
    const app = await startApp();
    const pool = makePool(app, PATIENT);
    const calls = [get(pool, "/a"), call(pool, "HEAD", "/head"), get(pool, "/b"), call(pool, "HEAD", "/head"), get(pool, "/c")];
    const [a, head, b, head2, c] = await Promise.all(calls.map((x) => x.done));
    expectOk(a!, "/a");
    expectOk(b!, "/b");
    expectOk(c!, "/c");
    for (const h of [head!, head2!]) {
      expect(h.error).toBeNull();
      expect(h.status).toBe(200);
      expect(h.headers["content-length"]).toBe("5");
      expect(h.body).toHaveLength(0);
      expect(h.dataCalls).toBe(0);
    }
    expect(app.connections).toHaveLength(1);
    expect(app.connections[0]!.requests.map((r) => `${r.method} ${r.path}`)).toEqual(["GET /a", "HEAD /head", "GET /b", "HEAD /head", "GET /c"]);
  });

  it("moves the requests behind a slow first response to other connections after the patience", async () => {
    const app = await startApp();
    const pool = makePool(app, { depth: 16, patienceMs: 50 });
    const start = performance.now();
    const slow = get(pool, "/slow?ms=600");
    const a = get(pool, "/a");
    const b = get(pool, "/b");
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expectOk(ra, "/a");
    expectOk(rb, "/b");
    expect(ra.endedAt - start).toBeLessThan(300);
    expect(rb.endedAt - start).toBeLessThan(300);
    expect(slow.outcome.endedAt).toBe(0); // still waiting

    const rs = await slow.done;
    expectOk(rs, "/slow?ms=600");
    expect(rs.endedAt - start).toBeGreaterThanOrEqual(550);

    // All three went out together first; /a and /b were then sent again, elsewhere.
    expect(app.connections[0]!.requests.map((r) => r.path)).toEqual(["/slow?ms=600", "/a", "/b"]);
    for (const path of ["/a", "/b"]) {
      expect(app.received(path)).toBe(2);
      expect(app.connectionsOf(path)[1]).not.toBe(0);
    }
    expect(app.received("/slow?ms=600")).toBe(1);
    // The slow connection carries nothing more: it closes once its first response is done.
    await waitFor(() => app.connections[0]!.closed, "the slow connection to close");
  });

  /** 70 pipelined GETs, each answered after `ms`: the pool learns the typical response time. */
  async function warmUp(pool: LoopbackPool, ms: number): Promise<void> {
    const outcomes = await Promise.all(Array.from({ length: 70 }, (_, i) => get(pool, `/slow?ms=${ms}&warm=${i}`).done));
    for (const outcome of outcomes) expect(outcome.error).toBeNull();
  }

  it("keeps a path it had to move past out of batches for a while; other paths keep batching", async () => {
    const app = await startApp();
    const pool = makePool(app, { depth: 16, patienceMs: 50 });
    await warmUp(pool, 0);
    const first = [get(pool, "/slow?ms=300"), get(pool, "/a")];
    await Promise.all(first.map((c) => c.done));
    expect(app.received("/a")).toBe(2); // moved past /slow

    // /slow (any query) now goes alone; /c and /d still share a connection.
    const later = [get(pool, "/slow?ms=1&n=1"), get(pool, "/c"), get(pool, "/slow?ms=1&n=2"), get(pool, "/d")];
    for (const outcome of await Promise.all(later.map((c) => c.done))) expect(outcome.error).toBeNull();
    // (Connections are reused, so compare where each request went, not what else a connection once carried.)
    const [one] = app.connectionsOf("/slow?ms=1&n=1");
    const [two] = app.connectionsOf("/slow?ms=1&n=2");
    const [c] = app.connectionsOf("/c");
    expect(one).not.toBe(two);
    expect([one, two]).not.toContain(c);
    expect(app.connectionsOf("/d")).toEqual([c]);
  });

  it("moves past a slow first response before it knows the typical time, but does not mark its path yet", async () => {
    const app = await startApp();
    const pool = makePool(app, { depth: 16, patienceMs: 50 });
    await Promise.all([get(pool, "/slow?ms=300").done, get(pool, "/a").done]);
    expect(app.received("/a")).toBe(2);
    const again = [get(pool, "/slow?ms=1&n=1"), get(pool, "/b")];
    for (const outcome of await Promise.all(again.map((c) => c.done))) expect(outcome.error).toBeNull();
    expect(app.connectionsOf("/slow?ms=1&n=1")).toEqual(app.connectionsOf("/b"));
  });

  it("when every response is slow (load), moves past only one far slower than the typical time", async () => {
    const app = await startApp();
    const pool = makePool(app, { depth: 16, patienceMs: 50 });
    await warmUp(pool, 40); // typical ~40 ms: the bar is max(50, 8 x 40) ms
    const start = performance.now();
    const [slow, x] = [get(pool, "/slow?ms=200"), get(pool, "/x")];
    await Promise.all([slow.done, x.done]);
    expect(app.received("/x")).toBe(1); // waited behind /slow: 200 ms is not an outlier here
    expect(x.outcome.endedAt - start).toBeGreaterThanOrEqual(190);

    const start2 = performance.now();
    const [slower, y] = [get(pool, "/slow?ms=900"), get(pool, "/y")];
    const ry = await y.done;
    expectOk(ry, "/y");
    expect(app.received("/y")).toBe(2);
    expect(ry.endedAt - start2).toBeLessThan(700);
    await slower.done;
  });

  it("sends the rest of a batch again after `Connection: close` on its first response", async () => {
    const app = await startApp();
    const pool = makePool(app, PATIENT);
    const calls = [get(pool, "/close"), get(pool, "/b"), get(pool, "/c")];
    const [first, b, c] = await Promise.all(calls.map((x) => x.done));
    expectOk(first!, "/close");
    expect(first!.headers.connection).toBe("close");
    expectOk(b!, "/b");
    expectOk(c!, "/c");
    expect(app.connections[0]!.requests.map((r) => r.path)).toEqual(["/close", "/b", "/c"]);
    for (const path of ["/b", "/c"]) {
      expect(app.received(path)).toBe(2);
      expect(app.connectionsOf(path)[1]).not.toBe(0);
    }
    // And the pool goes on working.
    expectOk(await get(pool, "/after").done, "/after");
  });

  it("retries a batch once when the app drops the connection without answering", async () => {
    const app = await startApp({ drop: (connection) => connection.id === 0 });
    const pool = makePool(app, PATIENT);
    const paths = ["/a", "/b", "/c"];
    const outcomes = await Promise.all(paths.map((path) => get(pool, path).done));
    for (const [i, outcome] of outcomes.entries()) expectOk(outcome, paths[i]!);
    for (const path of paths) {
      expect(app.connectionsOf(path)[0]).toBe(0);
      expect(app.received(path)).toBe(2);
    }
  });

  it("fails a batch, without retrying it forever, when the app drops every connection", async () => {
    const app = await startApp({ drop: () => true });
    const pool = makePool(app, PATIENT);
    const paths = ["/a", "/b", "/c"];
    const outcomes = await Promise.all(paths.map((path) => get(pool, path).done));
    for (const outcome of outcomes) {
      expect(outcome.error).toBeInstanceOf(Error);
      expect(outcome.status).toBeNull();
    }
    await sleep(100);
    // Sent once, and once more: never a third time.
    for (const path of paths) expect(app.received(path)).toBe(2);
    expect(app.requests).toHaveLength(6);
  });

  it("fails a POST whose connection closes before the response, without sending it again", async () => {
    const app = await startApp();
    const pool = makePool(app, PATIENT);
    const post = call(pool, "POST", "/drop", { body: [Buffer.from("payload")] });
    const outcome = await post.done;
    expect(outcome.error).toBeInstanceOf(Error);
    expect(outcome.status).toBeNull();
    await sleep(100);
    expect(app.received("/drop")).toBe(1);
    expect(app.requests[0]!.body.toString()).toBe("payload");
    // The pool still works afterwards.
    expectOk(await get(pool, "/after").done, "/after");
  });

  it("aborts a request waiting behind others at once, drops its response later, and keeps the others whole", async () => {
    const app = await startApp();
    const pool = makePool(app, PATIENT);
    const first = get(pool, "/slow?ms=200");
    const second = get(pool, "/second");
    const third = get(pool, "/third");
    await waitFor(() => app.requests.length === 3, "the batch to reach the app");
    const reason = new Error("client went away");
    second.controller.abort(reason);
    // Told synchronously, not when its turn in the pipeline comes.
    expect(second.outcome.error).toBe(reason);
    expect(first.outcome.endedAt).toBe(0);

    const [r1, r2, r3] = await Promise.all([first.done, second.done, third.done]);
    expectOk(r1, "/slow?ms=200");
    expect(r2.error).toBe(reason);
    expect(r2.status).toBeNull();
    expect(r2.dataCalls).toBe(0);
    expectOk(r3, "/third");
    expect(r3.headers["x-path"]).toBe("/third");
    // Nothing was sent again, all on the one connection.
    expect(app.connections).toHaveLength(1);
    expect(app.received("/second")).toBe(1);
    expect(app.received("/third")).toBe(1);
    // The connection is in step for more.
    expectOk(await get(pool, "/after").done, "/after");
    expect(app.connections).toHaveLength(1);
  });

  it("destroys the connection when the request being answered is aborted, and sends the others again", async () => {
    const app = await startApp();
    const pool = makePool(app, PATIENT);
    const reason = new Error("client went away mid-body");
    const start = performance.now();
    let aborted = false;
    const first = get(pool, "/slowbody?ms=300", {
      onData: (controller) => {
        if (aborted) return;
        aborted = true;
        controller.abort(reason);
      },
    });
    const b = get(pool, "/b");
    const c = get(pool, "/c");
    const [r1, rb, rc] = await Promise.all([first.done, b.done, c.done]);
    expect(r1.error).toBe(reason);
    expect(r1.status).toBe(200);
    expect(r1.body.toString()).toBe("first-half|");
    expectOk(rb, "/b");
    expectOk(rc, "/c");
    // Sent again at once, not after the aborted response's 300 ms pause.
    expect(rb.endedAt - start).toBeLessThan(250);
    expect(rc.endedAt - start).toBeLessThan(250);
    for (const path of ["/b", "/c"]) {
      expect(app.connectionsOf(path)[0]).toBe(0);
      expect(app.received(path)).toBe(2);
    }
    await waitFor(() => app.connections[0]!.closed, "the aborted connection to close");
  });

  it("times out a request the app does not answer, and reports one still running once", async () => {
    const app = await startApp();
    const timeoutMs = 1_000;
    const pool = makePool(app, PATIENT, timeoutMs);
    const never = get(pool, "/never");
    await waitFor(() => app.received("/never") === 1, "/never to reach the app");
    pool.tick(Date.now() + timeoutMs + 1);
    const r = await never.done;
    expect(r.error).toBeInstanceOf(LoopbackTimeoutError);
    expect((r.error as LoopbackTimeoutError).code).toBe("ERR_X_ANCM_REQUEST_TIMEOUT");
    expect(r.stillRunning).toBe(0);

    const slow = get(pool, "/slow?ms=200");
    pool.tick();
    pool.tick();
    expect(slow.outcome.stillRunning).toBe(1);
    const rs = await slow.done;
    expectOk(rs, "/slow?ms=200");
    expect(rs.stillRunning).toBe(1);
    // A request that has ended is not swept again.
    pool.tick(Date.now() + timeoutMs + 1);
    expect(rs.error).toBeNull();
  });

  it("streams a chunked response with pause/resume, then the responses pipelined behind it", async () => {
    const app = await startApp();
    const pool = makePool(app, PATIENT);
    const pauseEachChunk = (counter: { pauses: number }) => (controller: LoopbackController) => {
      controller.pause();
      counter.pauses++;
      expect(controller.paused).toBe(true);
      setImmediate(() => controller.resume());
    };
    const streamPauses = { pauses: 0 };
    const fixedPauses = { pauses: 0 };
    const stream = get(pool, "/stream?ms=5", { onData: pauseEachChunk(streamPauses) });
    // Paused on its one, final, chunk: the response completes while paused, and the next must still be read.
    const fixed = get(pool, "/fixed", { onData: pauseEachChunk(fixedPauses) });
    // Answered a little later, so that its bytes come in a read of their own.
    const after = get(pool, "/slow?ms=30");
    const [rs, rf, ra] = await Promise.all([stream.done, fixed.done, after.done]);
    expectOk(rs, STREAM_PIECES.join(""));
    expect(rs.headers["transfer-encoding"]).toBe("chunked");
    expect(rs.dataCalls).toBeGreaterThan(1);
    expect(streamPauses.pauses).toBe(rs.dataCalls);
    expectOk(rf, "/fixed");
    expect(fixedPauses.pauses).toBe(1);
    expectOk(ra, "/slow?ms=30");
    expect(app.connections).toHaveLength(1);
  });

  it("fails every request in flight on close(), and any dispatched after", async () => {
    const app = await startApp();
    const pool = makePool(app, PATIENT);
    const calls = [get(pool, "/never"), get(pool, "/queued"), call(pool, "POST", "/never", { body: [Buffer.from("x")] })];
    await waitFor(() => app.requests.length === 3, "the requests to reach the app");
    // One more that is not even connected yet.
    const late = get(pool, "/late");
    pool.close();
    for (const c of [...calls, late]) expect(c.outcome.error).toBeInstanceOf(Error);
    const outcomes = await Promise.all([...calls, late].map((c) => c.done));
    for (const outcome of outcomes) expect(outcome.status).toBeNull();

    const afterClose = get(pool, "/after-close");
    expect(afterClose.outcome.error).toBeInstanceOf(Error);
    expect((await afterClose.done).error?.message).toMatch(/closed/);
    await sleep(50);
    expect(app.received("/after-close")).toBe(0);
    expect(app.received("/late")).toBe(0);
  });

  it.each([1, 7])("parses pipelined responses that arrive %i byte(s) per write", async (pieceSize) => {
    const app = await startApp({ pieceSize });
    const pool = makePool(app, PATIENT);
    const calls = [get(pool, "/stream"), get(pool, "/second"), call(pool, "HEAD", "/head"), get(pool, "/third")];
    const [rs, r2, rh, r3] = await Promise.all(calls.map((c) => c.done));
    expectOk(rs!, STREAM_PIECES.join(""));
    expectOk(r2!, "/second");
    expect(r2!.headers["x-path"]).toBe("/second");
    expect(rh!.error).toBeNull();
    expect(rh!.headers["content-length"]).toBe("5");
    expect(rh!.body).toHaveLength(0);
    expectOk(r3!, "/third");
    expect(app.connections).toHaveLength(1);
  });
  it("fails requests, without hanging, when the app is not listening", async () => {
    const app = await startApp();
    const port = app.port;
    await app.close();
    const pool = new LoopbackPool(port, 30_000, PATIENT);
    pools.push(pool);
    const calls = [get(pool, "/a"), get(pool, "/b"), call(pool, "POST", "/echo", { body: [Buffer.from("x")] })];
    const outcomes = await Promise.all(calls.map((c) => c.done));
    for (const outcome of outcomes) {
      expect(outcome.error).toBeInstanceOf(Error);
      expect((outcome.error as NodeJS.ErrnoException).code).toBe("ECONNREFUSED");
    }
  });

  it("handles an abort from inside the handler's last onResponseData of the first response", async () => {
    const app = await startApp();
    const pool = makePool(app, PATIENT);
    const reason = new Error("aborted on the last chunk");
    const first = get(pool, "/first", { onData: (controller, _chunk, final) => final && controller.abort(reason) });
    const second = get(pool, "/second");
    const [r1, r2] = await Promise.all([first.done, second.done]);
    expect(r1.error).toBe(reason);
    expect(r1.body.toString()).toBe("/first");
    expectOk(r2, "/second");
    expectOk(await get(pool, "/after").done, "/after");
  });
  it("fails a GET whose response began before the connection died, without sending it again", async () => {
    const app = await startApp();
    const pool = makePool(app, PATIENT);
    const partial = get(pool, "/partial");
    const next = get(pool, "/next");
    const [rp, rn] = await Promise.all([partial.done, next.done]);
    expect(rp.error).toBeInstanceOf(Error);
    expect(rp.status).toBe(200);
    expect(rp.body.toString()).toBe("partial");
    // The one behind it had not begun: it is sent again and answered.
    expectOk(rn, "/next");
    await sleep(50);
    expect(app.received("/partial")).toBe(1);
    expect(app.received("/next")).toBe(2);
  });
});
