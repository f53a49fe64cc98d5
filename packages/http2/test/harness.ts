/**
 * Raw-frame plumbing for the HTTP/2 conformance and hardening suites: a
 * server built from a hand-made `ServiceContext` (heartbeat ticked by hand),
 * and a client that writes frames byte for byte and reads back the server's
 * frames, decoding header blocks with its own HPACK decoder. Every wait is
 * bounded, so a server that never answers fails the test instead of hanging it.
 *
 * @module
 */
import { connect as netConnect, type Socket } from "node:net";
import {
  type ConnectionContext,
  createResourceCounter,
  freezeLimits,
  type HeartbeatHandler,
  ipEndPoint,
  type LoggerFactory,
  ManualClock,
  nullLoggerFactory,
  type RequestDelegate,
  ServerLimits,
  type ServiceContext,
} from "@x/abstractions";
import { SocketTransportFactory } from "@x/transport-sockets";
import { FrameReader } from "../src/frame-reader.js";
import { CONNECTION_PREFACE, ErrorCode, type Frame, FrameFlags, FrameType, SettingId } from "../src/frame-types.js";
import { frameHeader, headersFrames, pingFrame, rstStreamFrame, settingsAck, settingsFrame, windowUpdateFrame } from "../src/frame-writer.js";
import { type HeaderField, HpackDecoder, HpackEncoder } from "../src/hpack.js";
import { processHttp2Connection } from "../src/index.js";

/** Upper bound of every wait in the suites. */
export const WAIT_MS = 3_000;

export { ErrorCode, FrameFlags, FrameType, SettingId };

/** The heartbeat, ticked by the test: `tick()` after moving `clock`. */
export class TestHeartbeat {
  readonly handlers = new Set<HeartbeatHandler>();
  constructor(readonly clock: ManualClock) {}
  get now(): number {
    return this.clock.now();
  }
  add(handler: HeartbeatHandler): void {
    this.handlers.add(handler);
  }
  remove(handler: HeartbeatHandler): void {
    this.handlers.delete(handler);
  }
  /** Advances the clock by `ms` (default 1 s) and ticks every connection. */
  tick(ms = 1_000): void {
    this.clock.advance(ms);
    const now = this.clock.now();
    for (const handler of [...this.handlers]) handler.onHeartbeat(now);
  }
}

export type LimitOverrides = Partial<Omit<ServerLimits, "http2">> & { http2?: Partial<ServerLimits["http2"]> };

export interface TestServer {
  readonly port: number;
  readonly heartbeat: TestHeartbeat;
  readonly service: ServiceContext;
  readonly connections: ConnectionContext[];
  close(): Promise<void>;
}

const servers = new Set<TestServer>();

/** Serves HTTP/2 (prior knowledge) on 127.0.0.1:0. */
export async function startServer(app: RequestDelegate, options: { limits?: LimitOverrides; loggerFactory?: LoggerFactory } = {}): Promise<TestServer> {
  const raw = new ServerLimits();
  const { http2, ...rest } = options.limits ?? {};
  Object.assign(raw, rest);
  Object.assign(raw.http2, http2 ?? {});
  const limits = freezeLimits(raw);
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const heartbeat = new TestHeartbeat(clock);
  const service: ServiceContext = {
    limits,
    loggerFactory: options.loggerFactory ?? nullLoggerFactory,
    clock,
    dateHeader: { value: new Date(clock.now()).toUTCString() },
    heartbeat,
    addServerHeader: true,
    upgradedConnections: createResourceCounter(null),
  };
  const connections: ConnectionContext[] = [];
  const listener = await new SocketTransportFactory().bind(ipEndPoint("127.0.0.1", 0), (connection) => {
    connections.push(connection);
    return processHttp2Connection(connection, service, app);
  });
  const port = listener.endPoint.kind === "ip" ? listener.endPoint.port : 0;
  const server: TestServer = {
    port,
    heartbeat,
    service,
    connections,
    async close() {
      servers.delete(server);
      await listener.unbind();
      for (const connection of connections) connection.abort();
    },
  };
  servers.add(server);
  return server;
}

