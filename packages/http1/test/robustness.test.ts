/**
 * Robustness properties over real sockets (undici `test/fuzzing/`): random and
 * mutated bytes get a well-formed answer or a silent close and never reach the
 * app malformed; any split of a pipelined stream parses identically; endless
 * heads and bodies do not grow memory; bad connections do not disturb good
 * ones. Every loop is bounded in runs and in time.
 */
import type { Socket } from "node:net";
import { HttpRequestTrailersFeature, type Logger, type LoggerFactory, nullLogger, type RequestDelegate } from "@x/abstractions";
import fc from "fast-check";
import { Pool } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { closeAllServers, deferred, lines, parseResponses, RawClient, rawRequest, startServer, type TestServer, waitUntil } from "./harness.js";

afterEach(closeAllServers);

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Records what escapes the handler: uncaught errors, unhandled rejections and error-level logs. */
function watchFailures(): { failures: unknown[]; loggerFactory: LoggerFactory; dispose(): void } {
  const failures: unknown[] = [];
  const onFailure = (error: unknown): void => {
    failures.push(error);
  };
  const record = (obj: object | string, msg?: string): void => {
    failures.push({ log: msg ?? obj, err: typeof obj === "object" ? (obj as { err?: unknown }).err : undefined });
  };
  const logger: Logger = { ...nullLogger, error: record, fatal: record, child: () => logger };
  process.on("uncaughtException", onFailure);
  process.on("unhandledRejection", onFailure);
  return {
    failures,
    loggerFactory: { createLogger: () => logger },
    dispose() {
      process.off("uncaughtException", onFailure);
      process.off("unhandledRejection", onFailure);
    },
  };
}

/** Waits until every connection the server accepted is closed and off the heartbeat (nothing leaks). */
async function waitForAllClosed(server: TestServer): Promise<void> {
  await waitUntil(() => server.heartbeat.handlers.size === 0 && server.connections.every((c) => (c.rawTransport as Socket).destroyed), "every connection to close");
}

/** A normal GET on a new connection is served: the server is still healthy. */
async function expectHealthy(server: TestServer): Promise<void> {
  const result = await rawRequest(server.port, lines("GET /health HTTP/1.1", "Host: a", "", ""), { responses: 1 });
  expect(result.responses[0]?.statusCode, result.text).toBe(200);
  expect(result.responses[0]!.body.toString()).toBe("ok");
}

// ---- 1. random bytes ----------------------------------------------------------------

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

const VALID_REQUESTS = [
  lines("GET /a?b=1 HTTP/1.1", "Host: a", "", ""),
  lines("POST /p HTTP/1.1", "Host: a", "Content-Length: 5", "", "hello"),
  lines("POST /c HTTP/1.1", "Host: a", "Transfer-Encoding: chunked", "", "5;ext=1", "hello", "3", "abc", "0", "X-T: v", "", ""),
  lines("GET / HTTP/1.0", "Connection: keep-alive", "", ""),
  lines("OPTIONS * HTTP/1.1", "Host: a", "", ""),
  lines("PUT /e HTTP/1.1", "Host: a", "Expect: 100-continue", "Content-Length: 3", "", "abc"),
  lines("GET http://h:8080/x HTTP/1.1", "Host: other", "", ""),
  lines("GET /ws HTTP/1.1", "Host: a", "Connection: Upgrade", "Upgrade: websocket", "", ""),
  lines("GET /%C3%A9/../x%2F HTTP/1.1", "Host: a", "Accept: */*", "", ""),
  lines("GET / HTTP/1.1", "Host: a", "", "") + lines("POST /p HTTP/1.1", "Host: a", "Content-Length: 2", "", "hi"),
];

const HUGE_NUMBERS = ["99999999999999999999", "18446744073709551617", "9007199254740993", "fffffffffffffffffff", "7fffffffffffffff", "0000000000000000000001", "-1", "1e9", "0x10"];

type Mutation =
  | { kind: "flip"; at: number; xor: number }
  | { kind: "truncate"; at: number }
  | { kind: "insert"; at: number; bytes: string }
  | { kind: "duplicateHeader"; at: number }
  | { kind: "hugeNumber"; at: number; value: string };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), bytes: fc.constantFrom("\r", "\n", "\0", " ", "\r\n", "\t", "\x7f", "\xff") }),
  fc.record({ kind: fc.constant("duplicateHeader" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("hugeNumber" as const), at: fc.nat(), value: fc.constantFrom(...HUGE_NUMBERS) }),
);

