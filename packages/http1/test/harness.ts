/**
 * Real-socket plumbing for the HTTP/1.1 integration tests: a server built
 * from a hand-made `ServiceContext` (manual heartbeat, injectable clock), a
 * raw byte client, and a parser for raw responses. Every wait is bounded so
 * a broken server fails a test instead of hanging it.
 *
 * @module
 */
import { connect as netConnect, type Socket } from "node:net";
import {
  type Clock,
  type ConnectionContext,
  createResourceCounter,
  freezeLimits,
  type HeartbeatHandler,
  ipEndPoint,
  type LoggerFactory,
  nullLoggerFactory,
  type RequestDelegate,
  ServerLimits,
  type ServiceContext,
  systemClock,
} from "@x/abstractions";
import { SocketTransportFactory } from "@x/transport-sockets";
import { processHttp1Connection } from "../src/index.js";

/** Upper bound of every wait in the suite. */
export const WAIT_MS = 3_000;

export type LimitOverrides = Partial<Omit<ServerLimits, "http2">>;

/** The server's one timer, ticked by hand: `tick()` calls every registered connection. */
export class TestHeartbeat {
  readonly handlers = new Set<HeartbeatHandler>();
  readonly #clock: Clock;
  readonly #atTicks: boolean;
  #lastTick: number;

  /** `atTicks`: `now` is the last tick's time, as the real heartbeat's is (it lags the clock by up to an interval). */
  constructor(clock: Clock, atTicks = false) {
    this.#clock = clock;
    this.#atTicks = atTicks;
    this.#lastTick = clock.now();
  }

  /** Live clock time (tests move the clock, then tick), or the last tick's with `atTicks`. */
  get now(): number {
    return this.#atTicks ? this.#lastTick : this.#clock.now();
  }

  add(handler: HeartbeatHandler): void {
    this.handlers.add(handler);
  }

  remove(handler: HeartbeatHandler): void {
    this.handlers.delete(handler);
  }

  tick(): void {
    const now = this.#clock.now();
    this.#lastTick = now;
    for (const handler of [...this.handlers]) handler.onHeartbeat(now);
  }
}

export interface TestServer {
  readonly port: number;
  readonly url: string;
  readonly heartbeat: TestHeartbeat;
  readonly clock: Clock;
  readonly service: ServiceContext;
  /** Accepted connections, in order. */
  readonly connections: ConnectionContext[];
  /** Resolves once `n` connections have been accepted. */
  waitForConnections(n: number): Promise<void>;
  /** Resolves once the server sockets have read `n` bytes in total. */
  waitForBytesRead(n: number): Promise<void>;
  close(): Promise<void>;
}

export interface StartOptions {
  limits?: LimitOverrides;
  clock?: Clock;
  loggerFactory?: LoggerFactory;
  /** The heartbeat's `now` is its last tick's time, as in production (see {@link TestHeartbeat}). */
  heartbeatAtTicks?: boolean;
}

const servers = new Set<TestServer>();

/** Binds 127.0.0.1:0 and serves every connection with `processHttp1Connection`. */
export async function startServer(app: RequestDelegate, opts: StartOptions = {}): Promise<TestServer> {
  const limits = freezeLimits(Object.assign(new ServerLimits(), opts.limits));
  const clock = opts.clock ?? systemClock;
  const heartbeat = new TestHeartbeat(clock, opts.heartbeatAtTicks === true);
  const service: ServiceContext = {
    limits,
    loggerFactory: opts.loggerFactory ?? nullLoggerFactory,
    clock,
    dateHeader: { value: new Date().toUTCString() },
    heartbeat,
    addServerHeader: true,
    upgradedConnections: createResourceCounter(limits.maxConcurrentUpgradedConnections),
  };
  const connections: ConnectionContext[] = [];
  const listener = await new SocketTransportFactory().bind(ipEndPoint("127.0.0.1", 0), (connection) => {
    connections.push(connection);
    return processHttp1Connection(connection, service, app);
  });
  const port = listener.endPoint.kind === "ip" ? listener.endPoint.port : 0;
  const server: TestServer = {
    port,
    url: `http://127.0.0.1:${port}`,
    heartbeat,
    clock,
    service,
    connections,
    waitForConnections: (n) => waitUntil(() => connections.length >= n, `${n} accepted connection(s)`),
    waitForBytesRead: async (n) => {
      await waitUntil(() => connections.reduce((sum, c) => sum + (c.rawTransport as Socket).bytesRead, 0) >= n, `${n} bytes read by the server`);
      // The 'data' handler runs right after the read; let it finish.
      await new Promise<void>((resolve) => setImmediate(resolve));
    },
    async close() {
      servers.delete(server);
      await listener.unbind();
      for (const connection of connections) connection.abort();
    },
  };
  servers.add(server);
  return server;
}

