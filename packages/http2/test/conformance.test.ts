/**
 * RFC 9113 §3–§8 and RFC 7541 conformance, table-driven: each row of
 * `conformance-cases.ts` writes raw frames and names the exact answer
 * (GOAWAY versus RST_STREAM and the error code, a response, or nothing).
 * After a stream error or an ignored frame, a follow-up request proves the
 * connection still works and that both HPACK tables are still in step.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type Case, cases, type Expect, app, getFields, releaseHeld } from "./conformance-cases.js";
import { cleanup, describeFrames, ErrorCode, FrameType, H2Client, type ReceivedFrame, startServer } from "./harness.js";

/** A stream id above every id the cases use. */
const FOLLOW_UP_STREAM = 999;

afterEach(async () => {
  releaseHeld();
  await cleanup();
});

async function connect(c: Case, port: number): Promise<H2Client> {
  if (c.handshake === false) return H2Client.connect(port, { preface: false });
  return H2Client.handshake(port, c.settings ?? []);
}

const isGoAway = (f: ReceivedFrame) => f.type === FrameType.GOAWAY;
const isRst = (f: ReceivedFrame) => f.type === FrameType.RST_STREAM;

/**
 * The connection still serves, and the x-custom entry of the dynamic table is
 * the same on both sides. (Where a case holds the only stream slot, the
 * follow-up is refused with REFUSED_STREAM: still a live connection.)
 */
async function followUp(client: H2Client): Promise<void> {
  client.request(FOLLOW_UP_STREAM, getFields("/"));
  const answer = await client.waitFor(
    (f) => f.streamId === FOLLOW_UP_STREAM && (f.type === FrameType.HEADERS || f.type === FrameType.RST_STREAM),
    "the follow-up's answer",
  );
  if (answer.type === FrameType.RST_STREAM) {
    expect(answer.payload.readUInt32BE(0)).toBe(ErrorCode.REFUSED_STREAM);
    return;
  }
  const response = await client.response(FOLLOW_UP_STREAM);
  expect(response.status, describeFrames(client.frames)).toBe(200);
  expect(response.headers.find((h) => h.name === "x-echo-custom")?.value).toBe("conformance");
}

async function check(client: H2Client, expected: Expect, since: number): Promise<void> {
  if ("goAway" in expected) {
    const frame = await client.waitFor(isGoAway, "GOAWAY", since);
    expect(frame.payload.readUInt32BE(4), describeFrames(client.frames)).toBe(expected.goAway);
    if (expected.lastStreamId !== undefined) expect(frame.payload.readUInt32BE(0) & 0x7fffffff).toBe(expected.lastStreamId);
    await client.waitClosed();
    return;
  }
  if ("goAwayOrClose" in expected) {
    await client.waitClosed();
    const frame = client.frames.slice(since).find(isGoAway);
    if (frame !== undefined) expect(frame.payload.readUInt32BE(4)).toBe(expected.goAwayOrClose);
    return;
  }
  if ("rst" in expected) {
    const [streamId, code] = expected.rst;
    const frame = await client.waitFor((f) => isRst(f) || isGoAway(f), `RST_STREAM on ${streamId}`, since);
    expect(frame.type, describeFrames(client.frames)).toBe(FrameType.RST_STREAM);
    expect(frame.streamId).toBe(streamId);
    expect(frame.payload.readUInt32BE(0)).toBe(code);
    await followUp(client);
    expect(client.frames.some(isGoAway), describeFrames(client.frames)).toBe(false);
    return;
  }
  if ("status" in expected) {
    const streamId = expected.stream ?? 1;
    const response = await client.response(streamId);
    expect(response.status, describeFrames(client.frames)).toBe(expected.status);
    for (const [name, value] of Object.entries(expected.headers ?? {})) {
      expect(response.headers.find((h) => h.name === name)?.value, name).toBe(value);
    }
    expect(client.frames.some(isGoAway), describeFrames(client.frames)).toBe(false);
    return;
  }
  if ("ignored" in expected) {
    await followUp(client);
    const after = client.frames.slice(since);
    expect(after.some((f) => isGoAway(f) || isRst(f)), describeFrames(after)).toBe(false);
    return;
  }
  // oneOf: the first error answer (GOAWAY, RST_STREAM, close) within a moment decides which
  // alternative applies; without one, the response or "ignored" alternative is checked.
  const decisive = await client.waitFor((f) => isGoAway(f) || isRst(f), "an error answer", since, 500).catch(() => null);
  const kind = decisive !== null ? (isGoAway(decisive) ? "goAway" : "rst") : client.closed ? "close" : "none";
  const alternative = expected.oneOf.find((e) => {
    if (kind === "goAway") return "goAway" in e || "goAwayOrClose" in e;
    if (kind === "rst") return "rst" in e && e.rst[0] === decisive!.streamId && e.rst[1] === decisive!.payload.readUInt32BE(0);
    if (kind === "close") return "goAwayOrClose" in e;
    return "status" in e || "ignored" in e;
  });
  expect(alternative, `answer ${kind} is none of the allowed ones; frames: ${describeFrames(client.frames)}`).toBeDefined();
  await check(client, alternative!, since);
}

describe("RFC 9113 and RFC 7541 conformance (raw frames)", () => {
  for (const c of cases) {
    const test = c.knownFailure === undefined ? it : it.fails;
    test(c.name, async () => {
      const server = await startServer(app, c.limits === undefined ? {} : { limits: c.limits });
      const client = await connect(c, server.port);
      const since = client.frames.length;
      await c.send(client);
      await check(client, c.expect, since);
    });
  }

  it("every case names its RFC section", () => {
    for (const c of cases) expect(c.name).toMatch(/^(RFC 7541 )?§\d/);
  });
});
