import { Pool } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { closeAllServers, echoApp, type Echo, lines, rawRequest, startServer } from "./harness.js";

afterEach(closeAllServers);

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("chunked request bodies (RFC 9112 §7.1)", () => {
  it("decodes the same body whatever byte boundary the request is split at", async () => {
    const server = await startServer(echoApp);
    const request = Buffer.from(
      lines("POST /up HTTP/1.1", "Host: a", "Transfer-Encoding: chunked", "", "5;ext=1", "hello", "6", " world", "0", "X-Trailer: t", "", "") +
        lines("GET /next HTTP/1.1", "Host: a", "", ""),
      "latin1",
    );
    for (let i = 1; i < request.length; i++) {
      const result = await rawRequest(server.port, [request.subarray(0, i), request.subarray(i)], { responses: 2 });
      const echoes = result.responses.map((r) => JSON.parse(r.body.toString()) as Echo);
      expect(echoes.map((e) => [e.path, e.body]), `split at ${i}`).toEqual([
        ["/up", "hello world"],
        ["/next", ""],
      ]);
    }
    expect(server.connections).toHaveLength(request.length - 1);
  });

  it("decodes a body sent one byte per write", async () => {
    const server = await startServer(echoApp);
    const request = lines("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: chunked", "", "3", "abc", "0", "", "");
    const result = await rawRequest(server.port, request, { splitEvery: 1, responses: 1 });
    expect((JSON.parse(result.responses[0]!.body.toString()) as Echo).body).toBe("abc");
  });

  it("exposes request trailers once the body has been read", async () => {
    const server = await startServer(async (ctx) => {
      await ctx.request.body.text();
      const { HttpRequestTrailersFeature } = await import("@x/abstractions");
      const trailers = ctx.features.get(HttpRequestTrailersFeature)!.trailers;
      await ctx.response.end(`${trailers.get("x-sum")}|${trailers.get("content-length") ?? "none"}`);
    });
    const result = await rawRequest(
      server.port,
      lines("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: chunked", "", "1", "a", "0", "X-Sum: 42", "Content-Length: 1", "", ""),
      { responses: 1 },
    );
    // RFC 9110 §6.5.1: framing fields are not allowed in trailers; they are dropped.
    expect(result.responses[0]!.body.toString()).toBe("42|none");
  });
});