/** Closes every server a test left open (for `afterEach`). */
export async function closeAllServers(): Promise<void> {
  await Promise.all([...servers].map((s) => s.close()));
}

/** Polls `predicate` every few ms until it holds; throws after `timeoutMs`. */
export async function waitUntil(predicate: () => boolean, what: string, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(2);
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves with `promise`, or rejects after `timeoutMs`. */
export function within<T>(promise: Promise<T>, what: string, timeoutMs = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A promise with its resolve function, for gating apps from the test. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

// ---- raw client ---------------------------------------------------------------------

/** A client socket that records every byte the server sends. */
export class RawClient {
  readonly socket: Socket;
  #chunks: Buffer[] = [];
  #received: Buffer | null = Buffer.alloc(0);
  /** The server sent FIN (or the socket closed). */
  ended = false;
  closed = false;
  error: Error | null = null;
  readonly #listeners = new Set<() => void>();

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => {
      this.#chunks.push(chunk);
      this.#received = null;
      this.#notify();
    });
    socket.on("end", () => {
      this.ended = true;
      this.#notify();
    });
    socket.on("close", () => {
      this.ended = true;
      this.closed = true;
      this.#notify();
    });
    socket.on("error", (error) => {
      this.error = error;
    });
  }

  static async connect(port: number): Promise<RawClient> {
    const socket = netConnect({ host: "127.0.0.1", port, noDelay: true });
    await within(
      new Promise<void>((resolve, reject) => {
        socket.once("connect", resolve);
        socket.once("error", reject);
      }),
      "connect",
    );
    return new RawClient(socket);
  }

  get received(): Buffer {
    this.#received ??= Buffer.concat(this.#chunks);
    return this.#received;
  }

  get text(): string {
    return this.received.toString("latin1");
  }

  write(data: string | Uint8Array): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed || this.socket.writableEnded) {
        resolve();
        return;
      }
      this.socket.write(typeof data === "string" ? Buffer.from(data, "latin1") : data, () => resolve());
    });
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Waits until `predicate` holds; throws with what was received after `timeoutMs`. */
  waitFor(predicate: (client: RawClient) => boolean, what: string, timeoutMs = WAIT_MS): Promise<void> {
    if (predicate(this)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!predicate(this)) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}; received ${JSON.stringify(this.text)}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.#listeners.delete(check);
      };
      this.#listeners.add(check);
    });
  }

  /** Waits for `n` complete final responses (1xx are skipped) and returns them. */
  async responses(n: number, opts: ParseOptions = {}): Promise<ParsedResponse[]> {
    await this.waitFor((c) => finalResponses(parseResponses(c.received, { ...opts, ended: c.ended }).responses).length >= n, `${n} response(s)`);
    return finalResponses(parseResponses(this.received, { ...opts, ended: this.ended }).responses);
  }

  waitForEnd(timeoutMs = WAIT_MS): Promise<void> {
    return this.waitFor((c) => c.ended, "the server to close the connection", timeoutMs);
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}

