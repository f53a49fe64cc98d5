/** The harness itself, and the basic exchange every other suite builds on. */
import { afterEach, describe, expect, it } from "vitest";
import { cleanup, FrameType, H2Client, startServer } from "./harness.js";

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
});
