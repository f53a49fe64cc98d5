/**
 * One Express 5 app with production middleware on node:http and on ours:
 * the same bytes in, the same response out (see support/compare.ts for
 * what is normalised and why).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIG_TEXT, COOKIE_SECRET, defaultErrorApp, expressApp, type Fixtures, makeFixtures, pattern, sha256 } from "./support/express-app.js";
import { expectSame, header, headerValues, multipart, type Pair, sendBoth, startPair } from "./support/compare.js";

let fixtures: Fixtures;
let pair: Pair;
beforeAll(async () => {
  fixtures = makeFixtures();
  pair = await startPair(expressApp(fixtures));
});
afterAll(async () => {
  await pair?.close();
  fixtures?.remove();
});

describe("Express 5 on ours answers as on node:http", () => {
  it("parses JSON and urlencoded bodies", async () => {
    const json = expectSame(await sendBoth(pair, { method: "POST", path: "/json", headers: [["Content-Type", "application/json"]], body: '{"a":[1,2],"b":"ü"}' }));
    expect(JSON.parse(json.body.toString())).toEqual({ received: { a: [1, 2], b: "ü" }, type: "application/json" });
    const form = expectSame(await sendBoth(pair, { method: "POST", path: "/form", headers: [["Content-Type", "application/x-www-form-urlencoded"]], body: "x=1&y[z]=2&y[w]=3" }));
    expect(JSON.parse(form.body.toString())).toEqual({ x: "1", y: { z: "2", w: "3" } });
  });

  it("parses a chunked request body sent in pieces", async () => {
    const data = pattern(200_000);
    const chunks: Buffer[] = [];
    for (let at = 0; at < data.length; at += 50_000) {
      const part = data.subarray(at, at + 50_000);
      chunks.push(Buffer.concat([Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from("\r\n")]));
    }
    chunks.push(Buffer.from("0\r\n\r\n"));
    const res = expectSame(
      await sendBoth(pair, { method: "POST", path: "/raw", headers: [["Transfer-Encoding", "chunked"], ["Content-Type", "application/octet-stream"]], body: chunks, gapMs: 2 }),
    );
    expect(JSON.parse(res.body.toString())).toEqual({ length: data.length, sha256: sha256(data) });
  });

  it("rejects malformed JSON through the error handler", async () => {
    const res = expectSame(await sendBoth(pair, { method: "POST", path: "/json", headers: [["Content-Type", "application/json"]], body: "{nope" }));
    expect(res.status).toBe(400);
  });

  it("sets and reads plain, signed and JSON cookies", async () => {
    const set = expectSame(await sendBoth(pair, { path: "/cookies/set" }));
    const cookies = headerValues(set, "set-cookie");
    expect(cookies).toHaveLength(4);
    const jar = cookies.map((c) => c.split(";")[0]).join("; ");
    const read = expectSame(await sendBoth(pair, { path: "/cookies/read", headers: [["Cookie", jar]] }));
    const body = JSON.parse(read.body.toString());
    expect(body.cookies.plain).toBe("one");
    expect(body.signed.signed).toBe("two");
    expect(COOKIE_SECRET).toBeTruthy();
  });

  it("gzips with compression, whole and streamed", async () => {
    for (const path of ["/big", "/big-stream"]) {
      const res = expectSame(await sendBoth(pair, { path, headers: [["Accept-Encoding", "gzip"]] }), { gunzip: true });
      expect(header(res, "content-encoding")).toBe("gzip");
    }
    const plain = expectSame(await sendBoth(pair, { path: "/big" }));
    expect(plain.body.toString()).toBe(BIG_TEXT);
  });

  it("takes multipart uploads with multer", async () => {
    const big = pattern(2_000_000, 3);
    const form = multipart([
      { name: "title", value: "report" },
      { name: "doc", value: "hello file", filename: "a.txt", type: "text/plain" },
      { name: "big", value: big, filename: "big.bin" },
    ]);
    const res = expectSame(await sendBoth(pair, { method: "POST", path: "/upload", headers: [["Content-Type", form.type], ["Content-Length", String(form.body.length)]], body: form.body }));
    const body = JSON.parse(res.body.toString());
    expect(body.fields).toEqual({ title: "report" });
    expect(body.files.map((f: { size: number }) => f.size)).toEqual([10, big.length]);
    expect(body.files[1].sha256).toBe(sha256(big));
  });

  it("serves static files: whole, Range, ETag/If-None-Match 304, HEAD, index, 404", async () => {
    const whole = expectSame(await sendBoth(pair, { path: "/static/data.bin" }), { ignoreHeaders: ["last-modified"] });
    expect(whole.body.equals(fixtures.binary)).toBe(true);
    const etag = header(whole, "etag");
    expect(etag).toBeDefined();
    const range = expectSame(await sendBoth(pair, { path: "/static/data.bin", headers: [["Range", "bytes=100-199"]] }), { ignoreHeaders: ["last-modified"] });
    expect(range.status).toBe(206);
    expect(range.body.equals(fixtures.binary.subarray(100, 200))).toBe(true);
    const unsatisfiable = expectSame(await sendBoth(pair, { path: "/static/data.bin", headers: [["Range", "bytes=900000-"]] }), { ignoreHeaders: ["last-modified"] });
    expect(unsatisfiable.status).toBe(416);
    const notModified = expectSame(await sendBoth(pair, { path: "/static/data.bin", headers: [["If-None-Match", etag!]] }), { ignoreHeaders: ["last-modified"] });
    expect(notModified.status).toBe(304);
    const head = expectSame(await sendBoth(pair, { method: "HEAD", path: "/static/hello.txt" }), { ignoreHeaders: ["last-modified"] });
    expect(head.body.length).toBe(0);
    expect(header(head, "content-length")).toBe(String(Buffer.byteLength(fixtures.text)));
    const index = expectSame(await sendBoth(pair, { path: "/static/" }), { ignoreHeaders: ["last-modified"] });
    expect(index.body.toString()).toContain("<title>index</title>");
    const missing = expectSame(await sendBoth(pair, { path: "/static/nope.txt" }));
    expect(missing.status).toBe(404);
    const dir = expectSame(await sendBoth(pair, { path: "/static" }));
    expect(dir.status).toBe(301);
  });

  it("sends files and pipes streams", async () => {
    const file = expectSame(await sendBoth(pair, { path: "/file" }), { ignoreHeaders: ["last-modified"] });
    expect(file.body.toString()).toBe(fixtures.text);
    const piped = expectSame(await sendBoth(pair, { path: "/pipe" }));
    expect(piped.body.equals(fixtures.binary)).toBe(true);
    const streamed = expectSame(await sendBoth(pair, { path: "/stream" }));
    expect(streamed.body.toString()).toBe("chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\ndone\n");
  });

  it("redirects", async () => {
    for (const [path, status] of [["/redirect", 302], ["/redirect-301", 301]] as const) {
      const res = expectSame(await sendBoth(pair, { path }));
      expect(res.status).toBe(status);
    }
    const back = expectSame(await sendBoth(pair, { path: "/back", headers: [["Referer", "/from"]] }));
    expect(header(back, "location")).toBe("/from");
    const head = expectSame(await sendBoth(pair, { method: "HEAD", path: "/redirect" }));
    expect(head.body.length).toBe(0);
  });

  it("reports the request as node does (req.ip, protocol, hostname, query, fresh)", async () => {
    const res = expectSame(await sendBoth(pair, { path: "/whoami?a=1&b=two", headers: [["X-Requested-With", "XMLHttpRequest"]] }));
    expect(JSON.parse(res.body.toString())).toMatchObject({ ip: "127.0.0.1", protocol: "http", secure: false, hostname: "compare.test", path: "/whoami", query: { a: "1", b: "two" }, xhr: true });
  });

  it("sets headers in every Express form, repeated ones included", async () => {
    const res = expectSame(await sendBoth(pair, { path: "/headers" }));
    expect(res.status).toBe(201);
    expect(headerValues(res, "set-cookie")).toEqual(["a=1", "b=2", "c=3"]);
    expect(header(res, "vary")).toBe("Accept, Origin");
  });

  it("answers sendStatus, next(err), throw and async rejection through the error handler", async () => {
    for (const [path, status] of [["/status/204", 204], ["/status/418", 418], ["/status/599", 599], ["/fail", 418], ["/throw", 500], ["/async-fail", 409], ["/nowhere", 404]] as const) {
      const res = expectSame(await sendBoth(pair, { path }));
      expect(res.status).toBe(status);
    }
  });

  it("keeps the connection alive across requests", async () => {
    const both = await sendBoth(pair, { path: "/whoami", keepAlive: false });
    expectSame(both);
  });
});

describe("Express's default error handler (production) on ours answers as on node:http", () => {
  it("renders the status page without a stack trace", async () => {
    const errors = await startPair(defaultErrorApp());
    try {
      for (const [path, status] of [["/fail", 500], ["/forbidden", 403], ["/none", 404]] as const) {
        const res = expectSame(await sendBoth(errors, { path }));
        expect(res.status).toBe(status);
        expect(res.body.toString()).not.toMatch(/at .*\.js/);
      }
    } finally {
      await errors.close();
    }
  });
});
