/**
 * The Hono comparison suite (hono.test.ts, hono-light-response.test.ts): a
 * Hono 4 app through fromFetchHandler on our server, and the same app on
 * `@hono/node-server` over node:http: the same bytes in, the same response
 * out (compare.ts says what is normalised), over HTTP/1.1, plus the app over
 * HTTP/2 with TLS.
 */
import { once } from "node:events";
import { connect, constants } from "node:http2";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { testPki } from "@x/test-pki";
import { Server } from "@x/server";
import { Hono } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { HTTPException } from "hono/http-exception";
import { stream } from "hono/streaming";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FetchHandlerOptions, fromFetchHandler } from "../../src/index.js";
import { expectSame, header, headerValues, type Pair, sendBoth } from "./compare.js";

function honoApp(): Hono {
  const app = new Hono();
  app.get("/", (c) => c.text("Hello Hono"));
  app.get("/json", (c) => c.json({ path: c.req.path, query: c.req.queries(), ua: c.req.header("user-agent") ?? null }));
  app.get("/html", (c) => c.html("<h1>hi</h1>"));
  app.get("/users/:id", (c) => c.json({ id: c.req.param("id") }));
  app.post("/echo", async (c) => c.json({ body: await c.req.json(), type: c.req.header("content-type") }));
  app.post("/form", async (c) => c.json(await c.req.parseBody()));
  app.get("/cookies", (c) => {
    setCookie(c, "a", "1", { path: "/", httpOnly: true });
    setCookie(c, "b", "2", { maxAge: 3600, sameSite: "Lax" });
    return c.text(`had ${getCookie(c, "seen") ?? "none"}`);
  });
  app.get("/redirect", (c) => c.redirect("/json?from=redirect"));
  app.get("/status", (c) => c.body(null, 204));
  app.get("/teapot", (c) => c.text("short and stout", 418));
  app.get("/headers", (c) => {
    c.header("x-one", "1");
    c.header("x-many", "a");
    c.header("x-many", "b", { append: true });
    c.header("cache-control", "no-store");
    return c.text("headers");
  });
  app.get("/stream", (c) =>
    stream(c, async (s) => {
      for (let i = 0; i < 4; i++) {
        await s.write(`chunk ${i}\n`);
        await s.sleep(2);
      }
    }),
  );
  app.get("/http-error", () => {
    throw new HTTPException(401, { message: "who are you" });
  });
  app.get("/crash", () => {
    throw new Error("secret detail");
  });
  app.onError((error, c) => (error instanceof HTTPException ? error.getResponse() : c.text("custom 500", 500)));
  app.notFound((c) => c.text("nothing here", 404));
  return app;
}

/** Registers the suite; `options` go to fromFetchHandler. */
export function honoSuite(options: FetchHandlerOptions): void {
let pair: Pair;
const stops: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  const app = honoApp();
  // overrideGlobalObjects: false keeps this process's Request/Response the platform's.
  const nodeServer = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1", overrideGlobalObjects: false });
  if (!nodeServer.listening) await once(nodeServer, "listening");
  stops.push(() => new Promise((resolve) => nodeServer.close(resolve)));
  const ours = new Server();
  ours.options.addServerHeader = false;
  ours.options.listen("127.0.0.1", 0);
  await ours.start(fromFetchHandler(app.fetch, options));
  stops.push(() => ours.stop(1_000));
  const nodePort = (nodeServer.address() as AddressInfo).port;
  const oursPort = Number(new URL(ours.addresses[0]!).port);
  pair = {
    node: { side: "node", server: nodeServer as never, port: nodePort },
    ours: { side: "ours", server: null as never, port: oursPort },
    close: async () => {},
  };
});
afterAll(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

describe("Hono on fromFetchHandler answers as on @hono/node-server", () => {
  it.each([
    ["GET", "/"],
    ["HEAD", "/"],
    ["GET", "/json?a=1&a=2&b=x"],
    ["GET", "/html"],
    ["GET", "/users/42"],
    ["GET", "/redirect"],
    ["GET", "/status"],
    ["GET", "/teapot"],
    ["GET", "/headers"],
    ["GET", "/http-error"],
    ["GET", "/crash"],
    ["GET", "/missing"],
    ["DELETE", "/"],
  ])("%s %s", async (method, path) => {
    // A fetch Response carries no reason phrase: @hono/node-server writes node's table's
    // (418 "I'm a Teapot"), ours the IANA registry's ("I'm a teapot").
    const res = expectSame(await sendBoth(pair, { method, path, headers: [["User-Agent", "compare"]] }), { ignoreStatusMessage: path === "/teapot" });
    if (path === "/crash") expect(res.body.toString()).toBe("custom 500");
  });

  it("sets several cookies and reads them", async () => {
    const res = expectSame(await sendBoth(pair, { path: "/cookies", headers: [["Cookie", "seen=yes"]] }));
    expect(headerValues(res, "set-cookie")).toHaveLength(2);
    expect(res.body.toString()).toBe("had yes");
  });

  it("parses JSON and form bodies", async () => {
    const json = expectSame(await sendBoth(pair, { method: "POST", path: "/echo", headers: [["Content-Type", "application/json"]], body: '{"x":[1,2]}' }));
    expect(JSON.parse(json.body.toString())).toEqual({ body: { x: [1, 2] }, type: "application/json" });
    const form = expectSame(await sendBoth(pair, { method: "POST", path: "/form", headers: [["Content-Type", "application/x-www-form-urlencoded"]], body: "a=1&b=two" }));
    expect(JSON.parse(form.body.toString())).toEqual({ a: "1", b: "two" });
  });

  it("streams with hono/streaming", async () => {
    // @hono/node-server gives a stream without Content-Type "text/plain; charset=UTF-8";
    // ours sends the headers the Response has, and hono/streaming sets none.
    const both = await sendBoth(pair, { path: "/stream" });
    const res = expectSame(both, { ignoreHeaders: ["content-type"] });
    expect(header(res, "content-type")).toBeUndefined();
    expect(res.body.toString()).toBe("chunk 0\nchunk 1\nchunk 2\nchunk 3\n");
    expect(header(res, "transfer-encoding")).toBe("chunked");
  });
});

describe("Hono over HTTP/2 with TLS", () => {
  it("serves the app to an h2 client", async () => {
    const pki = await testPki();
    const server = new Server();
    server.options.listen("127.0.0.1", 0, (lo) => lo.useHttps({ cert: pki.a.cert, key: pki.a.key }));
    await server.start(fromFetchHandler(honoApp().fetch, options));
    stops.push(() => server.stop(1_000));
    const session = connect(server.addresses[0]!, { ca: pki.ca.cert, servername: "a.test" });
    try {
      const get = async (path: string) => {
        const req = session.request({ ":path": path });
        req.end();
        const [headers] = (await once(req, "response")) as [Record<string, string | string[]>];
        let body = "";
        for await (const chunk of req) body += chunk;
        return { status: headers[constants.HTTP2_HEADER_STATUS], headers, body };
      };
      const json = await get("/json?a=1");
      expect(json.status).toBe(200);
      expect(JSON.parse(json.body)).toEqual({ path: "/json", query: { a: ["1"] }, ua: null });
      const cookies = await get("/cookies");
      expect(cookies.headers["set-cookie"]).toHaveLength(2);
      const streamed = await get("/stream");
      expect(streamed.body).toBe("chunk 0\nchunk 1\nchunk 2\nchunk 3\n");
    } finally {
      session.close();
    }
  });
});
}
