/**
 * Shared plumbing for the real-socket server tests: bounded waits, raw and
 * undici clients, free ports, a capturing logger, and cleanup of everything
 * a test opened.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { rmSync } from "node:fs";
import { createServer, connect as netConnect, type Server as NetServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger, LoggerFactory, LogLevel, RequestDelegate } from "@x/abstractions";
import { Client } from "undici";
import type { Server } from "../src/index.js";

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

/** A promise and the function that resolves it. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Answers `hello <path>` to every request. */
export const hello: RequestDelegate = (ctx) => ctx.response.end(`hello ${ctx.request.path}`);

export interface LogEntry {
  readonly category: string;
  readonly level: LogLevel;
  readonly message: string;
  readonly fields: object | undefined;
}

/** A LoggerFactory that keeps every entry, to assert on warnings. */
export class CapturingLoggerFactory implements LoggerFactory {
  readonly entries: LogEntry[] = [];

  createLogger(category: string): Logger {
    const entries = this.entries;
    const log =
      (level: LogLevel) =>
      (a: string | object, b?: string): void => {
        if (typeof a === "string") entries.push({ category, level, message: a, fields: undefined });
        else entries.push({ category, level, message: b ?? "", fields: a });
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
    return logger;
  }

  at(level: LogLevel): LogEntry[] {
    return this.entries.filter((e) => e.level === level);
  }
}

/** Tracks servers, sockets, clients and files so afterEach closes them all. */
export class Resources {
  readonly #servers: Server[] = [];
  readonly #netServers: NetServer[] = [];
  readonly #sockets: Socket[] = [];
  readonly #clients: Client[] = [];
  readonly #files: string[] = [];

  server<T extends Server>(server: T): T {
    this.#servers.push(server);
    return server;
  }

  /** A raw TCP or Unix socket client, connected. */
  async connect(target: { host: string; port: number } | { path: string }): Promise<Socket> {
    const socket = netConnect(target);
    this.#sockets.push(socket);
    // A reset by the server must not surface as an uncaught 'error'.
    socket.on("error", () => {});
    await within(3_000, once(socket, "connect"), "connect");
    return socket;
  }

  /** An undici client for `origin`, or for a Unix socket when `socketPath` is given. */
  client(origin: string, socketPath?: string): Client {
    const client = new Client(origin, socketPath === undefined ? {} : { socketPath });
    this.#clients.push(client);
    return client;
  }

  /** Listens with node:net to occupy `host:port` (port 0 picks one). */
  async occupy(host: string, port: number): Promise<number> {
    const server = createServer((socket) => socket.destroy());
    this.#netServers.push(server);
    server.listen({ host, port, ipv6Only: true });
    await within(3_000, once(server, "listening"), `listen on ${host}:${port}`);
    return (server.address() as { port: number }).port;
  }

  /** A fresh Unix socket path in the OS temp dir, removed after the test. */
  socketPath(): string {
    const path = join(tmpdir(), `x-server-test-${randomUUID().slice(0, 8)}.sock`);
    this.#files.push(path);
    return path;
  }

  async cleanup(): Promise<void> {
    for (const socket of this.#sockets.splice(0)) socket.destroy();
    await Promise.allSettled(this.#clients.splice(0).map((c) => c.destroy()));
    await Promise.allSettled(this.#servers.splice(0).map((s) => within(5_000, s.stop(500), "server.stop")));
    await Promise.allSettled(
      this.#netServers.splice(0).map((s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve()))),
    );
    for (const file of this.#files.splice(0)) rmSync(file, { force: true });
  }
}

export interface SimpleResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One GET through undici; the body is read whole. */
export async function get(client: Client, path = "/"): Promise<SimpleResponse> {
  const res = await within(5_000, client.request({ method: "GET", path }), `GET ${path}`);
  const body = await within(5_000, res.body.text(), `body of GET ${path}`);
  return { status: res.statusCode, headers: res.headers, body };
}

export interface RawResponse {
  readonly status: number;
  readonly head: string;
  /** Lower-cased header names; a repeated header keeps the last value. */
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * Reads one HTTP/1.1 response framed by Content-Length from `socket`,
 * leaving any following bytes unread.
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
      const head = buffer.subarray(0, end).toString("latin1");
      const headers: Record<string, string> = {};
      for (const line of head.split("\r\n").slice(1)) {
        const colon = line.indexOf(":");
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = Number(headers["content-length"] ?? "0");
      if (buffer.length < end + 4 + length) return;
      cleanup();
      socket.pause();
      const rest = buffer.subarray(end + 4 + length);
      if (rest.length > 0) socket.unshift(rest);
      resolve({
        status: Number(head.split(" ")[1]),
        head,
        headers,
        body: buffer.subarray(end + 4, end + 4 + length).toString("utf8"),
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

/** Reads everything until the peer closes the connection. */
export function readToClose(socket: Socket, ms = 5_000): Promise<string> {
  const chunks: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  socket.resume();
  const closed = socket.destroyed ? Promise.resolve() : once(socket, "close").then(() => {});
  return within(ms, closed, "connection close").then(() => Buffer.concat(chunks).toString("latin1"));
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

/** Resolves with the error code of a connect attempt that must fail. */
export function connectError(target: { host: string; port: number } | { path: string }): Promise<string | undefined> {
  const attempt = new Promise<string | undefined>((resolve, reject) => {
    const socket = netConnect(target);
    socket.once("connect", () => {
      socket.destroy();
      reject(new Error("connect unexpectedly succeeded"));
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code));
  });
  return within(3_000, attempt, "connect attempt");
}

/** The port in a URL such as `http://127.0.0.1:5000` or `http://[::1]:5000`. */
export function portOf(url: string): number {
  const m = /:(\d+)$/.exec(url);
  if (m === null) throw new Error(`no port in ${url}`);
  return Number(m[1]);
}

async function canListen(host: string, port: number): Promise<number | null> {
  const server = createServer();
  try {
    server.listen({ host, port, ipv6Only: true });
    await once(server, "listening");
    return (server.address() as { port: number }).port;
  } catch {
    return null;
  } finally {
    await new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  }
}

/** True when this host can bind the IPv6 loopback (IPv6 may be disabled in containers). */
export async function canBindIPv6Loopback(): Promise<boolean> {
  return (await canListen("::1", 0)) !== null;
}

/** True when `port` is free on both loopbacks. */
export async function isFreeOnLoopbacks(port: number, ipv6: boolean): Promise<boolean> {
  if ((await canListen("127.0.0.1", port)) === null) return false;
  return !ipv6 || (await canListen("::1", port)) !== null;
}

/** A port that was free on 127.0.0.1 (and ::1 when `ipv6`) a moment ago. */
export async function freeLoopbackPort(ipv6: boolean): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await canListen("127.0.0.1", 0);
    if (port !== null && (await isFreeOnLoopbacks(port, ipv6))) return port;
  }
  throw new Error("no port free on both loopbacks");
}
