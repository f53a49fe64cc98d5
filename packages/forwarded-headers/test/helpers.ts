/**
 * Real-socket plumbing for the middleware tests: a `Server` running the
 * middleware in front of an app that echoes what it saw, undici and raw
 * clients, a capturing logger, and cleanup.
 *
 * @module
 */
import { once } from "node:events";
import { connect as netConnect, createServer, type Socket } from "node:net";
import { ApplicationBuilder, HttpConnectionFeature, type Logger, type LogLevel, type RequestDelegate } from "@x/abstractions";
import { Server } from "@x/server";
import { Client } from "undici";
import { type ForwardedHeadersOptions, forwardedHeaders } from "../src/index.js";

/** What the echo app saw. */
export interface Seen {
  readonly remoteAddress: string | null;
  readonly remotePort: number;
  readonly localPort: number;
  /** `HttpConnectionFeature`, which must agree with `context.connection`. */
  readonly featureRemoteAddress: string | null | undefined;
  readonly scheme: string;
  readonly host: string;
  readonly headers: Record<string, string | null>;
}

const HEADERS_OF_INTEREST = [
  "x-forwarded-for",
  "x-forwarded-proto",
  "x-forwarded-host",
  "x-original-for",
  "x-original-proto",
  "x-original-host",
  "x-client-ip",
  "x-client-ip-was",
];

/** Echoes the request as the app sees it after the middleware. */
export const echo: RequestDelegate = (ctx) => {
  const headers: Record<string, string | null> = {};
  for (const name of HEADERS_OF_INTEREST) headers[name] = ctx.request.headers.get(name) ?? null;
  const seen: Seen = {
    remoteAddress: ctx.connection.remoteAddress,
    remotePort: ctx.connection.remotePort,
    localPort: ctx.connection.localPort,
    featureRemoteAddress: ctx.features.get(HttpConnectionFeature)?.remoteAddress,
    scheme: ctx.request.scheme,
    host: ctx.request.host,
    headers,
  };
  ctx.response.contentType = "application/json";
  return ctx.response.end(JSON.stringify(seen));
};

export interface LogEntry {
  readonly level: LogLevel;
  readonly message: string;
}

/** A logger that keeps every entry. */
export function capturingLogger(): { logger: Logger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const log =
    (level: LogLevel) =>
    (a: string | object, b?: string): void => {
      entries.push({ level, message: typeof a === "string" ? a : (b ?? "") });
    };
  const logger: Logger = {
    trace: log("trace"),
    debug: log("debug"),
    info: log("info"),
    warn: log("warn"),
    error: log("error"),
    fatal: log("fatal"),
    isLevelEnabled: () => true,
    child: () => logger,
  };
  return { logger, entries };
}

/** True when the host can bind `address` (IPv6 may be disabled in containers). */
export async function canListen(address: string): Promise<boolean> {
  const server = createServer();
  try {
    server.listen({ host: address, port: 0 });
    await once(server, "listening");
    return true;
  } catch {
    return false;
  } finally {
    await new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  }
}

export interface Running {
  readonly server: Server;
  readonly port: number;
  /** `http://127.0.0.1:port` (or the given connect address). */
  readonly origin: string;
}

/** Starts, tracks and stops servers and clients. */
export class Harness {
  readonly #servers: Server[] = [];
  readonly #clients: Client[] = [];
  readonly #sockets: Socket[] = [];

  /**
   * A real server on `listenAddress` port 0 running the middleware, then the
   * echo app (or `app`). `connectAddress` is what clients dial.
   */
  async start(
    options: ForwardedHeadersOptions,
    { listenAddress = "127.0.0.1", connectAddress = listenAddress, logger, app = echo }: { listenAddress?: string; connectAddress?: string; logger?: Logger; app?: RequestDelegate } = {},
  ): Promise<Running> {
    const server = new Server();
    this.#servers.push(server);
    // A path means a Unix domain socket.
    if (listenAddress.startsWith("/")) server.options.listenUnixSocket(listenAddress);
    else server.options.listen(listenAddress, 0);
    const pipeline = new ApplicationBuilder().use(forwardedHeaders(options, logger)).run(app).build();
    await server.start(pipeline);
    if (listenAddress.startsWith("/")) return { server, port: 0, origin: "http://localhost" };
    const match = /:(\d+)$/.exec(server.addresses[0]!);
    if (match === null) throw new Error(`no port in ${server.addresses[0]}`);
    const port = Number(match[1]);
    const host = connectAddress.includes(":") ? `[${connectAddress}]` : connectAddress;
    return { server, port, origin: `http://${host}:${port}` };
  }

  client(origin: string, socketPath?: string): Client {
    const client = new Client(origin, socketPath === undefined ? {} : { socketPath });
    this.#clients.push(client);
    return client;
  }

  /** One GET through a fresh undici client; returns what the app saw. */
  async get(origin: string, headers: Record<string, string | string[]> = {}): Promise<Seen> {
    return getWith(this.client(origin), headers);
  }

  /** A raw TCP connection, for requests undici would not send as written. */
  async connect(host: string, port: number): Promise<Socket> {
    const socket = netConnect({ host, port });
    this.#sockets.push(socket);
    socket.on("error", () => {});
    await once(socket, "connect");
    return socket;
  }

  async cleanup(): Promise<void> {
    for (const socket of this.#sockets.splice(0)) socket.destroy();
    await Promise.allSettled(this.#clients.splice(0).map((c) => c.destroy()));
    await Promise.allSettled(this.#servers.splice(0).map((s) => s.stop(500)));
  }
}

/** One GET on an existing client. */
export async function getWith(client: Client, headers: Record<string, string | string[]> = {}): Promise<Seen> {
  const res = await client.request({ method: "GET", path: "/", headers });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}: ${text}`);
  return JSON.parse(text) as Seen;
}

/** Writes a raw request (latin1: one byte per char) and reads one Content-Length-framed response body as JSON. */
export async function rawRequest(socket: Socket, request: string): Promise<Seen> {
  const body = new Promise<string>((resolve, reject) => {
    let buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buffer = Buffer.concat([buffer, chunk]);
      const end = buffer.indexOf("\r\n\r\n");
      if (end === -1) return;
      const head = buffer.subarray(0, end).toString("latin1");
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? "0");
      if (buffer.length < end + 4 + length) return;
      socket.off("data", onData);
      const status = Number(head.split(" ")[1]);
      const text = buffer.subarray(end + 4, end + 4 + length).toString("utf8");
      if (status !== 200) reject(new Error(`status ${status}: ${text}`));
      else resolve(text);
    };
    socket.on("data", onData);
    socket.once("close", () => reject(new Error("connection closed before the response")));
  });
  socket.write(request, "latin1");
  return JSON.parse(await body) as Seen;
}
