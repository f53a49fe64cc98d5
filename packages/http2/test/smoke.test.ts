/** The harness itself, and the basic exchange every other suite builds on. */
import { HttpMinRequestBodyDataRateFeature, HttpMinResponseDataRateFeature, HttpResetFeature, minDataRate } from "@x/abstractions";
import { afterEach, describe, expect, it } from "vitest";
import { cleanup, ErrorCode, FrameType, H2Client, requestHeaders, startServer } from "./harness.js";

afterEach(cleanup);

describe("raw-frame harness", () => {
  it("exchanges SETTINGS and answers a GET with HEADERS and DATA (RFC 9113 §3.4, §8.1)", async () => {
    const server = await startServer((ctx) => ctx.response.end(`hi ${ctx.request.path}`));
    const client = await H2Client.handshake(server.port);
    client.get(1, "/x");
    const response = await client.response(1);
    expect(response.status).toBe(200);
    await client.waitFor((f) => f.type === FrameType.DATA && f.streamId === 1 && (f.flags & 1) !== 0, "END_STREAM");
    expect(client.body(1).toString()).toBe("hi /x");
  });

  it("answers an unread request body with the response, then RST_STREAM NO_ERROR, at once (RFC 9113 §8.1)", async () => {
    const server = await startServer((ctx) => ctx.response.end("early"));
    const client = await H2Client.handshake(server.port);
    client.request(1, requestHeaders("POST", "/upload"), false);
    const response = await client.response(1);
    expect(response.status).toBe(200);
    expect(await client.rstCode(1)).toBe(ErrorCode.NO_ERROR);
    expect(client.body(1).toString()).toBe("early");
    // No drain: the connection serves the next stream right away.
    client.get(3, "/next");
    expect((await client.response(3)).status).toBe(200);
  });

  it("gives the app request.protocol HTTP/2, the :authority as host, and the decoded path (RFC 9113 §8.3.1)", async () => {
    const server = await startServer((ctx) => ctx.response.end(`${ctx.request.protocol} ${ctx.request.host} ${ctx.request.path} ${ctx.request.queryString}`));
    const client = await H2Client.handshake(server.port);
    client.get(1, "/a%20b/../c?q=1");
    await client.waitFor((f) => f.type === FrameType.DATA && f.streamId === 1 && (f.flags & 1) !== 0, "END_STREAM");
    expect(client.body(1).toString()).toBe("HTTP/2 localhost /c ?q=1");
  });

  it("exposes Kestrel's HTTP/2 features: trailers, reset, null-only min request rate, no min response rate", async () => {
    const seen: string[] = [];
    const server = await startServer(async (ctx) => {
      const requestRate = ctx.features.get(HttpMinRequestBodyDataRateFeature)!;
      requestRate.minDataRate = null;
      try {
        requestRate.minDataRate = minDataRate(100, 5_000);
      } catch (error) {
        seen.push((error as Error).name);
      }
      // Kestrel: reading the value on HTTP/2 throws NotSupportedException too.
      try {
        seen.push(String(requestRate.minDataRate));
      } catch (error) {
        seen.push((error as Error).name);
      }
      seen.push(String(ctx.features.get(HttpMinResponseDataRateFeature)));
      seen.push(String(ctx.response.supportsTrailers));
      seen.push(typeof ctx.features.get(HttpResetFeature)?.reset);
      await ctx.response.end("ok");
    });
    const client = await H2Client.handshake(server.port);
    client.get(1);
    await client.response(1);
    expect(seen).toEqual(["NotSupportedError", "NotSupportedError", "undefined", "true", "function"]);
  });

  it("keeps writes the app does not await in order, and end() after them (the body matches its Content-Length)", async () => {
    const server = await startServer((ctx) => {
      ctx.response.headers.set("content-length", "13");
      void ctx.response.write("Hello, ");
      void ctx.response.write("World!");
      return ctx.response.end();
    });
    const client = await H2Client.handshake(server.port);
    client.get(1, "/unawaited");
    expect((await client.response(1)).status).toBe(200);
    await client.waitFor((f) => f.type === FrameType.DATA && f.streamId === 1 && (f.flags & 1) !== 0, "END_STREAM");
    expect(client.body(1).toString()).toBe("Hello, World!");
  });
});

describe("OnCompleted callbacks on HTTP/2", () => {
  it("run after the response, last registered first, one at a time, and a failing one does not stop the rest (as on HTTP/1.1)", async () => {
    const order: string[] = [];
    let resolveDone: () => void = () => {};
    const done = new Promise<void>((r) => (resolveDone = r));
    const server = await startServer(async (ctx) => {
      ctx.response.onCompleted(() => {
        order.push("first");
        resolveDone();
      });
      ctx.response.onCompleted(() => {
        throw new Error("second fails");
      });
      ctx.response.onCompleted(async () => {
        await new Promise((r) => setTimeout(r, 20));
        order.push("third");
      });
      await ctx.response.end("ok");
      order.push("response ended");
    });
    const client = await H2Client.handshake(server.port);
    client.get(1, "/");
    expect((await client.response(1)).status).toBe(200);
    await done;
    expect(order).toEqual(["response ended", "third", "first"]);
  });
});
