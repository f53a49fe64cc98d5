/**
 * Node-style apps inside the generic host: an Express app through
 * `fromNodeHandler` sits behind host filtering, forwarded headers, the
 * access log and `Kestrel:Limits`, answers WebSocket upgrades through
 * `onUpgrade`, and node middleware that calls `next()` falls through to
 * the rest of our pipeline.
 */
import { type AppHost, Host, type WebHostBuilder } from "@x/hosting";
import express from "express";
import { once } from "node:events";
import { Readable } from "node:stream";
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import { fromNodeHandler, fromNodeMiddleware } from "../src/index.js";

interface LogLine {
  msg: string;
  category?: string;
  [key: string]: unknown;
}

const hosts: AppHost[] = [];
afterEach(async () => {
  await Promise.allSettled(hosts.splice(0).map((h) => h.stop()));
});

async function startHost(args: string[], env: NodeJS.ProcessEnv, configure: (web: WebHostBuilder) => WebHostBuilder) {
  const lines: LogLine[] = [];
  const host = Host.createDefaultBuilder(["--urls", "http://127.0.0.1:0", ...args], env)
    .configureLogging((_, o) => {
      o.destination = { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) };
    })
    .configureWebHostDefaults(configure)
    .build();
  hosts.push(host);
  await host.start();
  return { host, url: host.server!.addresses[0]!, lines };
}

function expressApp() {
  const app = express();
  app.use(express.json());
  app.get("/who", (req, res) => res.json({ ip: req.ip, protocol: req.protocol, host: req.hostname, url: req.url }));
  app.post("/echo", (req, res) => res.json(req.body));
  app.post("/raw", express.raw({ limit: "100mb", type: "*/*" }), (req, res) => res.send(`got ${(req.body as Buffer).length}`));
  return app;
}

describe("fromNodeHandler inside the host", () => {
  it("serves an Express app, behind AllowedHosts: a host that is not allowed gets 400 before Express sees it", async () => {
    let seen = 0;
    const app = expressApp();
    app.use((_req, _res, next) => {
      seen++;
      next();
    });
    const { url } = await startHost(["--AllowedHosts", "localhost;127.0.0.1"], {}, (web) => web.configure((a) => a.run(fromNodeHandler(app))));
    const ok = await request(`${url}/who`);
    expect(ok.statusCode).toBe(200);
    expect(await ok.body.json()).toEqual({ ip: "127.0.0.1", protocol: "http", host: "127.0.0.1", url: "/who" });
    const denied = await request(`${url}/who`, { headers: { host: "evil.example" } });
    expect(denied.statusCode).toBe(400);
    await denied.body.dump();
    const posted = await request(`${url}/echo`, { method: "POST", body: JSON.stringify({ a: [1, 2] }), headers: { "content-type": "application/json" } });
    expect(await posted.body.json()).toEqual({ a: [1, 2] });
    expect(seen).toBe(0);
  });

  it("shows Express the client that the trusted proxy reports when forwarded headers are on", async () => {
    const { url } = await startHost([], { ASPNETCORE_FORWARDEDHEADERS_ENABLED: "true" }, (web) => web.configure((a) => a.run(fromNodeHandler(expressApp()))));
    const res = await request(`${url}/who`, { headers: { "x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "https" } });
    expect(await res.body.json()).toMatchObject({ ip: "203.0.113.7", protocol: "https" });
  });

  it("answers a body over Kestrel:Limits:MaxRequestBodySize with 413, not the 500 of a failed handler", async () => {
    const { url } = await startHost(["--Kestrel:Limits:MaxRequestBodySize", "1000"], {}, (web) => web.configure((a) => a.run(fromNodeHandler(expressApp()))));
    const small = await request(`${url}/raw`, { method: "POST", body: Buffer.alloc(500), headers: { "content-type": "application/octet-stream" } });
    expect(await small.body.text()).toBe("got 500");
    const big = await request(`${url}/raw`, { method: "POST", body: Buffer.alloc(5000), headers: { "content-type": "application/octet-stream" } });
    expect(big.statusCode).toBe(413);
    await big.body.dump();
    // Chunked, so the size is only known while reading.
    async function* chunks() {
      for (let i = 0; i < 10; i++) yield Buffer.alloc(500);
    }
    const streamed = await request(`${url}/raw`, { method: "POST", body: Readable.from(chunks()), headers: { "content-type": "application/octet-stream" } });
    expect(streamed.statusCode).toBe(413);
    await streamed.body.dump();
  });

  it("writes one access log entry per request with the status Express answered", async () => {
    const { url, lines } = await startHost(["--AccessLog:Enabled", "true"], {}, (web) => web.configure((a) => a.run(fromNodeHandler(expressApp()))));
    const res = await request(`${url}/nowhere`);
    expect(res.statusCode).toBe(404);
    await res.body.dump();
    await new Promise((r) => setTimeout(r, 50));
    const entries = lines.filter((l) => JSON.stringify(l).includes("/nowhere"));
    expect(entries.length).toBe(1);
    expect(JSON.stringify(entries[0])).toContain("404");
  });

  it("serves WebSocket upgrades through onUpgrade (ws's handleUpgrade)", async () => {
    const wss = new WebSocketServer({ noServer: true });
    wss.on("connection", (ws) => ws.on("message", (m, binary) => ws.send(binary ? m : `echo ${String(m)}`)));
    const { url } = await startHost([], {}, (web) =>
      web.configure((a) => a.run(fromNodeHandler(expressApp(), { onUpgrade: (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req)) }))),
    );
    const ws = new WebSocket(url.replace("http", "ws"));
    await once(ws, "open");
    ws.send("hi");
    const [message] = await once(ws, "message");
    expect(String(message)).toBe("echo hi");
    // Ordinary requests go on while the socket is open.
    const res = await request(`${url}/who`);
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    ws.close();
    await once(ws, "close");
    wss.close();
  });
});

describe("fromNodeMiddleware inside the host", () => {
  it("lets node middleware that calls next() fall through to the rest of the pipeline, keeping the headers it set", async () => {
    const stamp = (_req: unknown, res: { setHeader(n: string, v: string): void }, next: () => void) => {
      res.setHeader("X-Stamp", "node");
      next();
    };
    const { url } = await startHost([], {}, (web) =>
      web.configure((a) =>
        a.use(fromNodeMiddleware(stamp as never)).run(async (ctx) => {
          await ctx.response.end(`ours ${ctx.request.path}`);
        }),
      ),
    );
    const res = await request(`${url}/p`);
    expect(res.headers["x-stamp"]).toBe("node");
    expect(await res.body.text()).toBe("ours /p");
  });

  it("lets an Express app answer the routes it has and pass the others on", async () => {
    const app = express();
    app.get("/express", (_req, res) => res.send("from express"));
    const { url } = await startHost([], {}, (web) => web.configure((a) => a.use(fromNodeMiddleware(app)).run((ctx) => ctx.response.end("from the pipeline"))));
    expect(await (await request(`${url}/express`)).body.text()).toBe("from express");
    expect(await (await request(`${url}/other`)).body.text()).toBe("from the pipeline");
  });
});
