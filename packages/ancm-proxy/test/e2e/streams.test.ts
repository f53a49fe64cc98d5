/**
 * Traffic that must flow through the front without being buffered: a
 * WebSocket tunnelled to the app, and 200 MB each way with the front's
 * memory bounded.
 */
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { Readable } from "node:stream";
import { request } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { patternChunks } from "./fixtures/pattern.mjs";
import { agent, assertBuilt, E2E, echo, outOfProcess, residentBytes, sampleResident, within } from "./helpers.js";

const e2e = new E2E();
const sockets = new Set<WebSocket>();
beforeAll(assertBuilt);
afterEach(async () => {
  for (const ws of sockets) ws.terminate();
  sockets.clear();
  await e2e.cleanup();
});
afterAll(() => agent.close());

const MB = 1024 * 1024;
const TRANSFER_BYTES = 200 * MB;
/** How far above its idle RSS the front may go while 200 MB pass through it. */
const RSS_HEADROOM = 150 * MB;

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return within(5_000, once(ws, "message"), "a WebSocket message").then(([data, isBinary]) => ({ data: data as Buffer, isBinary: isBinary as boolean }));
}

describe("x-ancm WebSockets", () => {
  it("tunnels a WebSocket to the app: 10-byte and 100 KiB messages echo back", async () => {
    const site = await e2e.site({ settings: outOfProcess() });
    const front = await e2e.front(site);
    const ws = new WebSocket(`${front.url.replace(/^http/, "ws")}/ws`);
    sockets.add(ws);
    ws.on("error", () => {});
    await within(10_000, once(ws, "open"), "the WebSocket handshake through the front");

    ws.send("0123456789");
    const text = await nextMessage(ws);
    expect(text.isBinary).toBe(false);
    expect(text.data.toString("utf8")).toBe("0123456789");

    const small = Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 255]);
    ws.send(small);
    const smallEcho = await nextMessage(ws);
    expect(smallEcho.isBinary).toBe(true);
    expect(smallEcho.data.equals(small)).toBe(true);

    const big = randomBytes(100 * 1024);
    ws.send(big);
    const bigEcho = await nextMessage(ws);
    expect(bigEcho.isBinary).toBe(true);
    expect(bigEcho.data.length).toBe(big.length);
    expect(bigEcho.data.equals(big)).toBe(true);

    // Plain requests keep working next to the open tunnel, on the same app process.
    const seen = await echo(`${front.url}/`);
    expect(front.startedPids()).toEqual([seen.pid]);

    ws.close(1000, "done");
    const [code] = await within(5_000, once(ws, "close"), "the WebSocket close");
    expect(code).toBe(1000);
  });
});

describe("x-ancm large bodies", () => {
  /** A front for 200 MB requests, its app started, and its idle RSS. */
  async function bigBodyFront() {
    const site = await e2e.site({ settings: outOfProcess() });
    const front = await e2e.front(site, { args: ["--Kestrel:Limits:MaxRequestBodySize", "300000000"] });
    await echo(`${front.url}/`);
    const idle = residentBytes(front.pid)!;
    expect(idle).toBeGreaterThan(0);
    return { front, idle };
  }

  function report(idle: number, peak: number): string {
    const mb = (n: number) => `${(n / MB).toFixed(1)} MB`;
    return `front RSS idle ${mb(idle)}, peak ${mb(peak)} (limit +${mb(RSS_HEADROOM)})`;
  }

  it(
    "streams a 200 MB upload to the app with the front's RSS bounded",
    async () => {
      const { front, idle } = await bigBodyFront();
      // Generated as it is sent, never a 200 MB buffer.
      const sent = createHash("sha256");
      async function* body() {
        for (const chunk of patternChunks(TRANSFER_BYTES)) {
          sent.update(chunk);
          yield chunk;
        }
      }
      const sampler = sampleResident(front.pid);
      const started = Date.now();
      const res = await request(`${front.url}/upload`, {
        method: "POST",
        headers: { "content-type": "application/octet-stream", "content-length": String(TRANSFER_BYTES) },
        body: Readable.from(body()),
        dispatcher: agent,
        headersTimeout: 20_000,
        bodyTimeout: 20_000,
      });
      const text = await res.body.text();
      const peak = sampler.stop();
      expect(res.statusCode, text).toBe(200);
      expect(JSON.parse(text)).toEqual({ bytes: TRANSFER_BYTES, sha256: sent.digest("hex") });
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(peak - idle, report(idle, peak)).toBeLessThan(RSS_HEADROOM);
    },
    30_000,
  );

  it("forwards a 1 MB response body intact (more than one 64 KiB read from the app)", async () => {
    const site = await e2e.site({ settings: outOfProcess() });
    const front = await e2e.front(site);
    const bytes = 1024 * 1024;
    const res = await request(`${front.url}/download?bytes=${bytes}`, { dispatcher: agent, bodyTimeout: 5_000 });
    expect(res.statusCode).toBe(200);
    const body = Buffer.from(await res.body.arrayBuffer());
    expect(body.length).toBe(bytes);
    expect(body.equals(Buffer.concat([...patternChunks(bytes)]))).toBe(true);
  });

  it(
    "streams a 200 MB download to the client with the front's RSS bounded",
    async () => {
      const { front, idle } = await bigBodyFront();
      const expected = createHash("sha256");
      for (const chunk of patternChunks(TRANSFER_BYTES)) expected.update(chunk);

      const sampler = sampleResident(front.pid);
      const started = Date.now();
      const res = await request(`${front.url}/download?bytes=${TRANSFER_BYTES}`, { dispatcher: agent, headersTimeout: 10_000, bodyTimeout: 10_000 });
      expect(res.statusCode).toBe(200);
      expect(res.headers["content-length"]).toBe(String(TRANSFER_BYTES));
      // Hashed while it is read.
      const received = createHash("sha256");
      let bytes = 0;
      for await (const chunk of res.body) {
        received.update(chunk as Buffer);
        bytes += (chunk as Buffer).length;
      }
      const peak = sampler.stop();
      expect(bytes).toBe(TRANSFER_BYTES);
      expect(received.digest("hex")).toBe(expected.digest("hex"));
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(peak - idle, report(idle, peak)).toBeLessThan(RSS_HEADROOM);
    },
    30_000,
  );
});
