/**
 * Shared plumbing for the real-socket tests: a queue of accepted connections,
 * clients, exact reads, a recording logger, and cleanup of everything opened.
 *
 * @module
 */
import { once } from "node:events";
import { createServer, connect as netConnect, type Socket } from "node:net";
import type { Readable } from "node:stream";
import type { ConnectionContext, EndPoint, Logger, LogLevel } from "@x/abstractions";
import { type Mock, vi } from "vitest";
import { type SocketListener, SocketTransportFactory, type SocketTransportOptions } from "../src/index.js";

/** Accepted connections in arrival order. */
export class ConnectionQueue {
  readonly #ready: ConnectionContext[] = [];
  readonly #waiting: ((connection: ConnectionContext) => void)[] = [];

  readonly handler = (connection: ConnectionContext): void => {
    const waiter = this.#waiting.shift();
    if (waiter) waiter(connection);
    else this.#ready.push(connection);
  };

  next(): Promise<ConnectionContext> {
    const ready = this.#ready.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  get pending(): number {
    return this.#ready.length;
  }
}

/** Tracks listeners, sockets and connections so each test can close them all. */
export class Harness {
  readonly #listeners: SocketListener[] = [];
  readonly #sockets: Socket[] = [];
  readonly queue = new ConnectionQueue();

  async bind(endPoint: EndPoint, options?: SocketTransportOptions): Promise<SocketListener> {
    const listener = await new SocketTransportFactory(options).bind(endPoint, (connection) => {
      this.#sockets.push(connection.transport as Socket);
      this.queue.handler(connection);
    });
    this.#listeners.push(listener);
    return listener;
  }

  /** Connects a client to a TCP port or a Unix socket path. */
  async connect(target: { host: string; port: number } | { path: string }): Promise<Socket> {
    const socket = netConnect(target);
    this.#sockets.push(socket);
    await once(socket, "connect");
    return socket;
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.#listeners.map((listener) => listener.unbind()));
    for (const socket of this.#sockets) socket.destroy();
  }
}

/** Reads exactly `length` bytes from `stream`, leaving any surplus unread. */
export function readBytes(stream: Readable, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const done = (): void => {
      stream.off("data", onData);
      stream.off("end", onEnd);
      stream.pause();
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      total += chunk.length;
      if (total < length) return;
      done();
      const all = Buffer.concat(chunks);
      if (all.length > length) stream.unshift(all.subarray(length));
      resolve(all.subarray(0, length));
    };
    const onEnd = (): void => {
      done();
      reject(new Error(`stream ended after ${total} of ${length} bytes`));
    };
    stream.on("data", onData);
    stream.once("end", onEnd);
  });
}

/** A logger whose methods are spies, to assert what was logged at which level. */
export function recordingLogger(): Logger & { [K in LogLevel]: Mock } {
  const logger = {
    trace: vi.fn(),
    debug: vi.fn(),
    info: vi.fn(),
    warn: vi.fn(),
    error: vi.fn(),
    fatal: vi.fn(),
    isLevelEnabled: () => true,
    child: () => logger,
  };
  return logger;
}

/** Resolves with the error code of a connect attempt that must fail. */
export function connectError(target: { host: string; port: number } | { path: string }): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(target);
    socket.once("connect", () => {
      socket.destroy();
      reject(new Error("connect unexpectedly succeeded"));
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code));
  });
}

/** True when this host can bind the IPv6 loopback (IPv6 may be disabled in containers). */
export async function canBindIPv6Loopback(): Promise<boolean> {
  const server = createServer();
  try {
    server.listen({ host: "::1", port: 0 });
    await once(server, "listening");
    return true;
  } catch {
    return false;
  } finally {
    server.close();
  }
}
