/**
 * fromFetchHandler with plain `Request`/`Response` handlers on our server:
 * the lazy Request (instanceof, URL, headers, body readers, stream with
 * backpressure, signal on disconnect), the Response written back (status,
 * reason, several Set-Cookie, streamed body, HEAD, 204), the server's
 * answers (413 over the body limit, 500 for a failing handler) and HTTP/2,
 * with the platform's Response.
 */
import { once } from "node:events";
import { connect as connectH2, constants } from "node:http2";
import { connect as connectTcp } from "node:net";
import { Readable } from "node:stream";
import { Server } from "@x/server";
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { type FetchHandler, fromFetchHandler } from "../src/index.js";
import { pattern, sha256 } from "./support/express-app.js";
import { parseResponse, within } from "./support/compare.js";

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop(1_000);
});

async function serve(handler: FetchHandler, configure?: (server: Server) => void, protocols?: "Http2"): Promise<{ url: string; port: number; server: Server }> {
  const server = new Server();
  server.options.addServerHeader = false;
  server.options.listen("127.0.0.1", 0, protocols === undefined ? undefined : (lo) => void (lo.protocols = protocols));
  configure?.(server);
  // The platform's Response here; the light one has its own tests (light-response.test.ts).
  await server.start(fromFetchHandler(handler, { overrideGlobalResponse: false }));
  servers.push(server);
  const url = server.addresses[0]!;
  return { url, port: Number(new URL(url).port), server };
}

/** Sends raw bytes and reads the whole response (the server closes: Connection: close). */
async function raw(port: number, bytes: string, method = "GET") {
  const socket = connectTcp(port, "127.0.0.1");
  const chunks: Buffer[] = [];
  socket.on("data", (c: Buffer) => chunks.push(c));
  socket.write(bytes);
  await within(once(socket, "end"), "response");
  socket.destroy();
  return parseResponse(Buffer.concat(chunks), method)!;
}

