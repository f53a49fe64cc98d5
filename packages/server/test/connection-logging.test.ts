import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { request as httpsRequest, type RequestOptions } from "node:https";
import type { Socket } from "node:net";
import { type ConnectionOptions, connect as tlsConnect, type TLSSocket } from "node:tls";
import type { ConnectionMiddleware, Logger, LoggerFactory, LogLevel, RequestDelegate } from "@x/abstractions";
import { TlsHandshakeFeature } from "@x/https-sni";
import { type TestPki, testPki } from "@x/test-pki";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { Server } from "../src/index.js";
import { CapturingLoggerFactory, closed, get, type LogEntry, portOf, readResponse, readToClose, Resources, within } from "./helpers.js";

const res = new Resources();
afterEach(() => res.cleanup());

let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
});

const CATEGORY = "X.Server.ConnectionLogging";
const MiB = 1024 * 1024;

/** A CapturingLoggerFactory whose `categories` have debug (and trace) off; everything is still captured. */
class LevelledLoggerFactory implements LoggerFactory {
  readonly capture = new CapturingLoggerFactory();
  readonly #debugOff: ReadonlySet<string>;

  constructor(debugOff: readonly string[]) {
    this.#debugOff = new Set(debugOff);
  }

  get entries(): LogEntry[] {
    return this.capture.entries;
  }

  createLogger(category: string): Logger {
    const inner = this.capture.createLogger(category);
    const off = this.#debugOff.has(category);
    const logger: Logger = { ...inner, isLevelEnabled: (level: LogLevel) => !off || (level !== "debug" && level !== "trace"), child: () => logger };
    return logger;
  }
}

interface Dumped {
  readonly direction: string;
  readonly count: number;
  readonly connectionId: string;
  readonly bytes: Buffer;
  readonly entry: LogEntry;
}

const HEX_LINE = /^(?:[0-9A-F]{2} )+ *$/;

/** The text column of a hex dump line: printable ASCII as is, anything else as '.'. */
function printable(bytes: Buffer): string {
  return bytes.toString("latin1").replace(/[^\x20-\x7e]/g, ".");
}

/** Parses `Read[n]\n<hex dump>` back into the bytes, checking the header, the fields and the dump agree. */
function undump(entry: LogEntry): Dumped {
  const [header, ...lines] = entry.message.split("\n");
  const m = /^(Read|Write)\[(\d+)\]$/.exec(header ?? "");
  if (m === null) throw new Error(`not a connection logging message: ${entry.message.slice(0, 80)}`);
  const count = Number(m[2]);
  const chunks: Buffer[] = [];
  for (const [i, line] of lines.entries()) {
    // 16 × "XX " padded to 48 columns, a space, then the same bytes as text ('.' for unprintable ones).
    const hex = line.slice(0, 48);
    const bytes = Buffer.from(hex.replaceAll(" ", ""), "hex");
    const full = i < lines.length - 1;
    if (!HEX_LINE.test(hex) || line[48] !== " " || (full && bytes.length !== 16) || line.slice(49) !== printable(bytes)) {
      throw new Error(`malformed hex dump line: ${JSON.stringify(line)}`);
    }
    chunks.push(bytes);
  }
  const bytes = Buffer.concat(chunks);
  const fields = entry.fields as { connectionId: string; direction: string; bytes: number };
  expect(fields).toEqual({ connectionId: expect.any(String), direction: m[1], bytes: count });
  expect(bytes.length).toBe(count);
  return { direction: m[1]!, count, connectionId: fields.connectionId, bytes, entry };
}

function dumps(entries: readonly LogEntry[], category: string, connectionId?: string): Dumped[] {
  return entries
    .filter((e) => e.category === category)
    .map((e) => {
      expect(e.level).toBe("debug");
      return undump(e);
    })
    .filter((d) => connectionId === undefined || d.connectionId === connectionId);
}

