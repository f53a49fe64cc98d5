/**
 * Koa 3 (its `app.callback()`) and Fastify 5 (its `serverFactory`) on
 * node:http and on ours: the same bytes in, the same response out.
 */
import Fastify from "fastify";
import Koa from "koa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectSame, header, type Pair, sendBoth, startPair } from "./support/compare.js";

describe("Koa 3 on ours answers as on node:http", () => {
  let pair: Pair;
  beforeAll(async () => {
    const app = new Koa();
    app.use(async (ctx, next) => {
      try {
        await next();
      } catch (error) {
        const e = error as { status?: number; message: string };
        ctx.status = e.status ?? 500;
        ctx.body = { error: e.message };
      }
    });
    app.use(async (ctx) => {
      if (ctx.path === "/json") ctx.body = { method: ctx.method, query: ctx.query, ip: ctx.ip, host: ctx.host, protocol: ctx.protocol };
      else if (ctx.path === "/echo") {
        const chunks: Buffer[] = [];
        for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
        ctx.type = "text/plain";
        ctx.body = Buffer.concat(chunks);
      } else if (ctx.path === "/cookie") {
        ctx.cookies.set("k", "v", { httpOnly: true, expires: new Date("2030-01-01T00:00:00Z") });
        ctx.body = "cookie";
      } else if (ctx.path === "/redirect") ctx.redirect("/json");
      else if (ctx.path === "/throw") ctx.throw(422, "bad thing");
      else if (ctx.path === "/crash") throw new Error("crash");
      else if (ctx.path === "/empty") ctx.status = 204;
    });
    app.silent = true;
    pair = await startPair(app.callback());
  });
  afterAll(() => pair?.close());

  it.each([
    ["GET", "/json?a=1"],
    ["HEAD", "/json"],
    ["GET", "/cookie"],
    ["GET", "/redirect"],
    ["GET", "/throw"],
    ["GET", "/crash"],
    ["GET", "/empty"],
    ["GET", "/missing"],
  ])("%s %s", async (method, path) => {
    expectSame(await sendBoth(pair, { method, path }));
  });

  it("echoes a body read with for await", async () => {
    const res = expectSame(await sendBoth(pair, { method: "POST", path: "/echo", body: ["first,", "second"], gapMs: 5 }));
    expect(res.body.toString()).toBe("first,second");
  });
});

describe("Fastify 5 through serverFactory on ours answers as on node:http", () => {
  let pair: Pair;
  const apps: ReturnType<typeof Fastify>[] = [];
  beforeAll(async () => {
    pair = await startPair({
      builder: async (create) => {
        let server: ReturnType<typeof create> | undefined;
        const app = Fastify({
          serverFactory: (handler) => {
            server = create(handler);
            return server as never;
          },
        });
        apps.push(app);
        app.get("/json", async (req) => ({ query: req.query, ip: req.ip, hostname: req.hostname, protocol: req.protocol }));
        app.post("/echo", async (req) => ({ body: req.body }));
        app.get("/stream", (_req, reply) => {
          reply.type("text/plain").send(Buffer.from("streamed body"));
        });
        app.get("/error", async () => {
          throw Object.assign(new Error("teapot"), { statusCode: 418 });
        });
        app.get("/header", async (_req, reply) => {
          reply.header("x-a", "1").header("set-cookie", ["a=1", "b=2"]).code(201);
          return "headers";
        });
        await app.ready();
        return server!;
      },
    });
  });
  afterAll(async () => {
    await pair?.close();
    for (const app of apps) await app.close().catch(() => undefined);
  });

  it.each([
    ["GET", "/json?x=y"],
    ["HEAD", "/json"],
    ["GET", "/stream"],
    ["GET", "/error"],
    ["GET", "/header"],
    ["GET", "/nope"],
  ])("%s %s", async (method, path) => {
    expectSame(await sendBoth(pair, { method, path }));
  });

  it("parses JSON, rejects a bad one with 400, and an unknown type with 415", async () => {
    const ok = expectSame(await sendBoth(pair, { method: "POST", path: "/echo", headers: [["Content-Type", "application/json"]], body: '{"a":1}' }));
    expect(JSON.parse(ok.body.toString())).toEqual({ body: { a: 1 } });
    const bad = expectSame(await sendBoth(pair, { method: "POST", path: "/echo", headers: [["Content-Type", "application/json"]], body: "{" }));
    expect(bad.status).toBe(400);
    const unknown = expectSame(await sendBoth(pair, { method: "POST", path: "/echo", headers: [["Content-Type", "application/x-nope"]], body: "x" }));
    expect(unknown.status).toBe(415);
    expect(header(unknown, "content-type")).toMatch(/json/);
  });
});