describe("the Request a fetch handler gets", () => {
  it("is a Request with the method, URL, headers and signal of the request", async () => {
    let seen: Record<string, unknown> = {};
    const { url, port } = await serve((req) => {
      seen = {
        isRequest: req instanceof Request,
        method: req.method,
        url: req.url,
        host: new URL(req.url).host,
        accept: req.headers.get("accept"),
        multi: req.headers.get("x-multi"),
        body: req.body,
        signal: req.signal instanceof AbortSignal && !req.signal.aborted,
        tag: Object.prototype.toString.call(req),
      };
      return new Response("ok");
    });
    const res = await request(`${url}/path/%7Eé?q=1&q=2`, { headers: { accept: "text/plain", "x-multi": ["a", "b"] } });
    expect(await res.body.text()).toBe("ok");
    expect(seen).toEqual({
      isRequest: true,
      method: "GET",
      url: `http://127.0.0.1:${port}/path/%7E%C3%A9?q=1&q=2`,
      host: `127.0.0.1:${port}`,
      accept: "text/plain",
      multi: "a, b",
      body: null,
      signal: true,
      tag: "[object Request]",
    });
  });

  it("reads a body whole (text, json, arrayBuffer) and refuses a second read", async () => {
    const { url } = await serve(async (req) => {
      const path = new URL(req.url).pathname;
      if (path === "/json") return Response.json({ got: await req.json(), used: req.bodyUsed });
      if (path === "/bytes") {
        const bytes = new Uint8Array(await req.arrayBuffer());
        return new Response(sha256(Buffer.from(bytes)));
      }
      const text = await req.text();
      const again = await req.text().then(() => "read twice", (e: Error) => e.name);
      return new Response(`${text}|${again}`);
    });
    const json = await request(`${url}/json`, { method: "POST", body: '{"a":[1]}', headers: { "content-type": "application/json" } });
    expect(await json.body.json()).toEqual({ got: { a: [1] }, used: true });
    const big = pattern(3_000_000);
    const bytes = await request(`${url}/bytes`, { method: "PUT", body: big });
    expect(await bytes.body.text()).toBe(sha256(big));
    const text = await request(`${url}/text`, { method: "POST", body: "héllo" });
    expect(await text.body.text()).toBe("héllo|TypeError");
  });

  it("streams a chunked body with backpressure: nothing is read before the app pulls", async () => {
    const { url } = await serve(async (req) => {
      const reader = req.body!.getReader();
      let size = 0;
      let chunks = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        chunks++;
        await new Promise((r) => setTimeout(r, 1));
      }
      return Response.json({ size, chunks });
    });
    const total = 4 * 1024 * 1024;
    const body = Readable.from(
      (function* () {
        for (let sent = 0; sent < total; sent += 64 * 1024) yield Buffer.alloc(64 * 1024, 1);
      })(),
    );
    const res = await request(`${url}/`, { method: "POST", body });
    const result = (await res.body.json()) as { size: number; chunks: number };
    expect(result.size).toBe(total);
    expect(result.chunks).toBeGreaterThan(1);
  });

  it("hands clone(), formData() and blob() to a real Request made on demand", async () => {
    const { url } = await serve(async (req) => {
      const copy = req.clone();
      const form = await req.formData();
      const again = await copy.text();
      return Response.json({ name: form.get("name"), cloneLength: again.length, isRequest: copy instanceof Request });
    });
    const res = await request(`${url}/`, { method: "POST", body: "name=x%20y&z=1", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(await res.body.json()).toEqual({ name: "x y", cloneLength: 14, isRequest: true });
  });

  it("fires signal when the client disconnects during a streamed response", async () => {
    let aborted: (reason: unknown) => void = () => {};
    const sawAbort = new Promise((resolve) => (aborted = resolve));
    let timer: NodeJS.Timeout | undefined;
    const { port } = await serve((req) => {
      req.signal.addEventListener("abort", () => aborted(req.signal.reason));
      const stream = new ReadableStream({
        start(controller) {
          timer = setInterval(() => controller.enqueue(new TextEncoder().encode("tick\n")), 5);
        },
        cancel() {
          clearInterval(timer);
        },
      });
      return new Response(stream);
    });
    const socket = connectTcp(port, "127.0.0.1");
    socket.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    await once(socket, "data");
    socket.destroy();
    await within(sawAbort, "signal abort");
    clearInterval(timer);
  });
});

describe("the Response a fetch handler returns", () => {
  it("sends status, a custom reason, several Set-Cookie and the app's headers", async () => {
    const { port } = await serve(() => {
      const headers = new Headers({ "x-app": "1", "content-type": "text/plain" });
      headers.append("set-cookie", "a=1; Path=/");
      headers.append("set-cookie", "b=2; HttpOnly");
      return new Response("made", { status: 201, statusText: "Made It", headers });
    });
    const res = await raw(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    expect(res.status).toBe(201);
    expect(res.statusMessage).toBe("Made It");
    expect(res.headers.filter(([n]) => n === "set-cookie").map(([, v]) => v)).toEqual(["a=1; Path=/", "b=2; HttpOnly"]);
    expect(res.headers).toContainEqual(["x-app", "1"]);
    expect(res.headers).toContainEqual(["content-length", "4"]);
    expect(res.body.toString()).toBe("made");
    const standard = await serve(() => new Response(null, { status: 404, statusText: "Not Found" }));
    expect((await raw(standard.port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")).statusMessage).toBe("Not Found");
  });

  it("streams a ReadableStream body chunk by chunk, and a large one whole", async () => {
    const big = pattern(5_000_000);
    const { url } = await serve((req) => {
      if (new URL(req.url).pathname === "/big") return new Response(big);
      let n = 0;
      return new Response(
        new ReadableStream({
          async pull(controller) {
            await new Promise((r) => setTimeout(r, 2));
            if (n === 5) controller.close();
            else controller.enqueue(new TextEncoder().encode(`part ${n++}\n`));
          },
        }),
        { headers: { "content-type": "text/plain" } },
      );
    });
    const streamed = await request(`${url}/stream`);
    expect(streamed.headers["transfer-encoding"]).toBe("chunked");
    expect(await streamed.body.text()).toBe("part 0\npart 1\npart 2\npart 3\npart 4\n");
    const whole = await request(`${url}/big`);
    expect(whole.headers["content-length"]).toBe(String(big.length));
    expect(sha256(Buffer.from(await whole.body.arrayBuffer()))).toBe(sha256(big));
  });

  it("answers HEAD with the GET's Content-Length and no body, and 204/304 without a body", async () => {
    let cancelled = false;
    const { port } = await serve((req) => {
      const path = new URL(req.url).pathname;
      if (path === "/204") return new Response(null, { status: 204 });
      if (path === "/304") return new Response(null, { status: 304, headers: { etag: '"x"' } });
      if (path === "/stream") return new Response(new ReadableStream({ pull: (c) => c.enqueue(new Uint8Array(10)), cancel: () => void (cancelled = true) }));
      return new Response("twelve bytes");
    });
    const head = await raw(port, "HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "HEAD");
    expect(head.headers).toContainEqual(["content-length", "12"]);
    const headStream = await raw(port, "HEAD /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "HEAD");
    expect(headStream.status).toBe(200);
    expect(cancelled).toBe(true);
    for (const status of [204, 304]) {
      const res = await raw(port, `GET /${status} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect(res.status).toBe(status);
      expect(res.headers.some(([n]) => n === "transfer-encoding")).toBe(false);
    }
  });
});

describe("the server's answers around a fetch handler", () => {
  it("answers 413 for a body over maxRequestBodySize, even when the app catches the error", async () => {
    const { url } = await serve(
      async (req) => {
        try {
          await req.text();
          return new Response("read it");
        } catch {
          return new Response("app's own error page", { status: 500 });
        }
      },
      (server) => void (server.options.limits.maxRequestBodySize = 1000),
    );
    const res = await request(`${url}/`, { method: "POST", body: Buffer.alloc(5000) });
    expect(res.statusCode).toBe(413);
    await res.body.dump();
    const streamed = await request(`${url}/`, { method: "POST", body: Readable.from([Buffer.alloc(3000)]) });
    expect(streamed.statusCode).toBe(413);
    await streamed.body.dump();
  });

  it("answers 500 without the error's text for a throwing, rejecting or non-Response handler", async () => {
    const { url } = await serve((req) => {
      const path = new URL(req.url).pathname;
      if (path === "/throw") throw new Error("secret detail");
      if (path === "/reject") return Promise.reject(new Error("secret detail"));
      return "not a response" as unknown as Response;
    });
    for (const path of ["/throw", "/reject", "/string"]) {
      const res = await request(`${url}${path}`);
      expect(res.statusCode).toBe(500);
      expect(await res.body.text()).not.toContain("secret");
    }
  });

  it("aborts the request when the response stream fails after it started", async () => {
    const { url } = await serve(() => {
      let sent = false;
      return new Response(
        new ReadableStream({
          pull(controller) {
            if (!sent) {
              sent = true;
              controller.enqueue(new TextEncoder().encode("start"));
            } else controller.error(new Error("stream broke"));
          },
        }),
      );
    });
    // The client must not take the cut-short body for a whole one: the exchange fails,
    // at the head or in the body depending on how far the bytes got.
    await expect(request(`${url}/`).then((res) => res.body.text())).rejects.toThrow();
  });

  it("serves HTTP/2 (prior knowledge): Request from :authority and :path, streamed request and response bodies", async () => {
    const { port } = await serve(
      async (req) => {
        const body = await req.text();
        const headers = new Headers({ "content-type": "text/plain" });
        headers.append("set-cookie", "a=1");
        headers.append("set-cookie", "b=2");
        return new Response(`${req.method} ${req.url} ${body.length}`, { headers });
      },
      undefined,
      "Http2",
    );
    const session = connectH2(`http://127.0.0.1:${port}`);
    try {
      const stream = session.request({ ":method": "POST", ":path": "/h2?x=1" });
      stream.end(Buffer.alloc(100_000, 1));
      const [headers] = (await once(stream, "response")) as [Record<string, string | string[]>];
      let text = "";
      for await (const chunk of stream) text += chunk;
      expect(headers[constants.HTTP2_HEADER_STATUS]).toBe(200);
      expect(headers["set-cookie"]).toEqual(["a=1", "b=2"]);
      expect(text).toBe(`POST http://127.0.0.1:${port}/h2?x=1 100000`);
    } finally {
      session.close();
    }
  });

  it("answers 413 over HTTP/2 too, when the app swallowed the error", async () => {
    const { port } = await serve(
      async (req) => {
        await req.text().catch(() => undefined);
        return new Response("swallowed", { status: 500 });
      },
      (server) => void (server.options.limits.maxRequestBodySize = 1000),
      "Http2",
    );
    const session = connectH2(`http://127.0.0.1:${port}`);
    session.on("error", () => {});
    try {
      const stream = session.request({ ":method": "POST", ":path": "/" });
      stream.end(Buffer.alloc(5000, 1));
      const outcome = await within(
        new Promise<string>((resolve) => {
          stream.on("response", (headers) => resolve(`status ${headers[constants.HTTP2_HEADER_STATUS]}`));
          stream.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
        }),
        "h2 outcome",
      );
      expect(outcome).toBe("status 413");
    } finally {
      session.close();
    }
  });
});