// Content-Length values and chunk-size lines.
const NUMBER_SITES = /(?<=Content-Length: ?)\d+|(?<=\r\n)[0-9A-Fa-f]+(?=[;\r])/g;

function mutate(request: string, mutations: Mutation[]): string {
  let s = request;
  for (const m of mutations) {
    switch (m.kind) {
      case "flip": {
        if (s.length === 0) break;
        const i = m.at % s.length;
        s = s.slice(0, i) + String.fromCharCode(s.charCodeAt(i) ^ m.xor) + s.slice(i + 1);
        break;
      }
      case "truncate":
        s = s.slice(0, m.at % (s.length + 1));
        break;
      case "insert": {
        const i = m.at % (s.length + 1);
        s = s.slice(0, i) + m.bytes + s.slice(i);
        break;
      }
      case "duplicateHeader": {
        const headEnd = s.indexOf("\r\n\r\n");
        const first = s.indexOf("\r\n");
        if (first === -1 || headEnd <= first) break;
        const headers = s.slice(first + 2, headEnd + 2).match(/[^\r\n]*\r\n/g) ?? [];
        if (headers.length === 0) break;
        const line = headers[m.at % headers.length]!;
        const at = s.indexOf(line, first + 2);
        s = s.slice(0, at) + line + s.slice(at);
        break;
      }
      case "hugeNumber": {
        const sites = [...s.matchAll(NUMBER_SITES)];
        if (sites.length === 0) break;
        const site = sites[m.at % sites.length]!;
        s = s.slice(0, site.index) + m.value + s.slice(site.index + site[0].length);
        break;
      }
    }
  }
  return s;
}

const latin1Bytes = (s: string): Uint8Array => Buffer.from(s, "latin1");

/** Pieces of HTTP syntax, so random ASCII often gets past the request line. */
const SYNTAX = ["GET", "POST", "OPTIONS", " ", "/", "*", "?", "%", "%00", "HTTP/1.1", "HTTP/1.0", "\r\n", "\r\n\r\n", "\n", "\r", ":", "Host", "a", "Content-Length", "Transfer-Encoding", "chunked", "0", "5", "ffffffff", ";", "=", '"', "\t", "\0"];

const pieceArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  // fully random bytes
  fc.uint8Array({ maxLength: 300 }),
  // random ASCII
  fc.uint8Array({ max: 0x7f, maxLength: 300 }),
  // random HTTP syntax soup
  fc.array(fc.oneof(fc.constantFrom(...SYNTAX), fc.string({ maxLength: 4 })), { maxLength: 40 }).map((parts) => latin1Bytes(parts.join(""))),
  // valid requests, mutated
  fc
    .tuple(fc.constantFrom(...VALID_REQUESTS), fc.array(mutationArb, { minLength: 1, maxLength: 3 }))
    .map(([request, mutations]) => latin1Bytes(mutate(request, mutations))),
  // an unmutated valid request, so later pieces hit a connection mid-keep-alive
  fc.constantFrom(...VALID_REQUESTS).map(latin1Bytes),
);

/** Splits `pieces` further at random points, so each piece may arrive in several reads. */
const inputArb = fc.tuple(fc.array(pieceArb, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 4 })).map(([pieces, cuts]) => {
  const writes: Uint8Array[] = [];
  for (const [i, piece] of pieces.entries()) {
    const cut = cuts.length > i && piece.length > 1 ? 1 + (cuts[i]! % (piece.length - 1)) : piece.length;
    writes.push(piece.subarray(0, cut));
    if (cut < piece.length) writes.push(piece.subarray(cut));
  }
  return writes;
});

interface Seen {
  method: string;
  rawTarget: string;
  path: string;
  protocol: string;
  headers: Array<[string, string]>;
}

