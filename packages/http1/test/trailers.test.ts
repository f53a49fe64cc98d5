/**
 * Response trailers (ASP.NET Core's `SupportsTrailers`, `DeclareTrailer`,
 * `AppendTrailer`) and request trailers (`IHttpRequestTrailersFeature`).
 * On HTTP/1.1 trailers ride after the last chunk (RFC 9112 §7.1.2), so they
 * need chunked framing.
 */
import { HttpRequestTrailersFeature, type HttpContext } from "@x/abstractions";
import { Client } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { closeAllServers, deferred, lines, rawRequest, startServer, within } from "./harness.js";

afterEach(closeAllServers);

/** What a call threw (its code), or "ok". */
function attempt(fn: () => void): string {
  try {
    fn();
    return "ok";
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

describe("supportsTrailers", () => {
  async function supportsTrailersFor(request: string, head = false, before?: (ctx: HttpContext) => void): Promise<string | undefined> {
    const server = await startServer(async (ctx) => {
      before?.(ctx);
      ctx.response.headers.set("x-supports-trailers", String(ctx.response.supportsTrailers));
    });
    const result = await rawRequest(server.port, request, { responses: 1, head: head ? [0] : [] });
    return result.responses[0]!.headers["x-supports-trailers"];
  }

  it("is true for an HTTP/1.1 GET", async () => {
    expect(await supportsTrailersFor(lines("GET / HTTP/1.1", "Host: a", "", ""))).toBe("true");
  });

  it("is false for HEAD, which has no body to put them after", async () => {
    expect(await supportsTrailersFor(lines("HEAD / HTTP/1.1", "Host: a", "", ""), true)).toBe("false");
  });

  it("is false for HTTP/1.0, which has no chunked framing (RFC 9112 §6.1)", async () => {
    expect(await supportsTrailersFor(lines("GET / HTTP/1.0", "", ""))).toBe("false");
  });

  it("is false once the app has fixed a Content-Length", async () => {
    expect(await supportsTrailersFor(lines("GET / HTTP/1.1", "Host: a", "", ""), false, (ctx) => (ctx.response.contentLength = 0))).toBe("false");
  });

  it("is false for a 204 response, which has no content (RFC 9110 §15.3.5)", async () => {
    expect(await supportsTrailersFor(lines("GET / HTTP/1.1", "Host: a", "", ""), false, (ctx) => (ctx.response.statusCode = 204))).toBe("false");
  });

  it("makes appendTrailer throw ERR_X_NOT_SUPPORTED where it is false", async () => {
    const code = deferred<string>();
    const server = await startServer(async (ctx) => {
      code.resolve(attempt(() => ctx.response.appendTrailer("x-checksum", "abc")));
      await ctx.response.end("plain");
    });
    const result = await rawRequest(server.port, lines("GET / HTTP/1.0", "", ""), { responses: 1 });
    expect(result.responses[0]!.body.toString()).toBe("plain");
    expect(await within(code.promise, "the app")).toBe("ERR_X_NOT_SUPPORTED");
  });
});

describe("declareTrailer", () => {
  it("adds the name to the Trailer header, and throws once the response has started", async () => {
    const late = deferred<string>();
    const server = await startServer(async (ctx) => {
      ctx.response.declareTrailer("x-checksum");
      ctx.response.declareTrailer("x-count");
      await ctx.response.write("part one, ");
      await ctx.response.start();
      late.resolve(attempt(() => ctx.response.declareTrailer("x-late")));
      await ctx.response.write("part two");
      ctx.response.appendTrailer("x-checksum", "abc123");
      ctx.response.appendTrailer("x-count", "2");
    });
    const result = await rawRequest(server.port, lines("GET / HTTP/1.1", "Host: a", "", ""), { responses: 1 });
    const [res] = result.responses;
    expect(res!.headers.trailer).toBe("x-checksum, x-count");
    expect(res!.framing).toBe("chunked");
    expect(res!.body.toString()).toBe("part one, part two");
    expect(res!.trailers).toEqual({ "x-checksum": "abc123", "x-count": "2" });
    expect(await within(late.promise, "the app")).toBe("ERR_X_HTTP_RESPONSE_STARTED");
  });

  it("rejects a name that is not a token", async () => {
    const code = deferred<string>();
    const server = await startServer(async (ctx) => {
      code.resolve(attempt(() => ctx.response.declareTrailer("x bad")));
    });
    await rawRequest(server.port, lines("GET / HTTP/1.1", "Host: a", "", ""), { responses: 1 });
    expect(await within(code.promise, "the app")).toBe("ERR_X_HTTP_INVALID_HEADER");
  });
});

describe("appendTrailer", () => {
  it("sends the fields after the last chunk, in the raw bytes", async () => {
    const server = await startServer(async (ctx) => {
      await ctx.response.write("hello ");
      await ctx.response.write("world");
      ctx.response.appendTrailer("x-checksum", "5eb63bbb");
      ctx.response.appendTrailer("x-multi", "a");
      ctx.response.appendTrailer("x-multi", "b");
    });
    const result = await rawRequest(server.port, lines("GET / HTTP/1.1", "Host: a", "", ""), { responses: 1 });
    const raw = result.responses[0]!.raw.toString("latin1");
    expect(raw).toMatch(/\r\ntransfer-encoding: chunked\r\n/);
    expect(raw.endsWith("\r\n0\r\nx-checksum: 5eb63bbb\r\nx-multi: a\r\nx-multi: b\r\n\r\n")).toBe(true);
  });

  it("delivers the trailers to undici as response.trailers", async () => {
    const server = await startServer(async (ctx) => {
      ctx.response.declareTrailer("x-checksum");
      await ctx.response.write("body bytes");
      ctx.response.appendTrailer("x-checksum", "c0ffee");
    });
    const client = new Client(server.url);
    try {
      const res = await within(client.request({ method: "GET", path: "/" }), "the response");
      expect(await res.body.text()).toBe("body bytes");
      expect(res.trailers).toEqual({ "x-checksum": "c0ffee" });
    } finally {
      await client.close();
    }
  });

  it("switches a response that would have had a Content-Length to chunked", async () => {
    const server = await startServer(async (ctx) => {
      ctx.response.appendTrailer("x-checksum", "abc");
      await ctx.response.end("whole body");
    });
    const result = await rawRequest(server.port, lines("GET / HTTP/1.1", "Host: a", "", ""), { responses: 1 });
    const [res] = result.responses;
    expect(res!.headers["content-length"]).toBeUndefined();
    expect(res!.framing).toBe("chunked");
    expect(res!.body.toString()).toBe("whole body");
    expect(res!.trailers).toEqual({ "x-checksum": "abc" });
  });

  it("switches a held first write to chunked when the trailer comes after it in the same turn", async () => {
    const server = await startServer((ctx) => {
      void ctx.response.write("held chunk");
      ctx.response.appendTrailer("x-after", "1");
    });
    const result = await rawRequest(server.port, lines("GET / HTTP/1.1", "Host: a", "", ""), { responses: 1 });
    const [res] = result.responses;
    expect(res!.framing).toBe("chunked");
    expect(res!.body.toString()).toBe("held chunk");
    expect(res!.trailers).toEqual({ "x-after": "1" });
  });

  it("sends trailers on an empty body too", async () => {
    const server = await startServer((ctx) => {
      ctx.response.appendTrailer("x-empty", "yes");
    });
    const result = await rawRequest(server.port, lines("GET / HTTP/1.1", "Host: a", "", ""), { responses: 1 });
    const [res] = result.responses;
    expect(res!.framing).toBe("chunked");
    expect(res!.chunkSizes).toEqual([0]);
    expect(res!.trailers).toEqual({ "x-empty": "yes" });
  });

  it("refuses a value with CR or LF, which would inject fields", async () => {
    const code = deferred<string>();
    const server = await startServer(async (ctx) => {
      code.resolve(attempt(() => ctx.response.appendTrailer("x-checksum", "abc\r\nx-injected: 1")));
      await ctx.response.end("ok");
    });
    const result = await rawRequest(server.port, lines("GET / HTTP/1.1", "Host: a", "", ""), { responses: 1 });
    expect(await within(code.promise, "the app")).toBe("ERR_X_HTTP_INVALID_HEADER");
    expect(result.text).not.toContain("x-injected");
  });

  it("keeps the connection usable: the next response on it is framed correctly", async () => {
    const server = await startServer(async (ctx) => {
      if (ctx.request.path === "/t") ctx.response.appendTrailer("x-t", "1");
      await ctx.response.end(`path ${ctx.request.path}`);
    });
    const result = await rawRequest(server.port, lines("GET /t HTTP/1.1", "Host: a", "", "") + lines("GET /u HTTP/1.1", "Host: a", "", ""), { responses: 2 });
    expect(result.responses.map((r) => [r.body.toString(), r.framing, r.trailers])).toEqual([
      ["path /t", "chunked", { "x-t": "1" }],
      ["path /u", "length", {}],
    ]);
  });
});

describe("request trailers (HttpRequestTrailersFeature)", () => {
  it("become available once a chunked body with trailers has been read, and are not request headers", async () => {
    const seen = deferred<{ before: boolean; beforeCode: string; after: boolean; checksum: string | undefined; count: string | undefined; inHeaders: boolean }>();
    const server = await startServer(async (ctx) => {
      const feature = ctx.features.get(HttpRequestTrailersFeature)!;
      const before = feature.available;
      const beforeCode = attempt(() => feature.trailers);
      const body = await ctx.request.body.text();
      seen.resolve({
        before,
        beforeCode,
        after: feature.available,
        checksum: feature.trailers.get("x-checksum"),
        count: feature.trailers.get("X-Count"),
        inHeaders: ctx.request.headers.has("x-checksum"),
      });
      await ctx.response.end(body);
    });
    const request = lines("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: chunked", "Trailer: x-checksum, x-count", "", "5", "hello", "6", " world", "0", "X-Checksum: 5eb63bbb", "X-Count: 2", "", "");
    const result = await rawRequest(server.port, request, { responses: 1 });
    expect(result.responses[0]!.body.toString()).toBe("hello world");
    expect(await within(seen.promise, "the app")).toEqual({
      before: false,
      beforeCode: "ERR_X_HTTP_TRAILERS_NOT_AVAILABLE",
      after: true,
      checksum: "5eb63bbb",
      count: "2",
      inHeaders: false,
    });
  });

  it("are empty, and available, after a chunked body without trailers", async () => {
    const server = await startServer(async (ctx) => {
      const feature = ctx.features.get(HttpRequestTrailersFeature)!;
      await ctx.request.body.text();
      await ctx.response.end(`${feature.available} ${feature.trailers.size}`);
    });
    const result = await rawRequest(server.port, lines("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: chunked", "", "2", "hi", "0", "", ""), { responses: 1 });
    expect(result.responses[0]!.body.toString()).toBe("true 0");
  });

  it("leave out framing and routing fields a client sends as trailers (RFC 9110 §6.5.1)", async () => {
    const server = await startServer(async (ctx) => {
      const feature = ctx.features.get(HttpRequestTrailersFeature)!;
      const body = await ctx.request.body.text();
      await ctx.response.end(`${body} ${JSON.stringify(feature.trailers.toJSON())}`);
    });
    const request = lines("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: chunked", "", "2", "hi", "0", "Content-Length: 99", "Host: evil", "X-Ok: 1", "", "");
    const result = await rawRequest(server.port, request, { responses: 1 });
    expect(result.responses[0]!.body.toString()).toBe('hi {"x-ok":"1"}');
  });

  it("count toward maxRequestHeadersTotalSize: oversized trailers fail the read with 431", async () => {
    const status = deferred<number | undefined>();
    const server = await startServer(
      async (ctx) => {
        try {
          await ctx.request.body.text();
        } catch (error) {
          status.resolve((error as { statusCode?: number }).statusCode);
          throw error;
        }
        status.resolve(undefined);
      },
      { limits: { maxRequestHeadersTotalSize: 1024 } },
    );
    const request = lines("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: chunked", "", "2", "hi", "0", `X-Big: ${"t".repeat(2000)}`, "", "");
    const result = await rawRequest(server.port, request);
    expect(await within(status.promise, "the app's read")).toBe(431);
    expect(result.responses[0]!.statusCode).toBe(431);
    expect(result.closed).toBe(true);
  });

  it("are empty and available for a request without a body", async () => {
    const server = await startServer(async (ctx) => {
      const feature = ctx.features.get(HttpRequestTrailersFeature)!;
      await ctx.response.end(`${feature.available} ${feature.trailers.size}`);
    });
    const result = await rawRequest(server.port, lines("GET / HTTP/1.1", "Host: a", "", ""), { responses: 1 });
    expect(result.responses[0]!.body.toString()).toBe("true 0");
  });
});

describe("request trailers of a request without any", () => {
  it("are empty and read-only, so an app's write cannot reach the next request", async () => {
    const seen: string[] = [];
    const server = await startServer(async (ctx) => {
      await ctx.request.body.buffer();
      const trailers = ctx.features.get(HttpRequestTrailersFeature)!.trailers;
      seen.push(`${trailers.size}:${attempt(() => trailers.set("x-leak", "1"))}`);
      await ctx.response.end("ok");
    });
    const request = lines("POST / HTTP/1.1", "Host: a", "Content-Length: 2", "", "hi");
    await rawRequest(server.port, request + request, { responses: 2 });
    expect(seen).toEqual(["0:ERR_X_HEADERS_READ_ONLY", "0:ERR_X_HEADERS_READ_ONLY"]);
  });
});