describe("response framing", () => {
  it("sends Content-Length when the app writes once and returns", async () => {
    const server = await startServer(async (ctx) => {
      await ctx.response.write("hello");
    });
    const [res] = (await rawRequest(server.port, lines("GET / HTTP/1.1", "Host: a", "", ""), { responses: 1 })).responses;
    expect(res!.headers["content-length"]).toBe("5");
    expect(res!.headers["transfer-encoding"]).toBeUndefined();
    expect(res!.body.toString()).toBe("hello");
  });

  it("sends Content-Length when the app calls end(body)", async () => {
    const server = await startServer(async (ctx) => {
      await ctx.response.end("hello world");
    });
    const [res] = (await rawRequest(server.port, lines("GET / HTTP/1.1", "Host: a", "", ""), { responses: 1 })).responses;
    expect(res!.framing).toBe("length");
    expect(res!.headers["content-length"]).toBe("11");
  });

  it("sends Content-Length: 0 when the app writes nothing", async () => {
    const server = await startServer(() => {});
    const [res] = (await rawRequest(server.port, lines("GET / HTTP/1.1", "Host: a", "", ""), { responses: 1 })).responses;
    expect(res!.headers["content-length"]).toBe("0");
  });

  it("switches to chunked when the app writes, waits, and writes again", async () => {
    const server = await startServer(async (ctx) => {
      await ctx.response.write("first");
      await new Promise((resolve) => setTimeout(resolve, 20));
      await ctx.response.write("second");
    });
    const [res] = (await rawRequest(server.port, lines("GET / HTTP/1.1", "Host: a", "", ""), { responses: 1 })).responses;
    expect(res!.headers["transfer-encoding"]).toBe("chunked");
    expect(res!.headers["content-length"]).toBeUndefined();
    expect(res!.chunkSizes).toEqual([5, 6, 0]);
    expect(res!.body.toString()).toBe("firstsecond");
  });

  it("keeps the app's Content-Length when it writes in several turns", async () => {
    const server = await startServer(async (ctx) => {
      ctx.response.contentLength = 6;
      await ctx.response.write("abc");
      await nextTurn();
      await ctx.response.write("def");
    });
    const [res] = (await rawRequest(server.port, lines("GET / HTTP/1.1", "Host: a", "", ""), { responses: 1 })).responses;
    expect(res!.framing).toBe("length");
    expect(res!.body.toString()).toBe("abcdef");
  });

  it("writes exact chunk framing for a chunked response", async () => {
    const server = await startServer(async (ctx) => {
      for (const part of ["hello", " ", "chunked world"]) {
        await ctx.response.write(part);
        await nextTurn();
      }
    });
    const result = await rawRequest(server.port, lines("GET / HTTP/1.1", "Host: a", "", ""), { responses: 1 });
    const text = result.text;
    const bodyStart = text.indexOf("\r\n\r\n") + 4;
    expect(text.slice(bodyStart)).toBe("5\r\nhello\r\n1\r\n \r\nd\r\nchunked world\r\n0\r\n\r\n");
    expect(result.responses[0]!.headers["transfer-encoding"]).toBe("chunked");
  });

  it("writes declared response trailers after the last chunk", async () => {
    const server = await startServer(async (ctx) => {
      const res = ctx.response as typeof ctx.response & { declareTrailer(name: string): void; trailers: { set(n: string, v: string): void } };
      res.declareTrailer("x-checksum");
      await res.write("data");
      await nextTurn();
      res.trailers.set("x-checksum", "abc");
    });
    const [res] = (await rawRequest(server.port, lines("GET / HTTP/1.1", "Host: a", "", ""), { responses: 1 })).responses;
    expect(res!.headers.trailer).toBe("x-checksum");
    expect(res!.trailers).toEqual({ "x-checksum": "abc" });
    expect(res!.raw.toString("latin1").endsWith("4\r\ndata\r\n0\r\nx-checksum: abc\r\n\r\n")).toBe(true);
  });

  it("is read correctly by undici, chunked and with Content-Length", async () => {
    const server = await startServer(async (ctx) => {
      if (ctx.request.path === "/chunked") {
        await ctx.response.write("hello");
        await nextTurn();
        await ctx.response.write(" world");
      } else {
        await ctx.response.end("fixed");
      }
    });
    const pool = new Pool(server.url, { connections: 1 });
    try {
      const chunked = await pool.request({ path: "/chunked", method: "GET" });
      expect(chunked.headers["transfer-encoding"]).toBe("chunked");
      expect(await chunked.body.text()).toBe("hello world");
      const fixed = await pool.request({ path: "/fixed", method: "GET" });
      expect(fixed.headers["content-length"]).toBe("5");
      expect(await fixed.body.text()).toBe("fixed");
    } finally {
      await pool.close();
    }
  });

  it("sends neither Content-Length nor a body for 204 and 304", async () => {
    const server = await startServer((ctx) => {
      ctx.response.statusCode = ctx.request.path === "/204" ? 204 : 304;
    });
    const result = await rawRequest(server.port, lines("GET /204 HTTP/1.1", "Host: a", "", "") + lines("GET /304 HTTP/1.1", "Host: a", "", ""), {
      responses: 2,
    });
    expect(result.responses.map((r) => r.statusCode)).toEqual([204, 304]);
    for (const res of result.responses) {
      expect(res.headers["content-length"]).toBeUndefined();
      expect(res.headers["transfer-encoding"]).toBeUndefined();
    }
    expect(result.bytes.length).toBe(result.responses[0]!.raw.length + result.responses[1]!.raw.length);
  });
});