function checkRequest(seen: Seen): string | null {
  if (!TOKEN.test(seen.method)) return `method is not a token: ${JSON.stringify(seen.method)}`;
  if (seen.protocol !== "HTTP/1.1" && seen.protocol !== "HTTP/1.0") return `bad protocol ${seen.protocol}`;
  for (const [name, value] of seen.headers) {
    // RFC 9110 §5.1, §5.5: names are tokens; values hold no CTL but HTAB.
    if (!TOKEN.test(name) || /[\0-\x08\n-\x1f\x7f]/.test(value)) return `bad header ${JSON.stringify([name, value])}`;
  }
  if (seen.path.startsWith("/")) return null;
  // RFC 9112 §3.2.4: asterisk-form (OPTIONS *) is the only origin-less target the app sees an empty path for.
  if (seen.path === "" && seen.method === "OPTIONS" && seen.rawTarget === "*") return null;
  return `bad path ${JSON.stringify(seen.path)} for target ${JSON.stringify(seen.rawTarget)}`;
}

describe("random and mutated bytes", () => {
  it("get a well-formed HTTP/1.1 answer or a silent close; the app sees only well-formed requests; the server stays healthy", async () => {
    const watch = watchFailures();
    const seen: Seen[] = [];
    const violations: string[] = [];
    const app: RequestDelegate = async (ctx) => {
      const { request } = ctx;
      const headers = [...request.headers].flatMap(([name, value]) => [value].flat().map((v): [string, string] => [name, v]));
      const s: Seen = { method: request.method, rawTarget: request.rawTarget, path: request.path, protocol: request.protocol, headers };
      seen.push(s);
      const problem = checkRequest(s);
      if (problem !== null) violations.push(problem);
      await request.body.buffer();
      // A 2xx to CONNECT would turn the connection into a tunnel; keep every answer framed.
      if (request.method === "CONNECT") ctx.response.statusCode = 405;
      await ctx.response.end("ok");
    };
    const server = await startServer(app, { loggerFactory: watch.loggerFactory });
    try {
      await fc.assert(
        fc.asyncProperty(inputArb, async (writes) => {
          seen.length = 0;
          const client = await RawClient.connect(server.port);
          try {
            for (const write of writes) {
              await client.write(write);
              await nextTurn();
            }
            client.end();
            // The client half-closed: whatever state the request was in, the server must finish and close.
            await client.waitForEnd(2_000);
            const bytes = client.received;
            if (bytes.length > 0) {
              expect(bytes.toString("latin1", 0, 13)).toMatch(/^HTTP\/1\.1 \d{3} /);
              const head = seen.flatMap((s, i) => (s.method === "HEAD" ? [i] : []));
              const { responses, rest } = parseResponses(bytes, { head, ended: true });
              expect(rest.length, `unparsed response bytes: ${JSON.stringify(rest.toString("latin1"))}`).toBe(0);
              for (const response of responses) expect(response.raw.toString("latin1", 0, 13)).toMatch(/^HTTP\/1\.1 \d{3} /);
              // One answer per request the app saw, plus at most one rejection.
              const finals = responses.filter((r) => r.statusCode >= 200).length;
              expect(finals).toBeGreaterThanOrEqual(seen.length);
              expect(finals).toBeLessThanOrEqual(seen.length + 1);
            } else {
              expect(seen).toHaveLength(0);
            }
          } finally {
            client.destroy();
          }
          expect(violations).toEqual([]);
          expect(watch.failures).toEqual([]);
          await expectHealthy(server);
        }),
        { numRuns: 150, interruptAfterTimeLimit: 12_000 },
      );
      await waitForAllClosed(server);
      expect(watch.failures).toEqual([]);
    } finally {
      watch.dispose();
    }
  });
});

// ---- 2. random splits of a valid pipelined stream ---------------------------------------

interface ValidRequest {
  kind: "get" | "length" | "chunked";
  path: string;
  body: Uint8Array;
  /** Chunk sizes to cut the body with (chunked only; cycled). */
  chunkSizes: number[];
  /** One extension per chunk (cycled). */
  extensions: string[];
  /** How chunk sizes are spelled: upper-case hex digits, and how many leading zeros. */
  upper: boolean;
  zeros: number;
  trailers: Array<[string, string]>;
}

const validRequestArb: fc.Arbitrary<ValidRequest> = fc.record({
  kind: fc.constantFrom("get" as const, "length" as const, "chunked" as const),
  path: fc.stringMatching(/^\/[a-z0-9]{0,8}$/),
  body: fc.uint8Array({ maxLength: 200 }),
  chunkSizes: fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 5 }),
  extensions: fc.array(fc.constantFrom("", ";a", ";a=b", ';name="q v"', " ; x = 1;y", ';q="\\"esc\\""'), { minLength: 1, maxLength: 3 }),
  upper: fc.boolean(),
  zeros: fc.integer({ min: 0, max: 3 }),
  trailers: fc.array(fc.tuple(fc.constantFrom("X-T1", "X-T2", "Checksum"), fc.stringMatching(/^[a-z0-9]{0,6}$/)), { maxLength: 2 }),
});

