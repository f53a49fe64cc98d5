/** A real TCP server on 127.0.0.1 running the HTTPS middleware, and TLS clients for it. */
import { once } from "node:events";
import * as net from "node:net";
import * as tls from "node:tls";
import { ConnectionContext, type ConnectionDelegate, type Heartbeat, type LogFn, type Logger, nullLogger } from "@x/abstractions";
import { createHttpsMiddleware } from "../src/https-middleware.js";
import type { HttpsConnectionAdapterOptions } from "../src/https-options.js";
import { TlsConnectionFeature, TlsHandshakeFeature } from "../src/tls-handshake-feature.js";

export interface TestServer {
  readonly port: number;
  /** Debug log lines the middleware wrote. */
  readonly logs: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

/** Answers with the negotiated TLS facts as one JSON line, then closes. */
export const reportFeatures: ConnectionDelegate = async (connection) => {
  const handshake = connection.features.get(TlsHandshakeFeature);
  const tlsConnection = connection.features.get(TlsConnectionFeature);
  const clientCertificate = await tlsConnection?.getClientCertificate();
  connection.transport.end(`${JSON.stringify({ ...handshake, clientSubject: clientCertificate?.subject ?? null })}\n`);
};

function recordingLogger(logs: Array<Record<string, unknown>>): Logger {
  const debug: LogFn = (obj: object | string, msg?: string) => {
    logs.push(typeof obj === "string" ? { msg: obj } : { ...obj, msg });
  };
  return { ...nullLogger, debug, child: () => recordingLogger(logs) };
}

export async function startServer(
  options: HttpsConnectionAdapterOptions,
  next: ConnectionDelegate = reportFeatures,
  heartbeat?: Heartbeat,
  signal?: AbortSignal,
): Promise<TestServer> {
  const logs: Array<Record<string, unknown>> = [];
  const middleware = createHttpsMiddleware(options, { logger: recordingLogger(logs), heartbeat, signal });
  let nextId = 0;
  const sockets = new Set<net.Socket>();
  // allowHalfOpen as @x/transport-sockets accepts connections.
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    const connection = new ConnectionContext({ id: `conn-${++nextId}`, transport: socket, localEndPoint: null, remoteEndPoint: null });
    void middleware(connection, next);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    logs,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface ClientResult {
  /** The JSON the server answered with, or null if the connection failed. */
  readonly body: Record<string, unknown> | null;
  readonly error: Error | null;
  readonly peerCommonName: string | null;
  readonly alpnProtocol: string | false | null;
}

/** Connects, reads until the server closes, with a bounded wait. */
export function connectTls(port: number, options: tls.ConnectionOptions = {}, timeoutMs = 5_000): Promise<ClientResult> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false, ...options });
    const chunks: Buffer[] = [];
    let peerCommonName: string | null = null;
    let alpnProtocol: string | false | null = null;
    let error: Error | null = null;
    const timer = setTimeout(() => {
      error = new Error("client timed out");
      socket.destroy();
    }, timeoutMs);
    socket.on("secureConnect", () => {
      const cn = socket.getPeerCertificate().subject?.CN;
      peerCommonName = Array.isArray(cn) ? cn[0]! : (cn ?? null);
      alpnProtocol = socket.alpnProtocol;
    });
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", (err) => {
      error ??= err;
    });
    socket.on("close", () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString("utf8").trim();
      let body: Record<string, unknown> | null = null;
      if (text !== "") body = JSON.parse(text) as Record<string, unknown>;
      resolve({ body, error: body === null ? (error ?? new Error("closed without an answer")) : null, peerCommonName, alpnProtocol });
    });
  });
}

/** Opens a raw TCP connection, writes `bytes` (if any) and resolves when the server closes it, or null after `timeoutMs`. */
export function rawConnection(port: number, bytes: Buffer | null, timeoutMs: number): Promise<{ closedAfterMs: number | null; received: Buffer }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = net.connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("connect", () => {
      if (bytes) socket.write(bytes);
    });
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", () => {});
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ closedAfterMs: null, received: Buffer.concat(chunks) });
    }, timeoutMs);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ closedAfterMs: Date.now() - started, received: Buffer.concat(chunks) });
    });
  });
}
