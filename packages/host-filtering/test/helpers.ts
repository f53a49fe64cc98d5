/**
 * Test plumbing: a real `Server` on 127.0.0.1 port 0 running host filtering
 * in front of a small app, raw `node:net` clients for hand-written Host
 * headers, a capturing logger, and cleanup of everything a test opened.
 *
 * @module
 */
import { once } from "node:events";
import * as http2 from "node:http2";
import { connect, type Socket } from "node:net";
import { ApplicationBuilder, type Logger, type LogLevel, type Middleware } from "@x/abstractions";
import { HttpProtocols, Server } from "@x/server";

/** Rejects with a message naming `what` when `promise` takes longer than `ms`. */
export function within<T>(ms: number, promise: Promise<T>, what = "operation"): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** One log call, as captured. */
export interface LogEntry {
  readonly level: LogLevel;
  readonly message: string;
  readonly fields: Record<string, unknown> | undefined;
}

/** A logger that keeps every entry, to assert on warnings and debug messages. */
export function capturingLogger(): Logger & { readonly entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const log =
    (level: LogLevel) =>
    (a: string | object, b?: string): void => {
      if (typeof a === "string") entries.push({ level, message: a, fields: undefined });
      else entries.push({ level, message: b ?? "", fields: a as Record<string, unknown> });
    };
  const logger: Logger & { entries: LogEntry[] } = {
    entries,
    trace: log("trace"),
    debug: log("debug"),
    info: log("info"),
    warn: log("warn"),
    error: log("error"),
    fatal: log("fatal"),
    isLevelEnabled: () => true,
    child: () => logger,
  };
  return logger;
}

/** A running server, and how many requests reached the app behind the filter. */
export interface TestServer {
  readonly server: Server;
  readonly port: number;
  readonly origin: string;
  /** Requests that got past the middleware, with the host the app saw. */
  readonly reached: string[];
  /** `request.protocol` of each request that got past the middleware. */
  readonly protocols: string[];
}

/** Tracks servers, sockets and HTTP/2 sessions so `cleanup` closes them all. */
export class Resources {
  readonly #servers: Server[] = [];
  readonly #sockets: Socket[] = [];
  readonly #sessions: http2.ClientHttp2Session[] = [];

  /**
   * Starts a real server on 127.0.0.1 (port 0) whose pipeline is `middleware`
   * then an app answering `ok <host>`.
   */
  async start(middleware: Middleware, endpointProtocols: HttpProtocols = HttpProtocols.Http1AndHttp2): Promise<TestServer> {
    const server = new Server();
    server.options.listen("127.0.0.1", 0, (lo) => {
      lo.protocols = endpointProtocols;
    });
    this.#servers.push(server);
    const reached: string[] = [];
    const protocols: string[] = [];
    const app = new ApplicationBuilder();
    app.use(middleware);
    app.run((ctx) => {
      reached.push(ctx.request.host);
      protocols.push(ctx.request.protocol);
      return ctx.response.end(`ok ${ctx.request.host}`);
    });
    await within(5_000, server.start(app.build()), "server.start");
    const origin = server.addresses[0]!;
    const port = Number(/:(\d+)$/.exec(origin)![1]);
    return { server, port, origin, reached, protocols };
  }

  /** A raw TCP client, connected. */
  async connect(port: number): Promise<Socket> {
    const socket = connect({ host: "127.0.0.1", port });
    this.#sockets.push(socket);
    socket.on("error", () => {});
    await within(3_000, once(socket, "connect"), "connect");
    return socket;
  }

  /** A node:http2 client session with prior knowledge (cleartext). */
  http2(origin: string): http2.ClientHttp2Session {
    const session = http2.connect(origin);
    session.on("error", () => {});
    this.#sessions.push(session);
    return session;
  }

  async cleanup(): Promise<void> {
    for (const socket of this.#sockets.splice(0)) socket.destroy();
    for (const session of this.#sessions.splice(0)) session.destroy();
    await Promise.allSettled(this.#servers.splice(0).map((s) => within(5_000, s.stop(500), "server.stop")));
  }
}

/** One HTTP/1.x response as read off the wire. */
export interface RawResponse {
  readonly status: number;
  readonly statusLine: string;
  /** Lower-cased header names. */
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * Reads one response framed by Content-Length from `socket`, leaving any
 * following bytes unread.
 */
export function readResponse(socket: Socket, ms = 5_000): Promise<RawResponse> {
  const result = new Promise<RawResponse>((resolve, reject) => {
    let buffer = Buffer.alloc(0);
    const cleanup = (): void => {
      socket.off("data", onData);
      socket.off("close", onClose);
    };
    const onData = (chunk: Buffer): void => {
      buffer = Buffer.concat([buffer, chunk]);
      const end = buffer.indexOf("\r\n\r\n");
      if (end === -1) return;
      const lines = buffer.subarray(0, end).toString("latin1").split("\r\n");
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(":");
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      if (headers["content-length"] === undefined) {
        cleanup();
        reject(new Error(`response without Content-Length: ${lines[0]}`));
        return;
      }
      const length = Number(headers["content-length"]);
      if (buffer.length < end + 4 + length) return;
      cleanup();
      socket.pause();
      const rest = buffer.subarray(end + 4 + length);
      if (rest.length > 0) socket.unshift(rest);
      resolve({
        status: Number(lines[0]!.split(" ")[1]),
        statusLine: lines[0]!,
        headers,
        body: buffer.subarray(end + 4, end + 4 + length).toString("latin1"),
      });
    };
    const onClose = (): void => {
      cleanup();
      reject(new Error(`the connection closed before a whole response arrived: ${JSON.stringify(buffer.toString("latin1"))}`));
    };
    socket.on("data", onData);
    socket.once("close", onClose);
    socket.resume();
  });
  return within(ms, result, "response");
}

/** Writes a GET with the given Host line (`null`: no Host header at all) and reads the response. */
export function get(socket: Socket, host: string | null, version = "HTTP/1.1", extra = ""): Promise<RawResponse> {
  const hostLine = host === null ? "" : `Host: ${host}\r\n`;
  socket.write(`GET / ${version}\r\n${hostLine}${extra}\r\n`);
  return readResponse(socket);
}

/** Resolves once `socket` has closed. */
export function closed(socket: Socket, ms = 3_000): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  socket.resume();
  return within(
    ms,
    once(socket, "close").then(() => {}),
    "socket close",
  );
}

/** One HTTP/2 response. */
export interface Http2Reply {
  readonly status: number;
  readonly headers: http2.IncomingHttpHeaders;
  readonly body: string;
}

/** Sends a GET on `session` with the given `:authority` and reads the whole response. */
export function h2get(session: http2.ClientHttp2Session, authority: string): Promise<Http2Reply> {
  return within(
    5_000,
    new Promise<Http2Reply>((resolve, reject) => {
      const stream = session.request({ ":method": "GET", ":path": "/", ":scheme": "http", ":authority": authority });
      let headers: http2.IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      stream.on("response", (h) => {
        headers = h;
      });
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => resolve({ status: Number(headers[":status"]), headers, body: Buffer.concat(chunks).toString("latin1") }));
      stream.on("error", reject);
    }),
    "HTTP/2 request",
  );
}