function encode(request: ValidRequest): Buffer {
  const { kind, path, body } = request;
  if (kind === "get") return Buffer.from(lines(`GET ${path} HTTP/1.1`, "Host: a", "", ""), "latin1");
  if (kind === "length") return Buffer.concat([Buffer.from(lines(`POST ${path} HTTP/1.1`, "Host: a", `Content-Length: ${body.length}`, "", ""), "latin1"), body]);
  const parts: Uint8Array[] = [Buffer.from(lines(`POST ${path} HTTP/1.1`, "Host: a", "Transfer-Encoding: chunked", "", ""), "latin1")];
  const size = (n: number): string => "0".repeat(request.zeros) + (request.upper ? n.toString(16).toUpperCase() : n.toString(16));
  let n = 0;
  for (let at = 0; at < body.length; n++) {
    const len = Math.min(request.chunkSizes[n % request.chunkSizes.length]!, body.length - at);
    parts.push(Buffer.from(`${size(len)}${request.extensions[n % request.extensions.length]}\r\n`, "latin1"), body.subarray(at, at + len), Buffer.from("\r\n"));
    at += len;
  }
  const trailers = request.trailers.map(([name, value]) => `${name}: ${value}\r\n`).join("");
  parts.push(Buffer.from(`${size(0)}${request.extensions[0]}\r\n${trailers}\r\n`, "latin1"));
  return Buffer.concat(parts);
}

/** What the app reports about each request, and the body it answers with. */
function describeRequest(method: string, path: string, body: Uint8Array, trailers: string): string {
  return `${method} ${path} ${Buffer.from(body).toString("hex")} ${trailers}`;
}

function expected(request: ValidRequest): string {
  const method = request.kind === "get" ? "GET" : "POST";
  const body = request.kind === "get" ? new Uint8Array(0) : request.body;
  // Trailers with the same name are joined; the app sees them only for chunked bodies.
  const trailers = new Map<string, string[]>();
  if (request.kind === "chunked") for (const [name, value] of request.trailers) trailers.set(name.toLowerCase(), [...(trailers.get(name.toLowerCase()) ?? []), value]);
  return describeRequest(method, request.path, body, [...trailers].map(([name, values]) => `${name}=${values.join(",")}`).join("&"));
}

describe("split pipelined requests", () => {
  it("parse identically however the byte stream is split", async () => {
    const watch = watchFailures();
    const seen: string[] = [];
    const server = await startServer(
      async (ctx) => {
        const body = await ctx.request.body.buffer();
        const feature = ctx.features.get(HttpRequestTrailersFeature);
        const trailers = feature?.available ? [...feature.trailers].map(([name, value]) => `${name}=${[value].flat().join(",")}`).join("&") : "";
        const line = describeRequest(ctx.request.method, ctx.request.path, body, trailers);
        seen.push(line);
        await ctx.response.end(line);
      },
      { loggerFactory: watch.loggerFactory },
    );

    /** Sends `writes` on a new connection, each read by the server before the next is sent; returns what the app saw and the response bodies. */
    async function send(writes: Buffer[]): Promise<{ seen: string[]; bodies: string[] }> {
      seen.length = 0;
      const index = server.connections.length;
      const client = await RawClient.connect(server.port);
      try {
        await server.waitForConnections(index + 1);
        const socket = server.connections[index]!.rawTransport as Socket;
        let sent = 0;
        for (const write of writes) {
          await client.write(write);
          sent += write.length;
          // Make the split real: the server reads this write before the next one is sent.
          const deadline = Date.now() + 2_000;
          while (socket.bytesRead < sent && !socket.destroyed && Date.now() < deadline) await nextTurn();
          await nextTurn();
        }
        client.end();
        await client.waitForEnd(2_000);
        const { responses, rest } = parseResponses(client.received, { ended: true });
        expect(rest.length).toBe(0);
        return { seen: [...seen], bodies: responses.map((r) => r.body.toString("latin1")) };
      } finally {
        client.destroy();
      }
    }

    const splitsArb = fc.oneof(
      { weight: 4, arbitrary: fc.array(fc.nat(), { maxLength: 24 }).map((cuts) => ({ cuts, every: 0 })) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 7 }).map((every) => ({ cuts: [] as number[], every })) },
    );

    try {
      await fc.assert(
        fc.asyncProperty(fc.array(validRequestArb, { minLength: 1, maxLength: 5 }), splitsArb, async (requests, splits) => {
          const stream = Buffer.concat(requests.map(encode));
          let cuts = [...new Set(splits.cuts.map((c) => 1 + (c % stream.length)))].filter((c) => c < stream.length).sort((a, b) => a - b);
          if (splits.every > 0) cuts = Array.from({ length: Math.min(Math.ceil(stream.length / splits.every), 400) - 1 }, (_, i) => (i + 1) * splits.every);
          const writes = [0, ...cuts].map((from, i) => stream.subarray(from, i < cuts.length ? cuts[i] : stream.length));

          const model = requests.map(expected);
          const whole = await send([stream]);
          expect(whole.seen).toEqual(model);
          expect(whole.bodies).toEqual(model);
          const split = await send(writes);
          expect(split.seen).toEqual(whole.seen);
          expect(split.bodies).toEqual(whole.bodies);
        }),
        { numRuns: 100, interruptAfterTimeLimit: 8_000 },
      );
      expect(watch.failures).toEqual([]);
    } finally {
      watch.dispose();
    }
  });
});

