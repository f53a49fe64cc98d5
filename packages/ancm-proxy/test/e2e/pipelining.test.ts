/**
 * The front pipelining requests to its app (`forwardingPipelineDepth`,
 * `forwardingPipelinePatience`): many clients at once each get their own
 * response, a slow response does not hold up the requests that arrived with
 * it, and depth 1 sends one request per connection at a time. The app's
 * `X-Original-For` (what its forwarded-headers step replaced) names the
 * front's end of the loopback connection each request came over.
 */
import { connect, type Socket } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { agent, assertBuilt, E2E, type Echo, outOfProcess, within } from "./helpers.js";

const e2e = new E2E();
beforeAll(assertBuilt);
afterEach(() => e2e.cleanup());
afterAll(() => agent.close());

interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** The client's own port: what the app must see as the remote port of this request. */
  readonly localPort: number;
}

/** One request on a connection of its own, written raw, the response read until the server's Content-Length. */
function rawRequest(origin: string, head: string, body = ""): Promise<RawResponse> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ host: hostname, port: Number(port) });
    let data = Buffer.alloc(0);
    socket.on("connect", () => socket.write(head + body));
    socket.on("data", (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      const end = data.indexOf("\r\n\r\n");
      if (end === -1) return;
      const lines = data.subarray(0, end).toString("latin1").split("\r\n");
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(":");
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = head.startsWith("HEAD ") ? 0 : Number(headers["content-length"] ?? "0");
      if (data.length - end - 4 < length) return;
      const localPort = socket.localPort ?? 0;
      socket.destroy();
      resolve({ status: Number(lines[0]!.split(" ")[1]), headers, body: data.subarray(end + 4, end + 4 + length).toString("utf8"), localPort });
    });
    socket.on("error", reject);
  });
}

function get(path: string, host: string, extra = ""): string {
  return `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}Connection: close\r\n\r\n`;
}

describe("x-ancm pipelining to the app", () => {
  it("gives each of many simultaneous clients its own response, GETs, HEADs and POSTs mixed", async () => {
    const site = await e2e.site({ settings: outOfProcess() });
    const front = await e2e.front(site);
    const host = new URL(front.url).host;
    // Start the app first, so that the burst below reaches a running app together.
    expect((await rawRequest(front.url, get("/warm", host))).status).toBe(200);

    const burst: Promise<{ kind: string; i: number; response: RawResponse }>[] = [];
    for (let i = 0; i < 60; i++) {
      const kind = i % 10 === 3 ? "post" : i % 10 === 7 ? "head" : "get";
      const promise =
        kind === "post"
          ? rawRequest(front.url, `POST /upload HTTP/1.1\r\nHost: ${host}\r\nContent-Length: ${i}\r\nConnection: close\r\n\r\n`, "x".repeat(i))
          : rawRequest(front.url, `${kind === "head" ? "HEAD" : "GET"} /item/${i}?n=${i} HTTP/1.1\r\nHost: ${host}\r\nX-Item: ${i}\r\nConnection: close\r\n\r\n`);
      burst.push(promise.then((response) => ({ kind, i, response })));
    }
    const results = await within(20_000, Promise.all(burst), "60 simultaneous requests through the front");
    const loopbackPorts = new Set<string>();
    for (const { kind, i, response } of results) {
      expect(response.status, `request ${i}`).toBe(200);
      if (kind === "post") {
        expect(JSON.parse(response.body)).toMatchObject({ bytes: i });
      } else if (kind === "head") {
        expect(response.body).toBe("");
        expect(Number(response.headers["content-length"])).toBeGreaterThan(0);
      } else {
        const seen = JSON.parse(response.body) as Echo;
        expect(seen).toMatchObject({ method: "GET", path: `/item/${i}`, query: `?n=${i}` });
        expect(seen.headers["x-item"]).toBe(String(i));
        // Requests batched on one loopback connection each carry their own client (X-Forwarded-For).
        expect(seen.remotePort, `request ${i}`).toBe(response.localPort);
        loopbackPorts.add(seen.headers["x-original-for"] ?? "");
      }
    }
    // The app saw the front's loopback end of each connection; GETs that arrived together shared some.
    expect([...loopbackPorts].every((p) => /^127\.0\.0\.1:\d+$/.test(p))).toBe(true);
  });

  it("does not hold requests up behind a slow response for longer than forwardingPipelinePatience", async () => {
    const site = await e2e.site({ settings: { ...outOfProcess(), handlerSettings: { forwardingPipelinePatience: "50" } } });
    const front = await e2e.front(site);
    const host = new URL(front.url).host;
    expect((await rawRequest(front.url, get("/warm", host))).status).toBe(200);

    const started = Date.now();
    const slow = rawRequest(front.url, get("/slow?ms=3000", host)).then((r) => ({ r, ms: Date.now() - started }));
    const fast = Array.from({ length: 8 }, (_, i) => rawRequest(front.url, get(`/fast/${i}`, host)).then((r) => ({ r, ms: Date.now() - started })));
    const quick = await within(10_000, Promise.all(fast), "the fast requests");
    for (const [i, { r, ms }] of quick.entries()) {
      expect(r.status).toBe(200);
      expect((JSON.parse(r.body) as Echo).path).toBe(`/fast/${i}`);
      expect(ms, `/fast/${i} waited for /slow`).toBeLessThan(2_000);
    }
    const late = await within(10_000, slow, "the slow request");
    expect(late.r.body).toBe("slow done 3000");
    expect(late.ms).toBeGreaterThanOrEqual(2_900);
  });

  it("sends one request per connection at a time with forwardingPipelineDepth 1", async () => {
    const site = await e2e.site({ settings: { ...outOfProcess(), handlerSettings: { forwardingPipelineDepth: "1" } } });
    const front = await e2e.front(site);
    const host = new URL(front.url).host;
    expect((await rawRequest(front.url, get("/warm", host))).status).toBe(200);
    // Each request waits in the app for 300 ms, all at the same time: each has a connection of its own.
    const all = await within(
      10_000,
      Promise.all(Array.from({ length: 12 }, (_, i) => rawRequest(front.url, get(`/slow?ms=300&echo&i=${i}`, host)))),
      "12 simultaneous slow requests",
    );
    const seen = all.map((r) => JSON.parse(r.body) as Echo);
    for (const [i, echo] of seen.entries()) expect(echo.query).toBe(`?ms=300&echo&i=${i}`);
    expect(new Set(seen.map((echo) => echo.headers["x-original-for"])).size).toBe(12);
    const echoes = await within(
      10_000,
      Promise.all(Array.from({ length: 12 }, (_, i) => rawRequest(front.url, get(`/echo/${i}`, host)))),
      "12 simultaneous GETs",
    );
    for (const [i, r] of echoes.entries()) expect((JSON.parse(r.body) as Echo).path).toBe(`/echo/${i}`);
  });
});
