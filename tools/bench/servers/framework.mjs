// One framework's "Hello, World!" app on one stack, for frameworks.mjs.
//   FRAMEWORK = node (a plain (req, res) listener) | express | fastify | hono
//   STACK     = node (node:http; @hono/node-server for hono) | x (@x/node-compat on @x/server)
import { createServer as createNodeServer } from "node:http";

const framework = process.env.FRAMEWORK ?? "node";
const stack = process.env.STACK ?? "x";
const text = "Hello, World!";
const body = Buffer.from(text);

async function createServerFor() {
  if (stack === "node") return createNodeServer;
  return (await import("@x/node-compat")).createServer;
}

function announce(port) {
  process.stdout.write(`listening ${port}\n`);
}

let close = async () => {};

if (framework === "node") {
  const createServer = await createServerFor();
  const server = createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/plain", "content-length": body.length });
    res.end(body);
  });
  server.keepAliveTimeout = 130_000;
  server.listen(0, "127.0.0.1", () => announce(server.address().port));
  close = () => new Promise((r) => server.close(r));
} else if (framework === "express") {
  const express = (await import("express")).default;
  const app = express();
  app.get("/", (req, res) => res.send(text));
  const createServer = await createServerFor();
  const server = createServer(app);
  server.keepAliveTimeout = 130_000;
  server.listen(0, "127.0.0.1", () => announce(server.address().port));
  close = () => new Promise((r) => server.close(r));
} else if (framework === "fastify") {
  const Fastify = (await import("fastify")).default;
  const createServer = await createServerFor();
  const fastify = Fastify({
    keepAliveTimeout: 130_000,
    ...(stack === "x" ? { serverFactory: (handler) => createServer(handler) } : {}),
  });
  fastify.get("/", async () => text);
  await fastify.listen({ port: 0, host: "127.0.0.1" });
  announce(fastify.server.address().port);
  close = () => fastify.close();
} else if (framework === "hono") {
  const { Hono } = await import("hono");
  const app = new Hono();
  app.get("/", (c) => c.text(text));
  if (stack === "node") {
    const { serve } = await import("@hono/node-server");
    const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => announce(info.port));
    server.keepAliveTimeout = 130_000;
    close = () => new Promise((r) => server.close(r));
  } else {
    const { Server } = await import("@x/server");
    const { fromFetchHandler } = await import("@x/node-compat");
    const server = new Server();
    server.options.addServerHeader = false;
    server.options.listen("127.0.0.1", 0);
    await server.start(fromFetchHandler(app.fetch, { overrideGlobalResponse: process.env.PLATFORM_RESPONSE !== "1" }));
    announce(new URL(server.addresses[0]).port);
    close = () => server.stop(1000);
  }
} else {
  throw new Error(`unknown FRAMEWORK ${framework}`);
}

process.on("SIGTERM", () => close().then(() => process.exit(0)));
process.on("SIGUSR2", () => globalThis.gc?.());