/** Everything logged in one direction, concatenated in log order. */
function stream(list: readonly Dumped[], direction: "Read" | "Write"): Buffer {
  return Buffer.concat(list.filter((d) => d.direction === direction).map((d) => d.bytes));
}

/** Polls `predicate` every 10 ms; fails naming `what` after `ms`. */
async function eventually(predicate: () => boolean, what: string, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Records each connection's id and the transport it sees at this point of the pipeline. */
function recorder(seen: { id: string; transport: unknown }[]): ConnectionMiddleware {
  return async (connection, next) => {
    seen.push({ id: connection.id, transport: connection.transport });
    await next(connection);
  };
}

/** Everything a socket receives, from now on. */
function collect(socket: Socket): Buffer[] {
  const chunks: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  return chunks;
}

/** Waits until the server has no connection left, then stops it within a bound. */
async function stopCleanly(server: Server): Promise<number> {
  await eventually(() => server.connectionCount === 0, "connectionCount reaching 0");
  const started = performance.now();
  await within(3_000, server.stop(2_000), "server.stop");
  expect(server.connectionCount).toBe(0);
  return performance.now() - started;
}

/** The app: `/big` answers 1 MiB of a known pattern, `/upload` answers the size and sha256 of the body, else `hello <path>`. */
const BIG = Buffer.alloc(MiB, "0123456789abcdef");
const app: RequestDelegate = async (ctx) => {
  if (ctx.request.path === "/big") {
    ctx.response.headers.set("content-length", BIG.length);
    for (let offset = 0; offset < BIG.length; offset += 64 * 1024) await ctx.response.write(BIG.subarray(offset, offset + 64 * 1024));
    await ctx.response.end();
    return;
  }
  if (ctx.request.path === "/upload") {
    const hash = createHash("sha256");
    let size = 0;
    for await (const chunk of ctx.request.body) {
      hash.update(chunk);
      size += chunk.length;
    }
    await ctx.response.end(`${size} ${hash.digest("hex")}`);
    return;
  }
  await ctx.response.end(`hello ${ctx.request.path}`);
};

function request(path: string, extra = ""): string {
  return `GET ${path} HTTP/1.1\r\nHost: test\r\n${extra}\r\n`;
}

/** One GET over node:https trusting the test CA, on a fresh connection. */
function httpsGet(port: number, path = "/"): Promise<{ status: number; body: string }> {
  const result = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const options: RequestOptions & ConnectionOptions = { host: "127.0.0.1", port, path, servername: "a.test", ca: pki.ca.cert, agent: false };
    const req = httpsRequest(options, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (c: Buffer) => chunks.push(c));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      response.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
  return within(5_000, result, `https GET ${path}`);
}

/** A TLS client connection trusting the test CA; resolves once the handshake is done. */
async function tlsClient(port: number, options: ConnectionOptions = {}): Promise<TLSSocket> {
  const socket = tlsConnect({ host: "127.0.0.1", port, servername: "a.test", ca: pki.ca.cert, ALPNProtocols: ["http/1.1"], ...options });
  // A reset after the handshake (the filter aborting) must not become an uncaught 'error'.
  socket.on("error", () => {});
  await within(5_000, once(socket, "secureConnect"), "TLS handshake");
  return socket;
}

describe("ListenOptions.useConnectionLogging", () => {
  it("logs every byte read and written on a plain endpoint as Read[n]/Write[n] hex dumps with connectionId, direction and bytes", async () => {
    const logs = new CapturingLoggerFactory();
    const seen: { id: string; transport: unknown }[] = [];
    const server = res.server(new Server(undefined, { loggerFactory: logs }));
    server.options.listen("127.0.0.1", 0, (lo) => lo.useConnectionLogging().use(recorder(seen)));
    await server.start(app);
    const port = portOf(server.addresses[0]!);

    const client = await res.connect({ host: "127.0.0.1", port });
    const received = collect(client);
    const sent = [request("/one"), request("/two", "X-Filler: abcdefghijklmnopqrstuvwxyz\r\n")];
    for (const text of sent) {
      client.write(text);
      const response = await readResponse(client);
      expect(response.status).toBe(200);
    }
    expect(seen).toHaveLength(1);
    const id = seen[0]!.id;
    const sentBytes = Buffer.from(sent.join(""), "latin1");
    const receivedBytes = () => Buffer.concat(received);
    // The last Write is logged before the socket write, the last Read before the parser sees it.
    await eventually(() => stream(dumps(logs.entries, CATEGORY), "Write").length === receivedBytes().length, "logging of all written bytes");

    const entries = dumps(logs.entries, CATEGORY);
    expect(entries.length).toBeGreaterThanOrEqual(4);
    expect(new Set(entries.map((d) => d.connectionId))).toEqual(new Set([id]));
    // The request line as the hex dump prints it: "GET " is 47 45 54 20.
    const firstRead = entries.find((d) => d.direction === "Read")!;
    expect(firstRead.entry.message).toMatch(/^Read\[\d+\]\n47 45 54 20 2F 6F 6E 65 /);
    expect(firstRead.entry.message.split("\n")[1]).toBe("47 45 54 20 2F 6F 6E 65 20 48 54 54 50 2F 31 2E  GET /one HTTP/1.");
    const firstWrite = entries.find((d) => d.direction === "Write")!;
    expect(firstWrite.bytes.toString("latin1")).toMatch(/^HTTP\/1\.1 200 /);
    expect(firstWrite.entry.message).toContain("48 54 54 50 2F 31 2E 31 20 32 30 30");
    // Byte for byte: the logged reads are what the client sent, the logged writes what it received.
    const reads = stream(entries, "Read");
    expect(reads.length).toBe(sentBytes.length);
    expect(entries.filter((d) => d.direction === "Read").reduce((n, d) => n + (d.entry.fields as { bytes: number }).bytes, 0)).toBe(sentBytes.length);
    expect(reads.equals(sentBytes)).toBe(true);
    expect(stream(entries, "Write").equals(receivedBytes())).toBe(true);
    expect(stream(entries, "Write").toString("latin1")).toContain("hello /two");
    // Other categories carry no hex dumps.
    expect(logs.entries.filter((e) => e.category !== CATEGORY && /^(Read|Write)\[/.test(e.message))).toEqual([]);

    client.end();
    await closed(client);
    await stopCleanly(server);
  });

  it("before useHttps logs TLS records, after it the decrypted HTTP, each under its own category", async () => {
    const logs = new CapturingLoggerFactory();
    const seen: { id: string; transport: unknown }[] = [];
    const server = res.server(new Server(undefined, { loggerFactory: logs }));
    server.options.listen("127.0.0.1", 0, (lo) => lo.useConnectionLogging("Raw").useHttps(pki.a).useConnectionLogging("Decrypted").use(recorder(seen)));
    await server.start(app);
    const port = portOf(server.addresses[0]!);

    const result = await httpsGet(port, "/secret-path");
    expect(result).toEqual({ status: 200, body: "hello /secret-path" });
    expect(seen).toHaveLength(1);
    const id = seen[0]!.id;
    await eventually(() => stream(dumps(logs.entries, "Decrypted"), "Write").toString("latin1").includes("hello /secret-path"), "decrypted response logged");

    const raw = dumps(logs.entries, "Raw");
    const decrypted = dumps(logs.entries, "Decrypted");
    expect(new Set([...raw, ...decrypted].map((d) => d.connectionId))).toEqual(new Set([id]));
    // Raw: the first read is the ClientHello record (content type 22 = handshake, version 3.x), the first write the ServerHello.
    const rawReads = stream(raw, "Read");
    const rawWrites = stream(raw, "Write");
    expect(rawReads[0]).toBe(0x16);
    expect(rawReads[1]).toBe(0x03);
    expect(raw.find((d) => d.direction === "Read")!.entry.message).toMatch(/^Read\[\d+\]\n16 03 /);
    expect(rawWrites[0]).toBe(0x16);
    // The plaintext never appears below TLS.
    for (const bytes of [rawReads, rawWrites]) {
      expect(bytes.includes("GET /")).toBe(false);
      expect(bytes.includes("secret-path")).toBe(false);
      expect(bytes.includes("HTTP/1.1")).toBe(false);
    }
    // Decrypted: the HTTP exchange, and nothing of TLS.
    const plainReads = stream(decrypted, "Read").toString("latin1");
    const plainWrites = stream(decrypted, "Write").toString("latin1");
    expect(plainReads).toMatch(/^GET \/secret-path HTTP\/1\.1\r\n/);
    expect(decrypted.find((d) => d.direction === "Read")!.entry.message).toMatch(/^Read\[\d+\]\n47 45 54 20 /);
    expect(plainWrites).toMatch(/^HTTP\/1\.1 200 /);
    expect(plainWrites).toContain("hello /secret-path");
    // Records carry framing and authentication tags: more bytes below TLS than above it, both ways.
    expect(rawReads.length).toBeGreaterThan(plainReads.length);
    expect(rawWrites.length).toBeGreaterThan(plainWrites.length);
    expect(logs.entries.filter((e) => e.category === CATEGORY)).toEqual([]);

    await stopCleanly(server);
  });

  it("with debug off for its category passes the transport on untouched, and requests still work", async () => {
    const logs = new LevelledLoggerFactory([CATEGORY]);
    const before: { id: string; transport: unknown }[] = [];
    const after: { id: string; transport: unknown }[] = [];
    const server = res.server(new Server(undefined, { loggerFactory: logs }));
    server.options.listen("127.0.0.1", 0, (lo) => lo.use(recorder(before)).useConnectionLogging().use(recorder(after)));
    // Control: a category with debug on wraps the transport.
    const wrappedBefore: { id: string; transport: unknown }[] = [];
    const wrappedAfter: { id: string; transport: unknown }[] = [];
    server.options.listen("127.0.0.1", 0, (lo) => lo.use(recorder(wrappedBefore)).useConnectionLogging("On").use(recorder(wrappedAfter)));
    await server.start(app);

    const client = res.client(server.addresses[0]!);
    for (const path of ["/a", "/b", "/c"]) expect(await get(client, path)).toMatchObject({ status: 200, body: `hello ${path}` });
    expect(before).toHaveLength(1);
    expect(after).toHaveLength(1);
    expect(after[0]!.id).toBe(before[0]!.id);
    expect(after[0]!.transport).toBe(before[0]!.transport);
    expect(logs.entries.filter((e) => e.category === CATEGORY)).toEqual([]);

    const control = res.client(server.addresses[1]!);
    expect(await get(control, "/d")).toMatchObject({ status: 200, body: "hello /d" });
    expect(wrappedAfter).toHaveLength(1);
    expect(wrappedAfter[0]!.transport).not.toBe(wrappedBefore[0]!.transport);
    expect(stream(dumps(logs.entries, "On"), "Read").toString("latin1")).toMatch(/^GET \/d HTTP\/1\.1\r\n/);

    await Promise.all([client.close(), control.close()]);
    await stopCleanly(server);
  });
});

describe("connection logging under load and odd closes", () => {
  /** One server with logging on a plain and a TLS endpoint (both placements). */
  async function loggingServer(): Promise<{ server: Server; logs: CapturingLoggerFactory; port: number; tlsPort: number }> {
    const logs = new CapturingLoggerFactory();
    const server = res.server(new Server(undefined, { loggerFactory: logs }));
    server.options.listen("127.0.0.1", 0, (lo) => lo.useConnectionLogging());
    server.options.listen("127.0.0.1", 0, (lo) => lo.useConnectionLogging("Raw").useHttps(pki.a).useConnectionLogging("Decrypted"));
    await server.start(app);
    return { server, logs, port: portOf(server.addresses[0]!), tlsPort: portOf(server.addresses[1]!) };
  }

  it("keeps a connection alive across several requests, plain and over TLS", async () => {
    const { server, logs, port, tlsPort } = await loggingServer();
    for (const socket of [await res.connect({ host: "127.0.0.1", port }), await tlsClient(tlsPort)]) {
      for (let i = 0; i < 5; i++) {
        socket.write(request(`/r${i}`));
        expect((await readResponse(socket)).body).toBe(`hello /r${i}`);
      }
      socket.end();
      await closed(socket);
    }
    const plain = dumps(logs.entries, CATEGORY);
    expect(new Set(plain.map((d) => d.connectionId)).size).toBe(1);
    expect(stream(plain, "Read").toString("latin1").match(/GET \/r\d HTTP\/1\.1/g)).toHaveLength(5);
    expect(stream(plain, "Write").toString("latin1").match(/HTTP\/1\.1 200 /g)).toHaveLength(5);
    const decrypted = dumps(logs.entries, "Decrypted");
    expect(new Set(decrypted.map((d) => d.connectionId)).size).toBe(1);
    expect(stream(decrypted, "Write").toString("latin1").match(/HTTP\/1\.1 200 /g)).toHaveLength(5);
    await stopCleanly(server);
  });

  it("moves a 1 MiB upload and a 1 MiB download through the logging streams without deadlock", async () => {
    const { server, logs, port, tlsPort } = await loggingServer();
    const upload = randomBytes(MiB);
    const expected = `${MiB} ${createHash("sha256").update(upload).digest("hex")}`;
    const head = `POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: ${MiB}\r\n\r\n`;

    for (const socket of [await res.connect({ host: "127.0.0.1", port }), await tlsClient(tlsPort)]) {
      // Upload: the whole body written at once, the server reads it through the logging stream(s).
      socket.write(head);
      socket.write(upload);
      expect((await readResponse(socket, 10_000)).body).toBe(expected);
      // Download: the client does not read for a while, so the server's writes back up through the logging stream.
      socket.pause();
      socket.write(request("/big"));
      await new Promise((resolve) => setTimeout(resolve, 300));
      const big = within(10_000, readBody(socket, BIG.length), "1 MiB download");
      expect((await big).equals(BIG)).toBe(true);
      socket.end();
      await closed(socket);
    }
    for (const category of [CATEGORY, "Raw", "Decrypted"]) {
      const list = dumps(logs.entries, category);
      const reads = stream(list, "Read");
      expect(reads.length).toBeGreaterThan(MiB);
      expect(stream(list, "Write").length).toBeGreaterThan(MiB);
      // Above TLS (and on the plain endpoint) the upload is logged byte for byte; below TLS it is encrypted.
      expect(reads.includes(upload)).toBe(category !== "Raw");
    }
    await stopCleanly(server);
  }, 30_000);

  it("answers a client that half-closes after its request, also with a 1 MiB response", async () => {
    const { server, port, tlsPort, logs } = await loggingServer();
    for (const path of ["/half", "/big"]) {
      const socket = await res.connect({ host: "127.0.0.1", port });
      socket.end(request(path));
      const answer = await readToClose(socket, 10_000);
      expect(answer).toMatch(/^HTTP\/1\.1 200 /);
      const length = path === "/big" ? BIG.length : "hello /half".length;
      expect(answer.length - (answer.indexOf("\r\n\r\n") + 4)).toBe(length);
    }
    // The same over TLS: the client sends close_notify and its FIN after the request.
    for (const path of ["/half", "/big"]) {
      const socket = await tlsClient(tlsPort);
      socket.end(request(path));
      const answer = await readToClose(socket, 10_000);
      expect(answer).toMatch(/^HTTP\/1\.1 200 /);
      const length = path === "/big" ? BIG.length : "hello /half".length;
      expect(answer.length - (answer.indexOf("\r\n\r\n") + 4)).toBe(length);
    }
    expect(stream(dumps(logs.entries, CATEGORY), "Write").toString("latin1")).toContain("hello /half");
    await stopCleanly(server);
  }, 30_000);

  it("keeps serving other connections when a client resets mid-request", async () => {
    const { server, port, tlsPort, logs } = await loggingServer();
    const errors: unknown[] = [];
    const onError = (error: unknown) => errors.push(error);
    process.on("uncaughtException", onError);
    process.on("unhandledRejection", onError);
    try {
      const survivor = await res.connect({ host: "127.0.0.1", port });
      survivor.write(request("/before"));
      expect((await readResponse(survivor)).body).toBe("hello /before");

      for (const target of ["plain head", "plain body", "tls body"]) {
        const raw = await res.connect({ host: "127.0.0.1", port: target.startsWith("tls") ? tlsPort : port });
        const victim = target.startsWith("tls") ? await tlsClient(tlsPort, { socket: raw }) : raw;
        if (target === "plain head") victim.write("GET /reset HTTP/1.1\r\nHost: te");
        else victim.write(`POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: ${MiB}\r\n\r\n${"x".repeat(100_000)}`);
        // Let the server read (and log) part of it, then reset.
        const logged = target.startsWith("tls") ? "Decrypted" : CATEGORY;
        const readsBefore = stream(dumps(logs.entries, logged), "Read").length;
        await eventually(() => stream(dumps(logs.entries, logged), "Read").length > readsBefore, `server reading the ${target}`);
        raw.resetAndDestroy();
        await Promise.all([closed(raw), closed(victim)]);
      }

      // The kept-alive connection and new ones are still served.
      survivor.write(request("/after"));
      expect((await readResponse(survivor)).body).toBe("hello /after");
      expect(await httpsGet(tlsPort, "/tls-after")).toEqual({ status: 200, body: "hello /tls-after" });
      await eventually(() => server.connectionCount === 1, "the reset connections being released");
      survivor.end();
      await closed(survivor);
      await stopCleanly(server);
      expect(errors).toEqual([]);
    } finally {
      process.off("uncaughtException", onError);
      process.off("unhandledRejection", onError);
    }
  }, 30_000);
});

/** Reads `length` bytes of body after a response head from a paused socket. */
function readBody(socket: Socket, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const end = buffer.indexOf("\r\n\r\n");
      if (end === -1 || buffer.length < end + 4 + length) return;
      socket.off("data", onData);
      socket.off("close", onClose);
      expect(buffer.subarray(0, 12).toString("latin1")).toBe("HTTP/1.1 200");
      resolve(buffer.subarray(end + 4, end + 4 + length));
    };
    const onClose = () => reject(new Error(`closed after ${buffer.length} bytes`));
    socket.on("data", onData);
    socket.once("close", onClose);
    socket.resume();
  });
}

