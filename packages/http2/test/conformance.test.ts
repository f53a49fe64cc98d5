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

/**
 * How the bytes a case writes reach the server: as written, one frame per
 * read, or one byte per read. Whether frames arrive in one read or several
 * must never change the answer.
 */
type Delivery = "as written" | "frame by frame" | "byte by byte";
const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/** Makes `client.write` deliver in pieces (each its own socket write, a turn of the event loop apart). */
function deliverIn(client: H2Client, delivery: Delivery): void {
  if (delivery === "as written") return;
  const socket = client.socket;
  socket.setNoDelay(true);
  let pending = Buffer.alloc(0);
  let chain = Promise.resolve();
  const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
  const send = (piece: Buffer) => {
    chain = chain.then(async () => {
      if (socket.destroyed) return;
      socket.write(piece);
      await turn();
    });
  };
  /** Cuts the frames (and the preface) that are complete; a remainder waits a turn for the rest, then goes as it is. */
  const cut = () => {
    for (;;) {
      if (pending.length >= PREFACE.length && pending.subarray(0, PREFACE.length).equals(PREFACE)) {
        send(pending.subarray(0, PREFACE.length));
        pending = pending.subarray(PREFACE.length);
        continue;
      }
      if (pending.length < 9) break;
      const size = 9 + pending.readUIntBE(0, 3);
      if (pending.length < size) break;
      send(pending.subarray(0, size));
      pending = pending.subarray(size);
    }
  };
  client.write = (...buffers: Buffer[]) => {
    const bytes = Buffer.concat(buffers);
    if (delivery === "byte by byte") {
      for (let i = 0; i < bytes.length; i++) send(bytes.subarray(i, i + 1));
      return;
    }
    pending = Buffer.concat([pending, bytes]);
    cut();
    const left = pending;
    if (left.length > 0) {
      // A malformed frame may promise more than is ever sent: after a turn without more, send it as it is.
      setImmediate(() => {
        if (pending !== left) return;
        send(pending);
        pending = Buffer.alloc(0);
      });
    }
  };
}

describe.each<Delivery>(["as written", "frame by frame", "byte by byte"])("RFC 9113 and RFC 7541 conformance (raw frames, %s)", (delivery) => {
  for (const c of cases) {
    const test = c.knownFailure === undefined ? it : it.fails;
    test(c.name, async () => {
      const server = await startServer(app, c.limits === undefined ? {} : { limits: c.limits });
      const client = await connect(c, server.port);
      deliverIn(client, delivery);
      const since = client.frames.length;
      await c.send(client);
      await check(client, c.expect, since);
    });
  }
});

it("every conformance case names its RFC section", () => {
  for (const c of cases) expect(c.name).toMatch(/^(RFC 7541 )?§\d/);
});
