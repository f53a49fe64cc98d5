/**
 * maxRequestBodySize on HTTP/2, as Kestrel keeps it on both protocols: a body
 * over the limit (the server's, or one the app lowered for its request with
 * HttpMaxRequestBodySizeFeature) fails the app's read with a 413
 * BadHttpRequestError; unless the app answers it, the server answers 413.
 * The rest of the body is discarded, the stream is then reset with NO_ERROR
 * (RFC 9113 §8.1), and the connection serves other streams.
 */
import { BadHttpRequestError, HttpMaxRequestBodySizeFeature, type RequestDelegate } from "@x/abstractions";
import { afterEach, describe, expect, it } from "vitest";
import { cleanup, ErrorCode, FrameFlags, FrameType, H2Client, requestHeaders, startServer } from "./harness.js";

afterEach(cleanup);

/** Reads the whole body: "got N", or the read's failure rethrown (the server answers it). */
const readAll: RequestDelegate = async (ctx) => {
  if (ctx.request.path === "/lowered") ctx.features.get(HttpMaxRequestBodySizeFeature)!.maxRequestBodySize = 100;
  const body = await ctx.request.body.buffer();
  await ctx.response.end(`got ${body.length}`);
};

async function post(client: H2Client, id: number, path: string, sizes: number[], extra: [string, string][] = []): Promise<void> {
  client.request(id, [...requestHeaders("POST", path), ...extra.map(([name, value]) => ({ name, value }))], false);
  for (const [i, size] of sizes.entries()) client.writeFrame(FrameType.DATA, i === sizes.length - 1 ? FrameFlags.END_STREAM : 0, id, Buffer.alloc(size, 0x61));
}

describe("maxRequestBodySize on HTTP/2", () => {
  it("answers 413 when the body outgrows the server's limit, resets the stream with NO_ERROR, and serves the next stream", async () => {
    const server = await startServer(readAll, { limits: { maxRequestBodySize: 1_000 } });
    const client = await H2Client.handshake(server.port);
    client.request(1, requestHeaders("POST", "/upload"), false);
    client.writeFrame(FrameType.DATA, 0, 1, Buffer.alloc(600, 0x61));
    client.writeFrame(FrameType.DATA, 0, 1, Buffer.alloc(600, 0x61));
    expect((await client.response(1)).status).toBe(413);
    expect(await client.rstCode(1)).toBe(ErrorCode.NO_ERROR);
    await post(client, 3, "/small", [500]);
    expect((await client.response(3)).status).toBe(200);
  });

  it("answers 413 when the app lowered the limit for its request (HttpMaxRequestBodySizeFeature)", async () => {
    const server = await startServer(readAll);
    const client = await H2Client.handshake(server.port);
    await post(client, 1, "/lowered", [80, 80]);
    expect((await client.response(1)).status).toBe(413);
  });

  it("answers 413, not 500, for a Content-Length over the lowered limit", async () => {
    const server = await startServer(readAll);
    const client = await H2Client.handshake(server.port);
    await post(client, 1, "/lowered", [500], [["content-length", "500"]]);
    expect((await client.response(1)).status).toBe(413);
  });

  it("lets the app answer the 413 error itself", async () => {
    const server = await startServer(async (ctx) => {
      try {
        await ctx.request.body.buffer();
      } catch (error) {
        const status = error instanceof BadHttpRequestError ? error.statusCode : 0;
        await ctx.response.end(`caught ${status}`);
      }
    }, { limits: { maxRequestBodySize: 100 } });
    const client = await H2Client.handshake(server.port);
    await post(client, 1, "/", [300]);
    expect((await client.response(1)).status).toBe(200);
    await client.waitFor((f) => f.type === FrameType.DATA && f.streamId === 1 && (f.flags & FrameFlags.END_STREAM) !== 0, "END_STREAM");
    expect(client.body(1).toString()).toBe("caught 413");
  });
});
