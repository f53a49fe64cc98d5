import { connect as h2connect } from "node:http2";
import type { Socket } from "node:net";
import { type AccessLogEntry, ManualClock } from "@x/abstractions";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Server, ServerOptions } from "../src/index.js";
import { portOf, readResponse, readToClose, Resources, within } from "./helpers.js";

const res = new Resources();
afterEach(() => res.cleanup());

async function start(configure: (options: ServerOptions) => void = () => {}, clock?: ManualClock) {
  const entries: AccessLogEntry[] = [];
  const options = new ServerOptions();
  options.accessLog.sink = (entry) => entries.push(entry);
  configure(options);
  const server = res.server(new Server(options, clock ? { clock, startHeartbeatTimer: false } : {}));
  server.options.listen("127.0.0.1", 0, (lo) => {
    lo.protocols = "Http1AndHttp2";
  });
  await server.start(async (ctx) => {
    if (ctx.request.path === "/upload") await ctx.request.body.buffer();
    if (ctx.request.path === "/teapot") ctx.response.statusCode = 418;
    await ctx.response.end("hello!");
  });
  return { server, entries, port: portOf(server.addresses[0]!) };
}

async function raw(port: number, request: string): Promise<string> {
  const socket: Socket = await res.connect({ host: "127.0.0.1", port });
  const received = readToClose(socket);
  socket.write(request);
  return received;
}

describe("the access log", () => {
  it("writes one entry per HTTP/1.1 request with method, target, status, bytes, duration and protocol", async () => {
    const { entries, port } = await start();
    const socket = await res.connect({ host: "127.0.0.1", port });
    socket.write("GET /teapot?x=1 HTTP/1.1\r\nHost: a\r\n\r\n");
    expect((await readResponse(socket)).status).toBe(418);
    socket.write("HEAD / HTTP/1.0\r\nHost: a\r\n\r\n");
    await vi.waitFor(() => expect(entries).toHaveLength(2), { timeout: 3_000 });
    expect(entries[0]).toMatchObject({ method: "GET", path: "/teapot?x=1", status: 418, bytes: 6, protocol: "HTTP/1.1", rejected: false, aborted: false, remoteAddress: "127.0.0.1" });
    expect(entries[0]!.durationMs).toBeGreaterThanOrEqual(0);
    expect(entries[0]!.connectionId).toMatch(/^[0-9A-Z]{13}$/);
    expect(entries[1]).toMatchObject({ method: "HEAD", path: "/", status: 200, protocol: "HTTP/1.0" });
  });

  it.each([
    ["431, too many header bytes", (o: ServerOptions) => (o.limits.maxRequestHeadersTotalSize = 100), `GET /big HTTP/1.1\r\nHost: a\r\nX-Big: ${"x".repeat(200)}\r\n\r\n`, 431, "GET", "/big"],
    ["414, request line too long", (o: ServerOptions) => (o.limits.maxRequestLineSize = 64), `GET /${"a".repeat(100)} HTTP/1.1\r\nHost: a\r\n\r\n`, 414, "", ""],
    ["400, a malformed header", () => {}, "GET /bad HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n", 400, "GET", "/bad"],
    ["400, no Host", () => {}, "GET /nohost HTTP/1.1\r\n\r\n", 400, "GET", "/nohost"],
    ["505, an unknown version", () => {}, "GET / HTTP/1.7\r\nHost: a\r\n\r\n", 505, "", ""],
  ])("logs a request the server rejects itself: %s", async (_name, configure, request, status, method, path) => {
    const { entries, port } = await start(configure);
    const response = await raw(port, request);
    expect(response).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    await vi.waitFor(() => expect(entries).toHaveLength(1), { timeout: 3_000 });
    expect(entries[0]).toMatchObject({ status, rejected: true, bytes: 0, protocol: "HTTP/1.1" });
    if (method !== "") expect(entries[0]).toMatchObject({ method, path });
  });

  it("logs 413 for a body over maxRequestBodySize, and 408 for request headers that never finish", async () => {
    const clock = new ManualClock();
    const { server, entries, port } = await start((o) => {
      o.limits.maxRequestBodySize = 10;
      o.limits.requestHeadersTimeout = 2_000;
    }, clock);
    const tooBig = await raw(port, "POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n");
    expect(tooBig).toMatch(/^HTTP\/1\.1 413 /);
    await vi.waitFor(() => expect(entries).toHaveLength(1), { timeout: 3_000 });
    expect(entries[0]).toMatchObject({ method: "POST", path: "/upload", status: 413 });

    const slow = await res.connect({ host: "127.0.0.1", port });
    const received = readToClose(slow);
    slow.write("GET /slowloris HTTP/1.1\r\nHost: a\r\n");
    await vi.waitFor(
      () => {
        clock.advance(2_001);
        server.heartbeat.tick();
        expect(slow.destroyed).toBe(true);
      },
      { timeout: 3_000, interval: 20 },
    );
    expect(await received).toMatch(/^HTTP\/1\.1 408 /);
    expect(entries[1]).toMatchObject({ method: "GET", path: "/slowloris", status: 408, rejected: true });
  });

  it("logs HTTP/2 streams, including a 431 the server answers itself", async () => {
    const { entries, port } = await start((o) => {
      o.limits.maxRequestHeadersTotalSize = 1_000;
    });
    const session = h2connect(`http://127.0.0.1:${port}`);
    session.on("error", () => {});
    try {
      const get = (headers: Record<string, string>) =>
        within(
          5_000,
          new Promise<number>((resolve, reject) => {
            const stream = session.request(headers);
            stream.on("response", (h) => resolve(Number(h[":status"])));
            stream.on("error", reject);
            stream.resume();
          }),
          "h2 request",
        );
      expect(await get({ ":path": "/h2?q" })).toBe(200);
      expect(await get({ ":path": "/huge", "x-big": "y".repeat(2_000) })).toBe(431);
    } finally {
      session.close();
    }
    await vi.waitFor(() => expect(entries).toHaveLength(2), { timeout: 3_000 });
    expect(entries[0]).toMatchObject({ method: "GET", path: "/h2?q", status: 200, bytes: 6, protocol: "HTTP/2", rejected: false });
    expect(entries[1]).toMatchObject({ method: "GET", path: "/huge", status: 431, protocol: "HTTP/2", rejected: true });
  });

  it("stops writing when the sink is cleared, and a throwing sink does not disturb requests", async () => {
    const { server, entries, port } = await start();
    const socket = await res.connect({ host: "127.0.0.1", port });
    socket.write("GET /1 HTTP/1.1\r\nHost: a\r\n\r\n");
    await readResponse(socket);
    server.options.accessLog.sink = null;
    socket.write("GET /2 HTTP/1.1\r\nHost: a\r\n\r\n");
    await readResponse(socket);
    server.options.accessLog.sink = () => {
      throw new Error("broken sink");
    };
    socket.write("GET /3 HTTP/1.1\r\nHost: a\r\n\r\n");
    expect((await readResponse(socket)).body).toBe("hello!");
    expect(entries.map((e) => e.path)).toEqual(["/1"]);
  });
});