describe("a TLS filter as connection middleware after useHttps", () => {
  const DENIED = new Set(["ECDHE-ECDSA-AES128-GCM-SHA256"]);

  /** Aborts connections whose negotiated cipher is denied, without calling next. */
  function cipherFilter(logger: Logger): ConnectionMiddleware {
    return async (connection, next) => {
      const tls = connection.features.get(TlsHandshakeFeature);
      if (tls === undefined || DENIED.has(tls.cipherName)) {
        logger.warn({ connectionId: connection.id, cipherName: tls?.cipherName, protocol: tls?.protocol }, `Connection rejected: cipher ${tls?.cipherName} is denied`);
        connection.abort();
        return;
      }
      await next(connection);
    };
  }

  it("closes a connection that negotiated a denied cipher without a response and serves the others", async () => {
    const logs = new CapturingLoggerFactory();
    const server = res.server(new Server(undefined, { loggerFactory: logs }));
    const filterLogger = logs.createLogger("Test.CipherFilter");
    const served: string[] = [];
    server.options.listen("127.0.0.1", 0, (lo) =>
      lo
        .useHttps(pki.a)
        .use(cipherFilter(filterLogger))
        .use(async (connection, next) => {
          served.push(connection.features.get(TlsHandshakeFeature)!.cipherName);
          await next(connection);
        }),
    );
    await server.start(app);
    const port = portOf(server.addresses[0]!);

    // A: TLS 1.2 offering only the denied cipher (the test certificates are EC, so ECDHE-ECDSA). The server
    // aborts right after its side of the handshake, so the client may or may not see the handshake finish
    // (its last flight can be cut off), but it must never see a byte of HTTP.
    const a = tlsConnect({ host: "127.0.0.1", port, servername: "a.test", ca: pki.ca.cert, maxVersion: "TLSv1.2", ciphers: "ECDHE-ECDSA-AES128-GCM-SHA256" });
    const outcome = new Promise<{ cipher: string | null; received: number }>((resolve) => {
      let cipher: string | null = null;
      let received = 0;
      a.on("secureConnect", () => {
        cipher = a.getCipher().name;
        a.write(request("/denied"));
      });
      a.on("data", (chunk: Buffer) => {
        received += chunk.length;
      });
      a.on("error", () => {});
      a.on("close", () => resolve({ cipher, received }));
    });
    const denied = await within(5_000, outcome, "the denied connection closing");
    expect(denied.received).toBe(0);
    if (denied.cipher !== null) expect(denied.cipher).toBe("ECDHE-ECDSA-AES128-GCM-SHA256");

    // B: TLS 1.3, and TLS 1.2 with another ECDSA cipher: both served.
    const b = await tlsClient(port);
    expect(b.getProtocol()).toBe("TLSv1.3");
    b.write(request("/allowed"));
    expect((await readResponse(b)).body).toBe("hello /allowed");
    const c = await tlsClient(port, { maxVersion: "TLSv1.2", ciphers: "ECDHE-ECDSA-AES256-GCM-SHA384" });
    expect(c.getCipher().name).toBe("ECDHE-ECDSA-AES256-GCM-SHA384");
    c.write(request("/allowed-12"));
    expect((await readResponse(c)).body).toBe("hello /allowed-12");
    expect(served).toEqual([b.getCipher().name, "ECDHE-ECDSA-AES256-GCM-SHA384"]);

    const rejections = logs.entries.filter((e) => e.category === "Test.CipherFilter");
    expect(rejections).toHaveLength(1);
    expect(rejections[0]).toMatchObject({
      level: "warn",
      message: "Connection rejected: cipher ECDHE-ECDSA-AES128-GCM-SHA256 is denied",
      fields: { cipherName: "ECDHE-ECDSA-AES128-GCM-SHA256", protocol: "TLSv1.2", connectionId: expect.any(String) },
    });

    for (const socket of [b, c]) socket.end();
    await Promise.all([closed(b), closed(c)]);
    await stopCleanly(server);
  });
});

describe("stopping a server with connection logging", () => {
  it("closes idle kept-alive connections on both placements promptly and ends with no connections", async () => {
    const logs = new CapturingLoggerFactory();
    const server = res.server(new Server(undefined, { loggerFactory: logs }));
    server.options.listen("127.0.0.1", 0, (lo) => lo.useConnectionLogging());
    server.options.listen("127.0.0.1", 0, (lo) => lo.useConnectionLogging("Raw").useHttps(pki.a).useConnectionLogging("Decrypted"));
    await server.start(app);
    const plain = await res.connect({ host: "127.0.0.1", port: portOf(server.addresses[0]!) });
    const secure = await tlsClient(portOf(server.addresses[1]!));
    for (const socket of [plain, secure]) {
      socket.write(request("/idle"));
      expect((await readResponse(socket)).body).toBe("hello /idle");
    }
    expect(server.connectionCount).toBe(2);

    const started = performance.now();
    await within(3_000, server.stop(5_000), "server.stop");
    // Well under the 5 s shutdown timeout: the idle connections were closed, not waited out.
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(server.connectionCount).toBe(0);
    await Promise.all([closed(plain), closed(secure)]);
  });
});