// ---- 3. memory stays bounded ------------------------------------------------------------

const MB = 1024 * 1024;

/**
 * Writes `block` repeatedly until `total` bytes are out, the socket closes, `deadline`
 * passes, or the server stops reading (no 'drain' for `stallMs`). Honours backpressure,
 * so the client never buffers more than one block itself.
 */
async function stream(client: RawClient, block: Buffer, total: number, deadline: number, stallMs = 500): Promise<{ written: number; stalled: boolean }> {
  const socket = client.socket;
  let written = 0;
  while (written < total && Date.now() < deadline && !socket.destroyed && !socket.writableEnded) {
    written += block.length;
    if (socket.write(block)) continue;
    const drained = await new Promise<boolean>((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        socket.off("drain", onDrain);
        socket.off("close", onClose);
        resolve(ok);
      };
      const onDrain = (): void => done(true);
      const onClose = (): void => done(true);
      const timer = setTimeout(() => done(false), Math.max(0, Math.min(stallMs, deadline - Date.now())));
      socket.on("drain", onDrain);
      socket.on("close", onClose);
    });
    if (!drained) return { written, stalled: true };
  }
  return { written, stalled: false };
}

describe("memory under endless input", () => {
  it("rejects endless head bytes and pushes back on an endless unread chunked body, with RSS growth bounded", async () => {
    const watch = watchFailures();
    const gate = deferred();
    let bodyRequests = 0;
    const server = await startServer(
      async (ctx) => {
        bodyRequests++;
        // Never reads the body: the server must stop reading instead of buffering it.
        await gate.promise;
        await ctx.response.end("late");
      },
      { loggerFactory: watch.loggerFactory },
    );
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sample = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    const clients: RawClient[] = [];
    try {
      // 50 MB of request-line bytes without a line end: 414 after maxRequestLineSize (8 KiB).
      const lineClient = await RawClient.connect(server.port);
      clients.push(lineClient);
      await lineClient.write("GET /");
      await stream(lineClient, Buffer.alloc(64 * 1024, "a"), 50 * MB, Date.now() + 3_000);
      await lineClient.waitForEnd();
      expect(parseResponses(lineClient.received, { ended: true }).responses.map((r) => r.statusCode)).toEqual([414]);

      // An endless header value: 431 after maxRequestHeadersTotalSize (32 KiB).
      const headerClient = await RawClient.connect(server.port);
      clients.push(headerClient);
      await headerClient.write(lines("GET / HTTP/1.1", "Host: a", "X-Endless: "));
      await stream(headerClient, Buffer.alloc(64 * 1024, "b"), 10 * MB, Date.now() + 3_000);
      await headerClient.waitForEnd();
      expect(parseResponses(headerClient.received, { ended: true }).responses.map((r) => r.statusCode)).toEqual([431]);

      // An endless chunked body of 1-byte chunks to an app that never reads it.
      const bodyClient = await RawClient.connect(server.port);
      clients.push(bodyClient);
      await bodyClient.write(lines("POST /upload HTTP/1.1", "Host: a", "Transfer-Encoding: chunked", "", ""));
      const tiny = Buffer.from("1\r\nx\r\n".repeat(10_000), "latin1");
      const result = await stream(bodyClient, tiny, 1024 * MB, Date.now() + 3_000);
      expect(bodyRequests).toBe(1);
      const serverSocket = server.connections[2]!.rawTransport as Socket;
      expect(result.stalled, `the client wrote ${result.written} bytes without backpressure`).toBe(true);
      expect(serverSocket.isPaused(), "the server paused reading").toBe(true);
      expect(bodyClient.socket.writableLength, "the client's write buffer grows").toBeGreaterThan(0);
      expect(bodyClient.ended).toBe(false);

      // 1-byte chunks behind 4 KB extensions: the body queue must not keep the socket reads alive.
      const extensionClient = await RawClient.connect(server.port);
      clients.push(extensionClient);
      await extensionClient.write(lines("POST /upload HTTP/1.1", "Host: a", "Transfer-Encoding: chunked", "", ""));
      const padded = Buffer.from(`1;e=${"a".repeat(4_000)}\r\nx\r\n`.repeat(16), "latin1");
      await stream(extensionClient, padded, 1024 * MB, Date.now() + 2_000);
      expect(bodyRequests).toBe(2);

      clearInterval(sample);
      peak = Math.max(peak, process.memoryUsage().rss);
      expect(peak - rssBefore, `RSS grew by ${((peak - rssBefore) / MB).toFixed(1)} MB`).toBeLessThan(100 * MB);
    } finally {
      clearInterval(sample);
      gate.resolve();
      for (const client of clients) client.destroy();
      watch.dispose();
    }
    expect(watch.failures).toEqual([]);
  });
});