export interface RawRequestOptions {
  /** Splits each piece into writes of at most this many bytes. */
  splitEvery?: number;
  /** Half-closes the client after the last write. */
  endAfterWrite?: boolean;
  /** Resolves as soon as this many final responses are complete, instead of waiting for the close. */
  responses?: number;
  /** Indexes of final responses that answer HEAD requests (they have no body). */
  head?: number[];
  timeoutMs?: number;
}

export interface RawResult {
  bytes: Buffer;
  text: string;
  /** Whether the server closed the connection before the wait ended. */
  closed: boolean;
  /** Final responses (1xx skipped). */
  responses: ParsedResponse[];
  /** Every response, 1xx included. */
  all: ParsedResponse[];
}

/**
 * Sends raw bytes and collects the response bytes until the server closes
 * (or `responses` responses are in, or the bounded timeout passes). An array
 * is sent as separate writes with an event-loop turn between them.
 */
export async function rawRequest(port: number, data: string | Uint8Array | Array<string | Uint8Array>, opts: RawRequestOptions = {}): Promise<RawResult> {
  const client = await RawClient.connect(port);
  try {
    const pieces = Array.isArray(data) ? data : [data];
    for (const piece of pieces) {
      const buf = typeof piece === "string" ? Buffer.from(piece, "latin1") : Buffer.from(piece);
      const step = Math.max(opts.splitEvery ?? buf.length, 1);
      let i = 0;
      do {
        await client.write(buf.subarray(i, i + step));
        await new Promise<void>((resolve) => setImmediate(resolve));
        i += step;
      } while (i < buf.length);
    }
    if (opts.endAfterWrite) client.end();
    const want = opts.responses;
    const done =
      want === undefined
        ? (c: RawClient) => c.ended
        : (c: RawClient) => c.ended || finalResponses(parseResponses(c.received, { head: opts.head, ended: c.ended }).responses).length >= want;
    await client.waitFor(done, "the response", opts.timeoutMs ?? WAIT_MS).catch(() => {});
    const all = parseResponses(client.received, { head: opts.head, ended: client.ended }).responses;
    return { bytes: client.received, text: client.text, closed: client.ended, responses: finalResponses(all), all };
  } finally {
    client.destroy();
  }
}

// ---- raw response parser ------------------------------------------------------------

export interface ParsedResponse {
  statusCode: number;
  reason: string;
  /** Lower-cased names; repeated fields joined with ", ". */
  headers: Record<string, string>;
  /** Header lines as received. */
  rawHeaders: Array<[string, string]>;
  body: Buffer;
  framing: "none" | "length" | "chunked" | "close";
  /** Sizes of the chunks, last chunk (0) included, for chunked bodies. */
  chunkSizes: number[];
  trailers: Record<string, string>;
  /** The response's bytes exactly as received. */
  raw: Buffer;
}

export interface ParseOptions {
  /** Indexes (among final responses) that answer HEAD. */
  head?: number[];
  /** Whether the stream has ended (completes a close-delimited body). */
  ended?: boolean;
}

export function finalResponses(responses: ParsedResponse[]): ParsedResponse[] {
  return responses.filter((r) => r.statusCode >= 200);
}

/** Parses every complete response in `bytes`; stops at the first incomplete one. */
export function parseResponses(bytes: Buffer, opts: ParseOptions = {}): { responses: ParsedResponse[]; rest: Buffer } {
  const responses: ParsedResponse[] = [];
  let offset = 0;
  let finalIndex = 0;
  while (offset < bytes.length) {
    const headEnd = bytes.indexOf("\r\n\r\n", offset, "latin1");
    if (headEnd === -1) break;
    const lines = bytes.toString("latin1", offset, headEnd).split("\r\n");
    const m = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(lines[0]!);
    if (m === null) throw new Error(`not a status line: ${JSON.stringify(lines[0])}`);
    const statusCode = Number(m[1]);
    const rawHeaders: Array<[string, string]> = [];
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      const name = line.slice(0, colon);
      const value = line.slice(colon + 1).trim();
      rawHeaders.push([name, value]);
      const key = name.toLowerCase();
      headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
    }
    let pos = headEnd + 4;
    const isHead = statusCode >= 200 && (opts.head ?? []).includes(finalIndex);
    const body = parseBody(bytes, pos, statusCode, headers, isHead, opts.ended ?? false);
    if (body === null) break;
    pos = body.end;
    responses.push({
      statusCode,
      reason: m[2]!,
      headers,
      rawHeaders,
      body: body.body,
      framing: body.framing,
      chunkSizes: body.chunkSizes,
      trailers: body.trailers,
      raw: bytes.subarray(offset, pos),
    });
    if (statusCode >= 200) finalIndex++;
    offset = pos;
  }
  return { responses, rest: bytes.subarray(offset) };
}

