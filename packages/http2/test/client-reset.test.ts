/**
 * A stream the client reset (RFC 9113 §5.1 "closed", reached by receiving
 * RST_STREAM): no response goes out on it, and a DATA or HEADERS frame the
 * client sends on it afterwards is a connection error of type STREAM_CLOSED,
 * whether the app is still running or has finished, and whether the frames
 * arrive in one read or several.
 */
import { afterEach, describe, expect, it } from "vitest";
import { frameHeader, headersFrames, rstStreamFrame } from "../src/frame-writer.js";
import { HpackEncoder } from "../src/hpack.js";
import { cleanup, ErrorCode, FrameType, H2Client, requestHeaders, startServer } from "./harness.js";

afterEach(cleanup);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An app that answers after `ms`, so the client's frames come while it runs. */
const slowApp = (ms: number) => async (ctx: { response: { end(b: string): Promise<void> } }) => {
  await sleep(ms);
  await ctx.response.end("late answer");
};

describe("frames on a stream the client reset", () => {
  for (const [name, appMs, waitMs] of [
    ["while the app still runs", 200, 0],
    ["after the app finished", 30, 100],
  ] as const) {
    for (const split of [false, true]) {
      it(`DATA after RST_STREAM ${name}${split ? ", frames in separate reads" : ""}: GOAWAY STREAM_CLOSED, no response on the stream`, async () => {
        const server = await startServer(slowApp(appMs) as never);
        const client = await H2Client.handshake(server.port);
        const head = Buffer.concat(headersFrames(1, new HpackEncoder().encode(requestHeaders("POST", "/")), false, 16_384));
        const rst = rstStreamFrame(1, ErrorCode.CANCEL);
        const data = Buffer.concat([frameHeader(4, FrameType.DATA, 0, 1), Buffer.from("late")]);
        if (split) {
          client.write(head);
          await sleep(5);
          client.write(rst);
          await sleep(waitMs + 20);
          client.write(data);
        } else {
          client.write(Buffer.concat([head, rst]));
          await sleep(waitMs);
          client.write(data);
        }
        const goAway = await client.goAway();
        expect(goAway.errorCode).toBe(ErrorCode.STREAM_CLOSED);
        await sleep(appMs + 50);
        expect(client.frames.filter((f) => f.type === FrameType.HEADERS && f.streamId === 1)).toEqual([]);
      });
    }
  }

  it("HEADERS after RST_STREAM while the app runs: GOAWAY STREAM_CLOSED", async () => {
    const server = await startServer(slowApp(200) as never);
    const client = await H2Client.handshake(server.port);
    client.request(1, requestHeaders("POST", "/"), false);
    client.rst(1);
    await sleep(20);
    client.request(1, [{ name: "x-trailer", value: "1" }], true);
    expect((await client.goAway()).errorCode).toBe(ErrorCode.STREAM_CLOSED);
  });

  it("a reset stream with no more frames leaves the connection serving others, without a response on it", async () => {
    const server = await startServer(slowApp(100) as never);
    const client = await H2Client.handshake(server.port);
    client.request(1, requestHeaders("POST", "/"), false);
    client.rst(1);
    client.get(3, "/other");
    expect((await client.response(3)).status).toBe(200);
    await sleep(150);
    expect(client.frames.filter((f) => f.streamId === 1 && (f.type === FrameType.HEADERS || f.type === FrameType.DATA))).toEqual([]);
  });
});

describe("frames that crossed our RST_STREAM", () => {
  it("are ignored, even when the client's RST_STREAM crossed ours too (§5.1, §5.4.2)", async () => {
    const server = await startServer((ctx) => ctx.response.end("early"));
    const client = await H2Client.handshake(server.port);
    client.request(1, requestHeaders("POST", "/"), false);
    expect(await client.rstCode(1)).toBe(ErrorCode.NO_ERROR);
    client.rst(1);
    client.write(Buffer.concat([frameHeader(4, FrameType.DATA, 0, 1), Buffer.from("late")]));
    client.get(3, "/next");
    expect((await client.response(3)).status).toBe(200);
    expect(client.frames.some((f) => f.type === FrameType.GOAWAY)).toBe(false);
  });
});
