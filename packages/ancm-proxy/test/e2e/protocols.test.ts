/**
 * What clients other than plain HTTP/1.1 GETs see through the front:
 * HTTP/2 clients (the front speaks HTTP/2, the app HTTP/1.1), HEAD, chunked
 * uploads, and requests spread round-robin over several app processes.
 */
import { createHash } from "node:crypto";
import { connect as h2connect } from "node:http2";
import { Readable } from "node:stream";
import { request } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { agent, assertBuilt, E2E, type Echo, echo, outOfProcess, within } from "./helpers.js";

const e2e = new E2E();
beforeAll(assertBuilt);
afterEach(() => e2e.cleanup());
afterAll(() => agent.close());

function h2get(origin: string, path: string): Promise<{ status: number; body: string }> {
  return within(
    10_000,
    new Promise((resolve, reject) => {
      const session = h2connect(origin);
      session.on("error", reject);
      const stream = session.request({ ":path": path });
      let status = 0;
      let body = "";
      stream.on("response", (headers) => {
        status = Number(headers[":status"]);
      });
      stream.setEncoding("utf8");
      stream.on("data", (d: string) => {
        body += d;
      });
      stream.on("end", () => {
        session.close();
        resolve({ status, body });
      });
      stream.on("error", reject);
    }),
    `h2 GET ${path}`,
  );
}

describe("x-ancm with other clients and settings", () => {
  it("serves HTTP/2 clients (prior knowledge on the front's cleartext endpoint) from an HTTP/1.1 app", async () => {
    const site = await e2e.site({ settings: outOfProcess() });
    const front = await e2e.front(site);
    const answer = await h2get(front.url, "/h2/path?q=1");
    expect(answer.status).toBe(200);
    const seen = JSON.parse(answer.body) as Echo;
    expect(seen).toMatchObject({ method: "GET", path: "/h2/path", query: "?q=1", scheme: "http" });
    // :authority reaches the app as Host.
    expect(seen.headers.host).toBe(new URL(front.url).host);
  });

  it("answers HEAD with the app's headers and no body, and keeps the connection usable", async () => {
    const site = await e2e.site({ settings: outOfProcess() });
    const front = await e2e.front(site);
    const head = await request(`${front.url}/x`, { method: "HEAD", dispatcher: agent });
    expect(head.statusCode).toBe(200);
    expect(await head.body.text()).toBe("");
    expect((await echo(`${front.url}/after-head`)).path).toBe("/after-head");
  });

  it("forwards a chunked upload of unknown length whole", async () => {
    const site = await e2e.site({ settings: outOfProcess() });
    const front = await e2e.front(site);
    const parts = Array.from({ length: 50 }, (_, i) => Buffer.alloc(10_000 + i, i));
    const expected = createHash("sha256");
    for (const p of parts) expected.update(p);
    async function* body() {
      for (const p of parts) yield p;
    }
    const res = await request(`${front.url}/upload`, { method: "POST", body: Readable.from(body()), dispatcher: agent });
    expect(res.statusCode).toBe(200);
    const result = (await res.body.json()) as { bytes: number; sha256: string };
    expect(result).toEqual({ bytes: parts.reduce((n, p) => n + p.length, 0), sha256: expected.digest("hex") });
  });

  it("starts processesPerApplication processes and spreads requests over them round-robin", async () => {
    const site = await e2e.site({ settings: outOfProcess({ processesPerApplication: "2" }) });
    const front = await e2e.front(site);
    const pids: number[] = [];
    for (let i = 0; i < 6; i++) pids.push((await echo(`${front.url}/rr`)).pid);
    expect(new Set(pids).size).toBe(2);
    // Alternating, once both are up.
    expect(pids[2]).not.toBe(pids[3]);
    expect(pids[2]).toBe(pids[4]);
    expect(pids[3]).toBe(pids[5]);
  });
});
