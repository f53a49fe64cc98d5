/**
 * Runs the same node-style app on node:http's `createServer` and on ours,
 * sends both the same bytes over a raw `net` socket, and returns both
 * responses parsed and normalised, so a test can say "ours answers as
 * node:http does" with one `expectSame`.
 *
 * Normalisation (each one a deliberate difference, or noise):
 * - `date`, `connection` and `keep-alive` are dropped: time, and each
 *   server's own keep-alive policy;
 * - header names are lower-cased: ours sends them lower-case (RFC 9110 §5.1:
 *   field names are case-insensitive), node as the app spelled them;
 * - `content-length` and `transfer-encoding` are dropped and compared as
 *   "the body length was known" (`lengthKnown`): ours gives a body written
 *   in one turn a Content-Length where node may chunk it;
 * - on HEAD, 204 and 304 there is no body, and the Content-Length ours
 *   sends for HEAD (what a GET would get, RFC 9110 §9.3.2) is dropped too;
 * - a `100 Continue` is not compared: node sends it at once (or leaves it to
 *   a 'checkContinue' listener), ours when the body is first read;
 * - no `Server` header on either: node sends none and ours none by default.
 *
 * Header order is kept: both send what `setHeader` stored, in its order.
 */
import { createHash } from "node:crypto";
import { once } from "node:events";
import * as http from "node:http";
import { type AddressInfo, connect, type Socket } from "node:net";
import { gunzipSync } from "node:zlib";
import { expect } from "vitest";
import { type CompatServer, createServer } from "../../src/index.js";

/** What a test hands to both servers. */
export type Listener = (req: http.IncomingMessage, res: http.ServerResponse) => void;
/** A server either `createServer` made. */
export type AnyServer = http.Server | CompatServer;
/** Builds one server around a listener, with the `createServer` it is given (Fastify's `serverFactory` shape). */
export type ServerBuilder = (create: (listener: Listener) => AnyServer, side: Side) => AnyServer | Promise<AnyServer>;
export type Side = "node" | "ours";

/** One started server. */
export interface Target {
  readonly side: Side;
  readonly server: AnyServer;
  readonly port: number;
}

/** The two servers of a comparison. */
export interface Pair {
  readonly node: Target;
  readonly ours: Target;
  /** Closes both servers (connections included), bounded in time. */
  close(): Promise<void>;
}

/** A request as bytes: method, target, headers, body (chunks sent `gapMs` apart; a Content-Length is added unless the headers frame it). */
export interface RawRequest {
  method?: string;
  path?: string;
  headers?: [string, string][];
  body?: string | Buffer | (string | Buffer)[];
  gapMs?: number;
  /** Keep the connection open after the response (default: `Connection: close`). */
  keepAlive?: boolean;
}

/** A response as it came off the wire. */
export interface RawResponse {
  readonly informational: { status: number; headers: [string, string][] }[];
  readonly status: number;
  readonly statusMessage: string;
  /** Names as sent. */
  readonly headers: [string, string][];
  readonly framing: "length" | "chunked" | "close" | "none";
  readonly body: Buffer;
  readonly trailers: [string, string][];
}

/** A response as the comparison sees it. */
export interface Normalised {
  status: number;
  statusMessage: string;
  headers: [string, string][];
  lengthKnown: boolean;
  bodyLength: number;
  bodySha256: string;
  trailers: [string, string][];
}

/** The same host on both sides, so nothing echoes a port. */
export const HOST = "compare.test";
const TIMEOUT_MS = 10_000;
const DROPPED = new Set(["date", "connection", "keep-alive", "content-length", "transfer-encoding"]);

function withTimeout<T>(promise: Promise<T>, what: string, ms = TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function listen(server: AnyServer): Promise<number> {
  (server as http.Server).listen(0, "127.0.0.1");
  if (!server.listening) await withTimeout(once(server, "listening"), "listen");
  return ((server as http.Server).address() as AddressInfo).port;
}

/** Closes `server` and cuts its connections; resolves within `TIMEOUT_MS` either way. */
export async function closeServer(server: AnyServer): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => (server as http.Server).close(() => resolve()));
  server.closeAllConnections();
  await withTimeout(closed, "close").catch(() => undefined);
}

