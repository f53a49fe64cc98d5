/**
 * Frames of a request that arrive after the app already answered it (the
 * server then resets the stream with NO_ERROR, RFC 9113 §8.1) are still
 * checked: the outcome must not depend on whether they came in the same
 * read as the HEADERS (before the answer) or in a later one (after it).
 */
import { afterEach, describe, expect, it } from "vitest";
import { frameHeader, headersFrames, windowUpdateFrame } from "../src/frame-writer.js";
import { HpackEncoder } from "../src/hpack.js";
import { cleanup, ErrorCode, FrameFlags, FrameType, H2Client, requestHeaders, startServer } from "./harness.js";

afterEach(cleanup);

const earlyApp = (ctx: { response: { end(b: string): Promise<void> } }) => ctx.response.end("early");

type Scenario = { name: string; head: [string, string][]; next: (encoder: HpackEncoder) => Buffer; code: number };
const data = (flags: number, payload: Buffer) => Buffer.concat([frameHeader(payload.length, FrameType.DATA, flags, 1), payload]);

const scenarios: Scenario[] = [
  { name: "a WINDOW_UPDATE that overflows the stream window (§6.9.1)", head: [], next: () => windowUpdateFrame(1, 0x7fffffff), code: ErrorCode.FLOW_CONTROL_ERROR },
  {
    name: "a second HEADERS without END_STREAM (§8.1)",
    head: [],
    next: (e) => Buffer.concat(headersFrames(1, e.encode([{ name: "x-more", value: "1" }]), false, 16_384)),
    code: ErrorCode.PROTOCOL_ERROR,
  },
  {
    name: "a trailer block with a pseudo-header (§8.1.2.1)",
    head: [],
    next: (e) => Buffer.concat(headersFrames(1, e.encode([{ name: ":path", value: "/x" }]), true, 16_384)),
    code: ErrorCode.PROTOCOL_ERROR,
  },
  { name: "more DATA than content-length (§8.1.1)", head: [["content-length", "3"]], next: () => data(0, Buffer.from("12345")), code: ErrorCode.PROTOCOL_ERROR },
  { name: "less DATA than content-length at END_STREAM (§8.1.1)", head: [["content-length", "10"]], next: () => data(FrameFlags.END_STREAM, Buffer.from("123")), code: ErrorCode.PROTOCOL_ERROR },
];

/** The codes of the RST_STREAM frames the server sent on stream 1, in order. */
const rstCodes = (client: H2Client) => client.frames.filter((f) => f.type === FrameType.RST_STREAM && f.streamId === 1).map((f) => f.payload.readUInt32BE(0));

describe("frames after the app answered early", () => {
  for (const s of scenarios) {
    for (const together of [true, false]) {
      it(`${s.name}, ${together ? "in the same read as the HEADERS" : "after the answer"}: RST_STREAM ${s.code}`, async () => {
        const server = await startServer(earlyApp as never);
        const client = await H2Client.handshake(server.port);
        const encoder = new HpackEncoder();
        const head = Buffer.concat(headersFrames(1, encoder.encode([...requestHeaders("POST", "/"), ...s.head.map(([name, value]) => ({ name, value }))]), false, 16_384));
        if (together) client.write(Buffer.concat([head, s.next(encoder)]));
        else {
          client.write(head);
          await client.waitFor((f) => f.type === FrameType.RST_STREAM && f.streamId === 1, "the early answer's RST_STREAM");
          client.write(s.next(encoder));
        }
        await client.waitFor(() => rstCodes(client).includes(s.code) || client.frames.some((f) => f.type === FrameType.GOAWAY), `RST_STREAM ${s.code}`);
        expect(rstCodes(client)).toContain(s.code);
        // The connection goes on (the error is the stream's), HPACK still in step.
        client.request(3, requestHeaders("GET", "/next"));
        expect((await client.response(3)).status).toBe(200);
        expect(client.frames.some((f) => f.type === FrameType.GOAWAY)).toBe(false);
      });
    }
  }
});
