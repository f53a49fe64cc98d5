import { HttpConnectionFeature, HttpRequestBodyDetectionFeature, HttpRequestTrailersFeature } from "@x/abstractions";
import { afterEach, describe, expect, it } from "vitest";
import { closeAllServers, deferred, delay, lines, RawClient, rawRequest, startServer, within } from "./harness.js";

afterEach(closeAllServers);

describe("request features", () => {
  it.each([
    ["a GET without a body", lines("GET / HTTP/1.1", "Host: a", "", ""), "false/false"],
    ["Content-Length: 0", lines("POST / HTTP/1.1", "Host: a", "Content-Length: 0", "", ""), "false/false"],
    ["a non-zero Content-Length", lines("POST / HTTP/1.1", "Host: a", "Content-Length: 2", "", "hi"), "true/true"],
    ["Transfer-Encoding: chunked", lines("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: chunked", "", "0", "", ""), "true/true"],
  ])("report canHaveBody for %s as ASP.NET Core documents it, before and after reading", async (_name, request, expected) => {
    const server = await startServer(async (ctx) => {
      const detection = ctx.features.get(HttpRequestBodyDetectionFeature)!;
      const before = detection.canHaveBody;
      await ctx.request.body.text();
      await ctx.response.end(`${before}/${detection.canHaveBody}`);
    });
    const result = await rawRequest(server.port, request, { responses: 1 });
    expect(result.responses[0]!.body.toString()).toBe(expected);
  });

  it("make request trailers available once the body has been read", async () => {
    const server = await startServer(async (ctx) => {
      const feature = ctx.features.get(HttpRequestTrailersFeature)!;
      await ctx.request.body.text();
      await ctx.response.end(`${feature.available} ${feature.trailers.get("x-t")}`);
    });
    const result = await rawRequest(server.port, lines("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: chunked", "", "1", "a", "0", "X-T: v", "", ""), {
      responses: 1,
    });
    expect(result.responses[0]!.body.toString()).toBe("true v");
  });

  it("number requests on a connection in the trace identifier, Kestrel style", async () => {
    const server = await startServer(async (ctx) => {
      await ctx.response.end(ctx.traceIdentifier);
    });
    const client = await RawClient.connect(server.port);
    try {
      await client.write(lines("GET / HTTP/1.1", "Host: a", "", "") + lines("GET / HTTP/1.1", "Host: a", "", ""));
      const ids = (await client.responses(2)).map((r) => r.body.toString());
      const connectionId = server.connections[0]!.id;
      expect(ids).toEqual([`${connectionId}:00000001`, `${connectionId}:00000002`]);
    } finally {
      client.destroy();
    }
  });

  it("expose the connection's addresses", async () => {
    const server = await startServer(async (ctx) => {
      const info = ctx.features.get(HttpConnectionFeature)!;
      await ctx.response.end(JSON.stringify(info));
    });
    const result = await rawRequest(server.port, lines("GET / HTTP/1.1", "Host: a", "", ""), { responses: 1 });
    expect(JSON.parse(result.responses[0]!.body.toString())).toMatchObject({ localAddress: "127.0.0.1", localPort: server.port, remoteAddress: "127.0.0.1" });
  });

  it("let the app abort the connection, firing requestAborted", async () => {
    let aborted = false;
    const server = await startServer((ctx) => {
      ctx.requestAborted.addEventListener("abort", () => {
        aborted = true;
      });
      ctx.abort();
    });
    const result = await rawRequest(server.port, lines("GET / HTTP/1.1", "Host: a", "", ""));
    expect(result.closed).toBe(true);
    expect(result.bytes.length).toBe(0);
    expect(aborted).toBe(true);
  });
});

describe("OnCompleted callbacks", () => {
  it("run after the response, last registered first, one at a time, and a failing one does not stop the rest (ASP.NET Core's FireOnCompleted)", async () => {
    const order: string[] = [];
    const done = deferred();
    const server = await startServer(async (ctx) => {
      ctx.response.onCompleted(() => {
        order.push("first");
        done.resolve();
      });
      ctx.response.onCompleted(() => {
        throw new Error("second fails");
      });
      ctx.response.onCompleted(async () => {
        await delay(20);
        order.push("third");
      });
      await ctx.response.end("ok");
      order.push("response ended");
    });
    await rawRequest(server.port, lines("GET / HTTP/1.1", "Host: a", "Connection: close", "", ""), { responses: 1 });
    await within(done.promise, "the first callback");
    expect(order).toEqual(["response ended", "third", "first"]);
  });
});
