/**
 * The README's section per framework (Fastify, Koa, Hono, ws, socket.io,
 * the host): each example equals its README block and runs for real, on
 * port 0.
 */
import { once } from "node:events";
import type { AppHost } from "@x/hosting";
import type { Server } from "@x/server";
import { readmeBlock, runModule, sourceImport, substituteOnce } from "@x/test-support";
import type { FastifyInstance } from "fastify";
import { io as connectSocketIo } from "socket.io-client";
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import type { CompatServer } from "../src/index.js";

const README = new URL("../README.md", import.meta.url);
const SOURCE = new URL("../src/index.ts", import.meta.url);
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const block = (name: string) => readmeBlock(README, "ts", `<!-- readme-example: ${name} -->`);

/** Runs `example` against the sources, with `replacements` applied once each, exporting `exported`. */
function run<T>(example: string, replacements: [string, string][], exported: string): Promise<T> {
  let code = sourceImport(example, "@x/node-compat", SOURCE);
  for (const [search, replacement] of replacements) code = substituteOnce(code, search, replacement);
  return runModule<T>(`${code}\nexport { ${exported} };\n`, import.meta.url);
}

function closeCompat(server: CompatServer): Promise<unknown> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(resolve));
}

const FASTIFY = `import { createServer } from "@x/node-compat";
import Fastify from "fastify";

const fastify = Fastify({ serverFactory: (handler) => createServer(handler) });
fastify.get("/", async () => ({ hello: "world" }));
await fastify.listen({ port: 3000 });
`;

const KOA = `import { createServer } from "@x/node-compat";
import Koa from "koa";

const app = new Koa();
app.use(async (ctx) => {
  ctx.body = { path: ctx.path, ip: ctx.ip };
});

const server = createServer(app.callback()).listen(3000);
`;

const HONO = `import { fromFetchHandler } from "@x/node-compat";
import { Server } from "@x/server";
import { Hono } from "hono";

const app = new Hono();
app.get("/", (c) => c.text("Hello Hono!"));
app.post("/echo", async (c) => c.json(await c.req.json()));

const server = new Server();
server.options.listen("127.0.0.1", 3000);
await server.start(fromFetchHandler(app.fetch));
`;

const WS = `import { createServer } from "@x/node-compat";
import { WebSocketServer } from "ws";

const server = createServer((req, res) => res.end("WebSockets on the same port"));
const wss = new WebSocketServer({ server });
wss.on("connection", (ws) => {
  ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
});
server.listen(3000);
`;

const SOCKET_IO = `import { createServer } from "@x/node-compat";
import { Server } from "socket.io";

const server = createServer();
const io = new Server(server);
io.on("connection", (socket) => {
  socket.on("hello", (name, ack) => ack(\`hello, \${name}\`));
});
server.listen(3000);
`;

const HOST = `import { Host } from "@x/hosting";
import { fromNodeHandler } from "@x/node-compat";
import express from "express";

const app = express();
app.get("/", (req, res) => res.json({ ip: req.ip, host: req.hostname }));

const host = Host.createDefaultBuilder(process.argv.slice(2))
  .configureWebHostDefaults((web) => web.configure((pipeline) => pipeline.run(fromNodeHandler(app))))
  .build();
await host.start();
`;

describe("README examples per framework", () => {
  it.each([
    ["fastify", FASTIFY],
    ["koa", KOA],
    ["hono", HONO],
    ["ws", WS],
    ["socket.io", SOCKET_IO],
    ["host", HOST],
  ])("%s is the README's block", (name, example) => {
    expect(block(name)).toBe(example);
  });

  it("Fastify through serverFactory", async () => {
    const { fastify } = await run<{ fastify: FastifyInstance }>(FASTIFY, [["port: 3000", 'port: 0, host: "127.0.0.1"']], "fastify");
    cleanups.push(() => fastify.close());
    const { port } = fastify.server.address() as { port: number };
    const res = await request(`http://127.0.0.1:${port}/`);
    expect(await res.body.json()).toEqual({ hello: "world" });
  });

  it("Koa", async () => {
    const { server } = await run<{ server: CompatServer }>(KOA, [["listen(3000)", 'listen(0, "127.0.0.1")']], "server");
    cleanups.push(() => closeCompat(server));
    if (!server.listening) await once(server, "listening");
    const res = await request(`http://127.0.0.1:${(server.address() as { port: number }).port}/hello`);
    expect(await res.body.json()).toEqual({ path: "/hello", ip: "127.0.0.1" });
  });

  it("Hono through fromFetchHandler", async () => {
    const { server } = await run<{ server: Server }>(HONO, [["3000", "0"]], "server");
    cleanups.push(() => server.stop(1_000));
    const url = server.addresses[0]!;
    expect(await (await request(`${url}/`)).body.text()).toBe("Hello Hono!");
    const echo = await request(`${url}/echo`, { method: "POST", body: '{"a":1}', headers: { "content-type": "application/json" } });
    expect(await echo.body.json()).toEqual({ a: 1 });
  });

  it("ws on the same port as HTTP", async () => {
    const { server } = await run<{ server: CompatServer }>(WS, [["listen(3000)", 'listen(0, "127.0.0.1")']], "server");
    cleanups.push(() => closeCompat(server));
    if (!server.listening) await once(server, "listening");
    const { port } = server.address() as { port: number };
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    cleanups.push(() => ws.terminate());
    await once(ws, "open");
    ws.send("ping");
    const [data] = await once(ws, "message");
    expect(String(data)).toBe("ping");
    expect(await (await request(`http://127.0.0.1:${port}/`)).body.text()).toBe("WebSockets on the same port");
  });

  it("socket.io", async () => {
    const { server } = await run<{ server: CompatServer }>(SOCKET_IO, [["listen(3000)", 'listen(0, "127.0.0.1")']], "server");
    cleanups.push(() => closeCompat(server));
    if (!server.listening) await once(server, "listening");
    const client = connectSocketIo(`http://127.0.0.1:${(server.address() as { port: number }).port}`, { transports: ["websocket"], reconnection: false });
    cleanups.push(() => client.close());
    expect(await client.timeout(5_000).emitWithAck("hello", "you")).toBe("hello, you");
  });

  it("an Express app inside the host", async () => {
    const { host } = await run<{ host: AppHost }>(HOST, [["process.argv.slice(2)", '["--urls", "http://127.0.0.1:0"], {}']], "host");
    cleanups.push(() => host.stop());
    const res = await request(`${host.server!.addresses[0]}/`);
    expect(await res.body.json()).toEqual({ ip: "127.0.0.1", host: "127.0.0.1" });
  });
});
