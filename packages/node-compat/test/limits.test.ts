/**
 * Kestrel's limits and hardening under all three entry points (createServer,
 * fromNodeHandler inside the host, fromFetchHandler): a body over
 * maxRequestBodySize gets 413, a client too slow with its head gets 408, a
 * client too slow with its body is cut off, and a malformed request never
 * reaches the app.
 */
import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { minDataRate } from "@x/abstractions";
import { Host, type AppHost } from "@x/hosting";
import { Server } from "@x/server";
import express from "express";
import { afterEach, describe, expect, it } from "vitest";
import { createServer, fromFetchHandler, fromNodeHandler } from "../src/index.js";
import { within } from "./support/compare.js";

const stops: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

/** What the app saw, for the "never reaches the app" checks. */
let seen: string[] = [];

function expressApp() {
  const app = express();
  app.post("/upload", express.raw({ limit: "100mb", type: "*/*" }), (req, res) => res.send(`got ${(req.body as Buffer).length}`));
  app.use((req, res) => {
    seen.push(req.url);
    res.send("app");
  });
  return app;
}

const LIMITS = { maxRequestBodySize: 10_000, requestHeadersTimeout: 1_500, minRequestBodyDataRate: minDataRate(10_000, 1_500) };

type Entry = { name: string; start(): Promise<number> };
const entries: Entry[] = [
  {
    name: "createServer",
    async start() {
      const server = createServer({ limits: LIMITS }, expressApp());
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      stops.push(() => {
        server.closeAllConnections();
        return new Promise((r) => server.close(r));
      });
      return (server.address() as { port: number }).port;
    },
  },
  {
    name: "fromNodeHandler in the host",
    async start() {
      const host: AppHost = Host.createDefaultBuilder(
        ["--urls", "http://127.0.0.1:0", "--Kestrel:Limits:MaxRequestBodySize", "10000", "--Kestrel:Limits:RequestHeadersTimeout", "00:00:01.5", "--Logging:LogLevel:Default", "None"],
        {},
      )
        .configureWebHostDefaults((web) =>
          web
            .configureKestrel((_context, o) => void (o.limits.minRequestBodyDataRate = LIMITS.minRequestBodyDataRate))
            .configure((a) => a.run(fromNodeHandler(expressApp()))),
        )
        .build();
      await host.start();
      stops.push(() => host.stop());
      return Number(new URL(host.server!.addresses[0]!).port);
    },
  },
  {
    name: "fromFetchHandler",
    async start() {
      const server = new Server();
      Object.assign(server.options.limits, LIMITS);
      server.options.listen("127.0.0.1", 0);
      await server.start(
        fromFetchHandler(async (req) => {
          const url = new URL(req.url);
          if (url.pathname === "/upload") return new Response(`got ${(await req.arrayBuffer()).byteLength}`);
          seen.push(url.pathname);
          return new Response("app");
        }),
      );
      stops.push(() => server.stop(1_000));
      return Number(new URL(server.addresses[0]!).port);
    },
  },
];

async function open(port: number): Promise<{ socket: Socket; text: () => string; closed: Promise<unknown> }> {
  const socket = connect(port, "127.0.0.1");
  await once(socket, "connect");
  let text = "";
  socket.on("data", (c) => (text += c));
  socket.on("error", () => {});
  const closed = new Promise((resolve) => socket.on("close", resolve));
  stops.push(async () => socket.destroy());
  return { socket, text: () => text, closed };
}

describe.each(entries)("$name keeps Kestrel's limits", (entry) => {
  it("answers 413 for a body over maxRequestBodySize (declared or streamed)", async () => {
    const port = await entry.start();
    const declared = await open(port);
    declared.socket.write(`POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 20000\r\n\r\n${"a".repeat(20_000)}`);
    await within(declared.closed, "413 (declared)");
    expect(declared.text()).toMatch(/^HTTP\/1\.1 413 /);
    const chunked = await open(port);
    chunked.socket.write(`POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n4e20\r\n${"a".repeat(20_000)}\r\n0\r\n\r\n`);
    await within(chunked.closed, "413 (chunked)");
    expect(chunked.text()).toMatch(/^HTTP\/1\.1 413 /);
  });

  it("answers 408 to a head that does not arrive within requestHeadersTimeout", async () => {
    const port = await entry.start();
    const slow = await open(port);
    slow.socket.write("GET / HTTP/1.1\r\nHost: x\r\n");
    await within(slow.closed, "408", 8_000);
    expect(slow.text()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it("cuts off a body that arrives below minRequestBodyDataRate", async () => {
    const port = await entry.start();
    const slow = await open(port);
    const started = Date.now();
    slow.socket.write("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 5000\r\n\r\nabc");
    const drip = setInterval(() => slow.socket.write("x"), 200);
    try {
      await within(slow.closed, "cut off", 10_000);
    } finally {
      clearInterval(drip);
    }
    expect(slow.text()).not.toContain("got ");
    // 408 (the app sees the error with status 408 and answers it, or the server does), then closed.
    expect(slow.text()).toMatch(/^HTTP\/1\.1 408 /);
    expect(Date.now() - started).toBeGreaterThan(1_000);
  });

  it("never hands a malformed request to the app", async () => {
    seen = [];
    const port = await entry.start();
    for (const bytes of ["GET /bad HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", "GET /dup HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "GET /nohost HTTP/1.1\r\n\r\n"]) {
      const client = await open(port);
      client.socket.write(bytes);
      await within(client.closed, "400");
      expect(client.text()).toMatch(/^HTTP\/1\.1 400 /);
    }
    expect(seen).toEqual([]);
  });
});