/** Closes every server and client a test left open (for `afterEach`). */
export async function cleanup(): Promise<void> {
  for (const client of clients) client.socket.destroy();
  clients.clear();
  await Promise.all([...servers].map((s) => s.close()));
}

/** A frame the server sent, with its decoded header block when it is HEADERS. */
export interface ReceivedFrame extends Frame {
  readonly headers?: HeaderField[];
}

const clients = new Set<H2Client>();

/** A client that speaks raw frames. */
export class H2Client {
  readonly socket: Socket;
  readonly frames: ReceivedFrame[] = [];
  readonly encoder = new HpackEncoder();
  readonly decoder = new HpackDecoder({ tableSize: 4096, maxHeaderListSize: 1 << 20, maxFieldSize: 1 << 20 });
  readonly #reader = new FrameReader(1 << 24);
  #pendingBlock: { frame: Frame; fragments: Buffer[] } | null = null;
  closed = false;
  #waiters = new Set<() => void>();

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => {
      this.#reader.push(chunk);
      for (let f = this.#reader.next(); f !== null; f = this.#reader.next()) this.#onFrame({ ...f, payload: Buffer.from(f.payload) });
      this.#notify();
    });
    socket.on("close", () => {
      this.closed = true;
      this.#notify();
    });
    socket.on("error", () => {});
  }

  #onFrame(frame: Frame): void {
    if (frame.type === FrameType.HEADERS || frame.type === FrameType.CONTINUATION) {
      const start = this.#pendingBlock ?? { frame, fragments: [] };
      start.fragments.push(headerFragment(frame));
      if ((frame.flags & FrameFlags.END_HEADERS) === 0) {
        this.#pendingBlock = start;
        return;
      }
      this.#pendingBlock = null;
      const headers = this.decoder.decode(Buffer.concat(start.fragments));
      this.frames.push({ ...start.frame, headers });
      return;
    }
    this.frames.push(frame);
  }

  #notify(): void {
    for (const w of [...this.#waiters]) w();
  }

  /** Connects and sends the preface (unless `preface` is false) and an empty SETTINGS (unless `settings` is false). */
  static async connect(port: number, options: { preface?: boolean; settings?: Array<[number, number]> | false } = {}): Promise<H2Client> {
    const socket = netConnect({ host: "127.0.0.1", port, noDelay: true });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    const client = new H2Client(socket);
    clients.add(client);
    if (options.preface !== false) socket.write(CONNECTION_PREFACE);
    if (options.preface !== false && options.settings !== false) socket.write(settingsFrame(options.settings ?? []));
    return client;
  }

  /** Connects, exchanges SETTINGS (ACKs the server's) and waits until the server ACKed ours. */
  static async handshake(port: number, settings: Array<[number, number]> = []): Promise<H2Client> {
    const client = await H2Client.connect(port, { settings });
    await client.waitFor((f) => f.type === FrameType.SETTINGS && (f.flags & FrameFlags.ACK) === 0, "server SETTINGS");
    client.write(settingsAck());
    await client.waitFor((f) => f.type === FrameType.SETTINGS && (f.flags & FrameFlags.ACK) !== 0, "SETTINGS ACK");
    return client;
  }

  write(...buffers: Buffer[]): void {
    for (const b of buffers) this.socket.write(b);
  }

  /** Any frame: header + payload as given (for malformed frames). */
  writeFrame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): void {
    this.write(frameHeader(payload.length, type, flags, streamId), payload);
  }

  /** A request: HEADERS (split into CONTINUATION by `maxFrameSize`) with the given fields. */
  request(streamId: number, fields: HeaderField[], endStream = true, maxFrameSize = 16_384): void {
    for (const b of headersFrames(streamId, this.encoder.encode(fields), endStream, maxFrameSize)) this.write(b);
  }

  /** GET `path` with the usual pseudo-headers. */
  get(streamId: number, path = "/", extra: HeaderField[] = [], endStream = true): void {
    this.request(streamId, [...requestHeaders("GET", path), ...extra], endStream);
  }

  ping(opaque = Buffer.alloc(8)): void {
    this.write(pingFrame(opaque, false));
  }

  rst(streamId: number, code: number = ErrorCode.CANCEL): void {
    this.write(rstStreamFrame(streamId, code));
  }

  windowUpdate(streamId: number, increment: number): void {
    this.write(windowUpdateFrame(streamId, increment));
  }

  /** Resolves with the first frame (from `since`) matching `predicate`. */
  async waitFor(predicate: (f: ReceivedFrame) => boolean, what: string, since = 0, timeoutMs = WAIT_MS): Promise<ReceivedFrame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.slice(since).find(predicate);
      if (found !== undefined) return found;
      if (this.closed) throw new Error(`connection closed while waiting for ${what}; frames: ${describeFrames(this.frames)}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; frames: ${describeFrames(this.frames)}`);
      await new Promise<void>((resolve) => {
        const done = () => {
          this.#waiters.delete(done);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(done, 20);
        this.#waiters.add(done);
      });
    }
  }

  /** The server's GOAWAY: resolves with its error code (and waits for the close). */
  async goAway(timeoutMs = WAIT_MS): Promise<{ lastStreamId: number; errorCode: number }> {
    const frame = await this.waitFor((f) => f.type === FrameType.GOAWAY, "GOAWAY", 0, timeoutMs).catch((error: Error) => {
      throw error;
    });
    return { lastStreamId: frame.payload.readUInt32BE(0) & 0x7fffffff, errorCode: frame.payload.readUInt32BE(4) };
  }

  /** The server's RST_STREAM for `streamId`: resolves with its error code. */
  async rstCode(streamId: number, timeoutMs = WAIT_MS): Promise<number> {
    const frame = await this.waitFor((f) => f.type === FrameType.RST_STREAM && f.streamId === streamId, `RST_STREAM on ${streamId}`, 0, timeoutMs);
    return frame.payload.readUInt32BE(0);
  }

  /** The response HEADERS on `streamId`. */
  async response(streamId: number, timeoutMs = WAIT_MS): Promise<{ status: number; headers: HeaderField[] }> {
    const frame = await this.waitFor((f) => f.type === FrameType.HEADERS && f.streamId === streamId, `response on ${streamId}`, 0, timeoutMs);
    const status = Number(frame.headers?.find((h) => h.name === ":status")?.value);
    return { status, headers: frame.headers ?? [] };
  }

  /** The DATA received on `streamId` so far, concatenated. */
  body(streamId: number): Buffer {
    return Buffer.concat(this.frames.filter((f) => f.type === FrameType.DATA && f.streamId === streamId).map((f) => dataPayload(f)));
  }

  /** Waits until the server closes the connection. */
  async waitClosed(timeoutMs = WAIT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for the close; frames: ${describeFrames(this.frames)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

/** `:method`, `:scheme`, `:authority`, `:path`. */
export function requestHeaders(method: string, path: string): HeaderField[] {
  return [
    { name: ":method", value: method },
    { name: ":scheme", value: "http" },
    { name: ":authority", value: "localhost" },
    { name: ":path", value: path },
  ];
}

function headerFragment(frame: Frame): Buffer {
  let p = frame.payload;
  if (frame.type !== FrameType.HEADERS) return p;
  let pad = 0;
  if (frame.flags & FrameFlags.PADDED) {
    pad = p[0]!;
    p = p.subarray(1);
  }
  if (frame.flags & FrameFlags.PRIORITY) p = p.subarray(5);
  return p.subarray(0, p.length - pad);
}

function dataPayload(frame: Frame): Buffer {
  if ((frame.flags & FrameFlags.PADDED) === 0) return frame.payload;
  const pad = frame.payload[0]!;
  return frame.payload.subarray(1, frame.payload.length - pad);
}

const NAMES = Object.fromEntries(Object.entries(FrameType).map(([k, v]) => [v, k]));

/** `SETTINGS(0) HEADERS(1,es) RST_STREAM(3:7) GOAWAY(0:1)`: for failure messages. */
export function describeFrames(frames: readonly Frame[]): string {
  return frames
    .map((f) => {
      const name = NAMES[f.type] ?? `type${f.type}`;
      const code = f.type === FrameType.RST_STREAM ? `:${f.payload.readUInt32BE(0)}` : f.type === FrameType.GOAWAY ? `:${f.payload.readUInt32BE(4)}` : "";
      return `${name}(${f.streamId}${code})`;
    })
    .join(" ");
}