// ---- 4. bad connections beside good ones ----------------------------------------------

const MALFORMED = [
  "GET / HTTP/1.1\nHost: a\n\n",
  lines("GET / HTTP/1.1", "Host : a", "", ""),
  lines("GET  / HTTP/1.1", "Host: a", "", ""),
  lines("GET / HTTP/1.1", "", ""),
  lines("POST / HTTP/1.1", "Host: a", "Content-Length: 5", "Transfer-Encoding: chunked", "", "0", "", ""),
  lines("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: chunked", "", "zz", "", ""),
  lines("GET / HTTP/1.1", "Host: a", "X: a\0b", "", ""),
  lines("GET / HTTP/9.9", "Host: a", "", ""),
  // A TLS ClientHello fragment, then a line end.
  `\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03${"\xaa".repeat(32)}\r\n`,
  lines(`GET /${"a".repeat(9_000)} HTTP/1.1`, "Host: a", "", ""),
];

describe("bad connections beside good ones", () => {
  it("200 malformed connections do not disturb 200 keep-alive requests from undici", async () => {
    const watch = watchFailures();
    const server = await startServer(
      async (ctx) => {
        await ctx.request.body.buffer();
        await ctx.response.end(`ok ${ctx.request.path}`);
      },
      { loggerFactory: watch.loggerFactory },
    );
    const pool = new Pool(server.url, { connections: 4, pipelining: 1 });
    try {
      const bad = Array.from({ length: 200 }, (_, i) => rawRequest(server.port, MALFORMED[i % MALFORMED.length]!));
      const good = Array.from({ length: 200 }, async (_, i) => {
        const res = await pool.request({ path: `/good/${i}`, method: "GET" });
        return { status: res.statusCode, body: await res.body.text() };
      });
      const [badResults, goodResults] = await Promise.all([Promise.all(bad), Promise.all(good)]);
      expect(goodResults).toEqual(Array.from({ length: 200 }, (_, i) => ({ status: 200, body: `ok /good/${i}` })));
      for (const result of badResults) {
        expect(result.closed, result.text).toBe(true);
        expect(result.responses, result.text).toHaveLength(1);
        expect(result.responses[0]!.statusCode).toBeGreaterThanOrEqual(400);
      }
      expect(watch.failures).toEqual([]);
    } finally {
      await pool.close();
      watch.dispose();
    }
  });
});