interface BodyResult {
  body: Buffer;
  end: number;
  framing: ParsedResponse["framing"];
  chunkSizes: number[];
  trailers: Record<string, string>;
}

function parseBody(bytes: Buffer, start: number, status: number, headers: Record<string, string>, isHead: boolean, ended: boolean): BodyResult | null {
  const empty = { body: Buffer.alloc(0), chunkSizes: [], trailers: {} };
  // RFC 9112 §6.3: HEAD, 1xx, 204 and 304 responses end at the empty line.
  if (isHead || status < 200 || status === 204 || status === 304) return { ...empty, end: start, framing: "none" };
  const te = headers["transfer-encoding"];
  if (te !== undefined && /(?:^|,)\s*chunked\s*$/i.test(te)) {
    const chunks: Buffer[] = [];
    const chunkSizes: number[] = [];
    let pos = start;
    for (;;) {
      const lineEnd = bytes.indexOf("\r\n", pos, "latin1");
      if (lineEnd === -1) return null;
      const size = Number.parseInt(bytes.toString("latin1", pos, lineEnd).split(";")[0]!, 16);
      if (Number.isNaN(size)) throw new Error(`bad chunk size line at ${pos}`);
      chunkSizes.push(size);
      pos = lineEnd + 2;
      if (size === 0) break;
      if (bytes.length < pos + size + 2) return null;
      chunks.push(bytes.subarray(pos, pos + size));
      if (bytes.toString("latin1", pos + size, pos + size + 2) !== "\r\n") throw new Error("chunk data not followed by CRLF");
      pos += size + 2;
    }
    const trailers: Record<string, string> = {};
    for (;;) {
      const lineEnd = bytes.indexOf("\r\n", pos, "latin1");
      if (lineEnd === -1) return null;
      const line = bytes.toString("latin1", pos, lineEnd);
      pos = lineEnd + 2;
      if (line === "") break;
      const colon = line.indexOf(":");
      trailers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    return { body: Buffer.concat(chunks), end: pos, framing: "chunked", chunkSizes, trailers };
  }
  const cl = headers["content-length"];
  if (cl !== undefined) {
    const n = Number(cl);
    if (bytes.length < start + n) return null;
    return { ...empty, body: bytes.subarray(start, start + n), end: start + n, framing: "length" };
  }
  // RFC 9112 §6.3 rule 8: no framing, so the body runs until the connection closes.
  if (!ended) return null;
  return { ...empty, body: bytes.subarray(start), end: bytes.length, framing: "close" };
}

/** CRLF-joins request lines, Kestrel-test style: `lines("GET / HTTP/1.1", "Host: a", "", "")`. */
export function lines(...parts: string[]): string {
  return parts.join("\r\n");
}

/** What {@link echoApp} reports about a request. */
export interface Echo {
  method: string;
  host: string;
  path: string;
  query: string;
  protocol: string;
  body: string;
}

/** Reads the whole body and answers with what it saw, as JSON. */
export const echoApp: RequestDelegate = async (ctx) => {
  const { request } = ctx;
  const body = await request.body.text();
  const echo: Echo = { method: request.method, host: request.host, path: request.path, query: request.queryString, protocol: request.protocol, body };
  ctx.response.contentType = "application/json";
  await ctx.response.end(JSON.stringify(echo));
};