/** Starts `app` on node:http and on ours (127.0.0.1, port 0); a builder makes each server itself. */
export async function startPair(app: Listener | { builder: ServerBuilder }): Promise<Pair> {
  const build = async (side: Side): Promise<AnyServer> => {
    const create = (listener: Listener) => (side === "node" ? http.createServer(listener) : createServer(listener));
    return "builder" in app ? app.builder(create, side) : create(app);
  };
  const nodeServer = await build("node");
  const oursServer = await build("ours");
  const close = () => Promise.all([closeServer(nodeServer), closeServer(oursServer)]).then(() => undefined);
  try {
    const [nodePort, oursPort] = await Promise.all([listen(nodeServer), listen(oursServer)]);
    return { node: { side: "node", server: nodeServer, port: nodePort }, ours: { side: "ours", server: oursServer, port: oursPort }, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The bytes of `request` (Host is {@link HOST} unless given). */
export function requestBytes(request: RawRequest): Buffer[] {
  const lines = [`${request.method ?? "GET"} ${request.path ?? "/"} HTTP/1.1`];
  const headers = request.headers ?? [];
  if (!headers.some(([n]) => n.toLowerCase() === "host")) lines.push(`Host: ${HOST}`);
  for (const [name, value] of headers) lines.push(`${name}: ${value}`);
  const body = request.body === undefined ? [] : Array.isArray(request.body) ? request.body : [request.body];
  const framed = headers.some(([n]) => /^(content-length|transfer-encoding)$/i.test(n));
  if (body.length > 0 && !framed) lines.push(`Content-Length: ${body.reduce((n, b) => n + Buffer.byteLength(b), 0)}`);
  if (request.keepAlive !== true) lines.push("Connection: close");
  const head = Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1");
  return [head, ...body.map((b) => (typeof b === "string" ? Buffer.from(b) : b))];
}

/** Opens a raw connection to `port` on 127.0.0.1. */
export async function openSocket(port: number): Promise<Socket> {
  const socket = connect(port, "127.0.0.1");
  await withTimeout(once(socket, "connect"), "connect");
  return socket;
}

/** Sends `request` on a new connection and reads until the server closes it. */
export async function sendRaw(port: number, request: RawRequest): Promise<RawResponse> {
  const socket = await openSocket(port);
  const chunks: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise<void>((resolve, reject) => {
    socket.on("end", resolve);
    socket.on("close", () => resolve());
    socket.on("error", reject);
  });
  try {
    const parts = requestBytes(request);
    for (let i = 0; i < parts.length; i++) {
      if (i > 1 && request.gapMs !== undefined) await new Promise((r) => setTimeout(r, request.gapMs));
      if (!socket.destroyed) socket.write(parts[i]!);
    }
    await withTimeout(ended, `response to ${request.method ?? "GET"} ${request.path ?? "/"}`);
  } finally {
    socket.destroy();
  }
  const response = parseResponse(Buffer.concat(chunks), request.method ?? "GET");
  if (response === null) throw new Error(`incomplete response: ${JSON.stringify(Buffer.concat(chunks).toString("latin1").slice(0, 400))}`);
  return response;
}

/** Parses one response head at `offset`: status, reason, headers and where the body starts; null when incomplete. */
export function parseHead(bytes: Buffer, offset = 0): { status: number; statusMessage: string; headers: [string, string][]; bodyStart: number } | null {
  const end = bytes.indexOf("\r\n\r\n", offset, "latin1");
  if (end < 0) return null;
  const [statusLine, ...lines] = bytes.toString("latin1", offset, end).split("\r\n");
  const match = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine!);
  if (match === null) throw new Error(`not a status line: ${JSON.stringify(statusLine)}`);
  const headers = lines.map((line): [string, string] => {
    const colon = line.indexOf(":");
    return [line.slice(0, colon), line.slice(colon + 1).trim()];
  });
  return { status: Number(match[1]), statusMessage: match[2] ?? "", headers, bodyStart: end + 4 };
}

/** Parses a whole response (1xx interim responses first); null when it is incomplete. */
export function parseResponse(bytes: Buffer, method: string): RawResponse | null {
  const informational: RawResponse["informational"] = [];
  let offset = 0;
  for (;;) {
    const head = parseHead(bytes, offset);
    if (head === null) return null;
    if (head.status >= 100 && head.status < 200 && head.status !== 101) {
      informational.push({ status: head.status, headers: head.headers });
      offset = head.bodyStart;
      continue;
    }
    const value = (name: string) => head.headers.find(([n]) => n.toLowerCase() === name)?.[1];
    const base = { informational, status: head.status, statusMessage: head.statusMessage, headers: head.headers };
    if (method === "HEAD" || head.status === 204 || head.status === 304) return { ...base, framing: "none", body: Buffer.alloc(0), trailers: [] };
    if (value("transfer-encoding")?.toLowerCase().includes("chunked")) {
      const decoded = decodeChunked(bytes, head.bodyStart);
      return decoded === null ? null : { ...base, framing: "chunked", ...decoded };
    }
    const length = value("content-length");
    if (length !== undefined) {
      const n = Number(length);
      if (bytes.length - head.bodyStart < n) return null;
      return { ...base, framing: "length", body: bytes.subarray(head.bodyStart, head.bodyStart + n), trailers: [] };
    }
    return { ...base, framing: "close", body: bytes.subarray(head.bodyStart), trailers: [] };
  }
}

function decodeChunked(bytes: Buffer, start: number): { body: Buffer; trailers: [string, string][] } | null {
  const parts: Buffer[] = [];
  let at = start;
  for (;;) {
    const lineEnd = bytes.indexOf("\r\n", at, "latin1");
    if (lineEnd < 0) return null;
    const size = Number.parseInt(bytes.toString("latin1", at, lineEnd).split(";")[0]!, 16);
    at = lineEnd + 2;
    if (size === 0) break;
    if (bytes.length < at + size + 2) return null;
    parts.push(bytes.subarray(at, at + size));
    at += size + 2;
  }
  const trailers: [string, string][] = [];
  for (;;) {
    const lineEnd = bytes.indexOf("\r\n", at, "latin1");
    if (lineEnd < 0) return null;
    if (lineEnd === at) break;
    const line = bytes.toString("latin1", at, lineEnd);
    const colon = line.indexOf(":");
    trailers.push([line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()]);
    at = lineEnd + 2;
  }
  return { body: Buffer.concat(parts), trailers };
}

/** Options of {@link normalise}. */
export interface NormaliseOptions {
  /** gunzip a `content-encoding: gzip` body before comparing (compression's output bytes may be split differently). */
  gunzip?: boolean;
  /** More header names to leave out (lower case), e.g. ones holding a time. */
  ignoreHeaders?: string[];
  /** Leave the reason phrase out (a fetch Response has none; each server writes its own table's). */
  ignoreStatusMessage?: boolean;
}

/** The comparable view of a response (see the module comment). */
export function normalise(response: RawResponse, options: NormaliseOptions = {}): Normalised {
  const ignored = new Set(options.ignoreHeaders ?? []);
  const headers = response.headers
    .map(([n, v]): [string, string] => [n.toLowerCase(), v])
    .filter(([n]) => !DROPPED.has(n) && !ignored.has(n));
  let body = response.body;
  if (options.gunzip === true && response.headers.some(([n, v]) => n.toLowerCase() === "content-encoding" && v === "gzip")) body = gunzipSync(body);
  return {
    status: response.status,
    statusMessage: options.ignoreStatusMessage === true ? "" : response.statusMessage,
    headers,
    lengthKnown: response.framing !== "close",
    bodyLength: body.length,
    bodySha256: createHash("sha256").update(body).digest("hex"),
    trailers: response.trailers,
  };
}

/** Both raw responses to one request. */
export interface Both {
  readonly node: RawResponse;
  readonly ours: RawResponse;
}

/** Sends `request` to both servers of `pair` (one after the other, so the app's side effects stay ordered). */
export async function sendBoth(pair: Pair, request: RawRequest): Promise<Both> {
  const node = await sendRaw(pair.node.port, request);
  const ours = await sendRaw(pair.ours.port, request);
  return { node, ours };
}

/** Asserts that ours answered as node:http did; returns ours for targeted assertions. */
export function expectSame(both: Both, options?: NormaliseOptions): RawResponse {
  expect(normalise(both.ours, options)).toEqual(normalise(both.node, options));
  return both.ours;
}

/** Starts `app` on both servers, sends `request` to each, closes both; asserts equality and returns ours. */
export async function compare(app: Listener, request: RawRequest, options?: NormaliseOptions): Promise<RawResponse> {
  const pair = await startPair(app);
  try {
    return expectSame(await sendBoth(pair, request), options);
  } finally {
    await pair.close();
  }
}

/** The value of header `name` (case-insensitive), all values joined by `, `, or undefined. */
export function header(response: RawResponse, name: string): string | undefined {
  const values = response.headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
  return values.length === 0 ? undefined : values.join(", ");
}

/** Every value of header `name`. */
export function headerValues(response: RawResponse, name: string): string[] {
  return response.headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
}

/** A bounded wait. */
export function within<T>(promise: Promise<T>, what: string, ms = TIMEOUT_MS): Promise<T> {
  return withTimeout(promise, what, ms);
}

/** A multipart/form-data body with fields and files (RFC 7578). */
export function multipart(parts: { name: string; value: string | Buffer; filename?: string; type?: string }[]): { body: Buffer; type: string } {
  const boundary = "----compare-boundary-7MA4YWxkTrZu0gW";
  const chunks: Buffer[] = [];
  for (const part of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"`;
    if (part.filename !== undefined) head += `; filename="${part.filename}"\r\nContent-Type: ${part.type ?? "application/octet-stream"}`;
    chunks.push(Buffer.from(`${head}\r\n\r\n`), typeof part.value === "string" ? Buffer.from(part.value) : part.value, Buffer.from("\r\n"));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), type: `multipart/form-data; boundary=${boundary}` };
}