describe("app-set framing and status line", () => {
  it("never sends Transfer-Encoding to an HTTP/1.0 client, even when the app sets it (RFC 9112 §6.1)", async () => {
    const server = await startServer(async (ctx) => {
      ctx.response.headers.set("transfer-encoding", "chunked");
      await ctx.response.write("abc");
    });
    const result = await rawRequest(server.port, lines("GET / HTTP/1.0", "", ""));
    expect(result.closed).toBe(true);
    const [res] = result.responses;
    expect(res!.headers["transfer-encoding"]).toBeUndefined();
    expect(res!.framing).toBe("close");
    expect(res!.body.toString()).toBe("abc");
  });

  it("chunks the body when an HTTP/1.1 app sets Transfer-Encoding: chunked itself", async () => {
    const server = await startServer(async (ctx) => {
      ctx.response.headers.set("transfer-encoding", "chunked");
      await ctx.response.write("abc");
    });
    const [res] = (await rawRequest(server.port, lines("GET / HTTP/1.1", "Host: a", "", ""), { responses: 1 })).responses;
    expect(res!.rawHeaders.filter(([n]) => n === "transfer-encoding")).toEqual([["transfer-encoding", "chunked"]]);
    expect(res!.chunkSizes).toEqual([3, 0]);
  });

  it("ends the chunked body when an app that set Transfer-Encoding: chunked writes nothing", async () => {
    const server = await startServer((ctx) => {
      ctx.response.headers.set("transfer-encoding", "chunked");
    });
    const result = await rawRequest(server.port, lines("GET / HTTP/1.1", "Host: a", "", "") + lines("GET / HTTP/1.1", "Host: a", "", ""), { responses: 2 });
    expect(result.responses.map((r) => r.chunkSizes)).toEqual([[0], [0]]);
  });

  it("closes the connection when the app asks for Connection: close", async () => {
    const server = await startServer(async (ctx) => {
      ctx.response.headers.set("connection", "close");
      await ctx.response.end("bye");
    });
    const result = await rawRequest(server.port, lines("GET / HTTP/1.1", "Host: a", "", ""));
    expect(result.closed).toBe(true);
    expect(result.responses[0]!.rawHeaders.filter(([n]) => n === "connection")).toEqual([["connection", "close"]]);
  });

  it("writes a custom reason phrase", async () => {
    const server = await startServer((ctx) => {
      ctx.response.statusCode = 299;
      ctx.response.reasonPhrase = "Fine Enough";
    });
    const result = await rawRequest(server.port, lines("GET / HTTP/1.1", "Host: a", "", ""), { responses: 1 });
    expect(result.text.startsWith("HTTP/1.1 299 Fine Enough\r\n")).toBe(true);
  });

  it("refuses a reason phrase with CR or LF, which would split the response (RFC 9112 §4)", async () => {
    const server = await startServer((ctx) => {
      ctx.response.reasonPhrase = "OK\r\nX-Injected: 1";
    });
    const result = await rawRequest(server.port, lines("GET / HTTP/1.1", "Host: a", "", ""), { responses: 1 });
    expect(result.responses[0]!.statusCode).toBe(500);
    expect(result.text).not.toContain("X-Injected");
  });
});

describe("server-generated headers", () => {
  it("adds a Date in IMF-fixdate form (RFC 9110 §5.6.7) and a Server header", async () => {
    const server = await startServer(() => {});
    const [res] = (await rawRequest(server.port, lines("GET / HTTP/1.1", "Host: a", "", ""), { responses: 1 })).responses;
    expect(res!.headers.date).toMatch(/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    expect(res!.headers.server).toBe("X");
  });

  it("keeps a Date and Server the app set itself", async () => {
    const server = await startServer((ctx) => {
      ctx.response.headers.set("date", "Sun, 06 Nov 1994 08:49:37 GMT");
      ctx.response.headers.set("server", "mine");
    });
    const [res] = (await rawRequest(server.port, lines("GET / HTTP/1.1", "Host: a", "", ""), { responses: 1 })).responses;
    expect(res!.rawHeaders.filter(([n]) => n === "date")).toEqual([["date", "Sun, 06 Nov 1994 08:49:37 GMT"]]);
    expect(res!.rawHeaders.filter(([n]) => n === "server")).toEqual([["server", "mine"]]);
  });
});

describe("CONNECT (RFC 9110 §9.3.6)", () => {
  it("sends neither Content-Length nor Transfer-Encoding in a 2xx response, and closes", async () => {
    let seen: Echo | undefined;
    const server = await startServer((ctx) => {
      seen = { method: ctx.request.method, host: ctx.request.host, path: ctx.request.path, query: ctx.request.queryString, protocol: ctx.request.protocol, body: "" };
    });
    const result = await rawRequest(server.port, lines("CONNECT example.com:443 HTTP/1.1", "Host: example.com:443", "", ""));
    expect(seen).toMatchObject({ method: "CONNECT", host: "example.com:443", path: "" });
    expect(result.text.startsWith("HTTP/1.1 200 OK\r\n")).toBe(true);
    const head = result.text.slice(0, result.text.indexOf("\r\n\r\n")).toLowerCase();
    expect(head).not.toContain("content-length");
    expect(head).not.toContain("transfer-encoding");
    // No tunnel support: after a 2xx the bytes are the tunnel's, so the connection cannot carry HTTP any more.
    expect(result.closed).toBe(true);
  });

  it("frames a non-2xx response to CONNECT normally", async () => {
    const server = await startServer((ctx) => {
      ctx.response.statusCode = 403;
    });
    const result = await rawRequest(server.port, lines("CONNECT example.com:443 HTTP/1.1", "Host: example.com:443", "", ""), { responses: 1 });
    expect(result.responses[0]!.statusCode).toBe(403);
    expect(result.responses[0]!.headers["content-length"]).toBe("0");
  });
});
