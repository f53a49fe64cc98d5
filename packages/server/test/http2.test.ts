/**
 * HTTP/2 through the whole server with node:http2 as the client: cleartext
 * with prior knowledge, preface detection on Http1AndHttp2 endpoints, TLS
 * with ALPN, request and response bodies under flow control, trailers,
 * concurrency, resets and graceful shutdown.
 */
import { once } from "node:events";
import * as http2 from "node:http2";
import { HttpResetFeature, type RequestDelegate } from "@x/abstractions";
import { type TestPki, testPki } from "@x/test-pki";
import { request } from "undici";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { HttpProtocols, Server } from "../src/index.js";
import { deferred, Resources, within } from "./helpers.js";

let pki: TestPki;
const servers: Server[] = [];
const sessions: http2.ClientHttp2Session[] = [];
const res = new Resources();

beforeAll(async () => {
  pki = await testPki();
});

afterEach(async () => {
  for (const s of sessions.splice(0)) s.destroy();
  await Promise.allSettled(servers.splice(0).map((s) => s.stop(2_000)));
  await res.cleanup();
});

async function start(app: RequestDelegate, protocols: HttpProtocols = HttpProtocols.Http2, tls = false): Promise<string> {
  const server = new Server();
  server.options.listen("127.0.0.1", 0, (lo) => {
    lo.protocols = protocols;
    if (tls) lo.useHttps({ ...pki.a });
  });
  servers.push(server);
  await server.start(app);
  return server.addresses[0]!;
}

function connect(url: string, options: http2.SecureClientSessionOptions = {}): http2.ClientHttp2Session {
  const session = http2.connect(url, { ca: pki.ca.cert, servername: "a.test", ...options });
  session.on("error", () => {});
  sessions.push(session);
  return session;
}

interface Reply {
  readonly status: number;
  readonly headers: http2.IncomingHttpHeaders;
  readonly body: Buffer;
  readonly trailers: http2.IncomingHttpHeaders | null;
}

function send(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body?: Buffer | string): Promise<Reply> {
  return within(
    5_000,
    new Promise<Reply>((resolve, reject) => {
      const stream = session.request(headers, { endStream: body === undefined, waitForTrailers: false });
      let responseHeaders: http2.IncomingHttpHeaders = {};
      let trailers: http2.IncomingHttpHeaders | null = null;
      const chunks: Buffer[] = [];
      stream.on("response", (h) => {
        responseHeaders = h;
      });
      stream.on("trailers", (t) => {
        trailers = t;
      });
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => resolve({ status: Number(responseHeaders[":status"]), headers: responseHeaders, body: Buffer.concat(chunks), trailers }));
      stream.on("error", reject);
      if (body !== undefined) stream.end(body);
    }),
    "HTTP/2 request",
  );
}

const echo: RequestDelegate = async (ctx) => {
  const body = await ctx.request.body.buffer();
  ctx.response.headers.set("x-method", ctx.request.method);
  ctx.response.headers.set("x-protocol", ctx.request.protocol);
  ctx.response.headers.set("x-path", `${ctx.request.path}${ctx.request.queryString}`);
  ctx.response.headers.set("x-scheme", ctx.request.scheme);
  ctx.response.headers.set("x-host", ctx.request.host);
  await ctx.response.end(body.length > 0 ? body : "hello");
};

describe("HTTP/2", () => {
  it("serves h2c with prior knowledge on an Http2 endpoint", async () => {
    const url = await start(echo);
    const session = connect(url);
    const reply = await send(session, { ":path": "/a/b?x=1", ":method": "GET" });
    expect(reply.status).toBe(200);
    expect(reply.body.toString()).toBe("hello");
    expect(reply.headers["x-protocol"]).toBe("HTTP/2");
    expect(reply.headers["x-path"]).toBe("/a/b?x=1");
    expect(reply.headers["x-scheme"]).toBe("http");
    expect(reply.headers["content-length"]).toBe("5");
    expect(reply.headers.date).toBeDefined();
    expect(reply.headers.server).toBe("X");
  });

  it("detects the preface on an Http1AndHttp2 cleartext endpoint; HTTP/1.1 keeps working there", async () => {
    const url = await start(echo, HttpProtocols.Http1AndHttp2);
    const reply = await send(connect(url), { ":path": "/h2", ":method": "GET" });
    expect(reply.headers["x-protocol"]).toBe("HTTP/2");
    const h1 = await request(`${url}/h1`);
    expect(h1.headers["x-protocol"]).toBe("HTTP/1.1");
    await h1.body.dump();
  });

  it("negotiates h2 with ALPN over TLS, and http/1.1 for clients that only offer it", async () => {
    const url = await start(echo, HttpProtocols.Http1AndHttp2, true);
    const reply = await send(connect(url), { ":path": "/", ":method": "GET" });
    expect(reply.headers["x-protocol"]).toBe("HTTP/2");
    expect(reply.headers["x-scheme"]).toBe("https");
    expect(reply.headers["x-host"]).toMatch(/^a\.test:\d+$/);
  });

  it("echoes request bodies larger than every window, and streams a large response under flow control", async () => {
    const url = await start(async (ctx) => {
      if (ctx.request.method === "POST") {
        const body = await ctx.request.body.buffer();
        await ctx.response.end(body);
        return;
      }
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      for (let i = 0; i < 64; i++) await ctx.response.write(chunk);
      await ctx.response.end();
    });
    const session = connect(url);
    const upload = Buffer.alloc(3 * 1024 * 1024, 0x62);
    const echoed = await send(session, { ":path": "/", ":method": "POST" }, upload);
    expect(echoed.body.equals(upload)).toBe(true);
    const big = await send(session, { ":path": "/", ":method": "GET" });
    expect(big.body.length).toBe(4 * 1024 * 1024);
  });

  it("runs concurrent streams on one connection", async () => {
    const url = await start(async (ctx) => {
      await new Promise((r) => setTimeout(r, 20));
      await ctx.response.end(ctx.request.path);
    });
    const session = connect(url);
    const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => send(session, { ":path": `/${i}`, ":method": "GET" })));
    expect(replies.map((r) => r.body.toString())).toEqual(Array.from({ length: 50 }, (_, i) => `/${i}`));
  });

  it("sends response trailers", async () => {
    const url = await start(async (ctx) => {
      expect(ctx.response.supportsTrailers).toBe(true);
      ctx.response.declareTrailer("x-checksum");
      await ctx.response.write("part");
      ctx.response.appendTrailer("x-checksum", "abc");
      await ctx.response.end();
    });
    const reply = await send(connect(url), { ":path": "/", ":method": "GET" });
    expect(reply.body.toString()).toBe("part");
    expect(reply.trailers?.["x-checksum"]).toBe("abc");
  });

  it("resets a stream with the app's error code through the reset feature", async () => {
    const url = await start(async (ctx) => {
      if (ctx.request.path === "/reset") ctx.features.get(HttpResetFeature)!.reset(0x8);
      else await ctx.response.end("ok");
    });
    const session = connect(url);
    const stream = session.request({ ":path": "/reset", ":method": "GET" });
    stream.on("error", () => {});
    stream.resume();
    await within(5_000, once(stream, "close"), "reset");
    expect(stream.rstCode).toBe(0x8);
    // The same connection still serves.
    const ok = await send(session, { ":path": "/", ":method": "GET" });
    expect(ok.status).toBe(200);
  });

  it("answers 500 when the app throws before responding, without leaking the error", async () => {
    const url = await start(() => {
      throw new Error("secret detail");
    });
    const reply = await send(connect(url), { ":path": "/", ":method": "GET" });
    expect(reply.status).toBe(500);
    expect(reply.body.toString()).not.toContain("secret");
  });

  it("drops connection-specific response headers", async () => {
    const url = await start(async (ctx) => {
      ctx.response.headers.set("connection", "close");
      ctx.response.headers.set("keep-alive", "timeout=5");
      ctx.response.headers.set("upgrade", "websocket");
      ctx.response.headers.set("X-Upper", "kept");
      await ctx.response.end("ok");
    });
    const reply = await send(connect(url), { ":path": "/", ":method": "GET" });
    expect(reply.headers.connection).toBeUndefined();
    expect(reply.headers["keep-alive"]).toBeUndefined();
    expect(reply.headers.upgrade).toBeUndefined();
    expect(reply.headers["x-upper"]).toBe("kept");
  });

  it("fires requestAborted when the client resets the stream", async () => {
    let aborted: Promise<unknown> | undefined;
    const started = deferred();
    const url = await start(async (ctx) => {
      aborted = once(ctx.requestAborted, "abort");
      started.resolve();
      await aborted;
    });
    const session = connect(url);
    const stream = session.request({ ":path": "/", ":method": "GET" });
    stream.on("error", () => {});
    await within(5_000, started.promise, "app start");
    stream.close(http2.constants.NGHTTP2_CANCEL);
    await within(5_000, aborted!, "requestAborted");
  });

  it("finishes in-flight streams on graceful stop, then closes with GOAWAY", async () => {
    const release = deferred();
    const entered = deferred();
    const url = await start(async (ctx) => {
      entered.resolve();
      await release.promise;
      await ctx.response.end("finished");
    });
    const server = servers[0]!;
    const session = connect(url);
    const goaway = once(session, "goaway");
    const inflight = send(session, { ":path": "/", ":method": "GET" });
    await within(5_000, entered.promise, "request");
    const stopping = server.stop(5_000);
    await within(5_000, goaway, "GOAWAY");
    release.resolve();
    expect((await inflight).body.toString()).toBe("finished");
    await within(5_000, stopping, "stop");
  });
});
