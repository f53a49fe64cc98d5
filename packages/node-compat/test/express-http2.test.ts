/**
 * The same Express app over TLS: HTTP/2 (ALPN h2) and HTTP/1.1 on one
 * `createServer({ https })`. Express sees `req.httpVersion` 2.0, the
 * :authority as its host, `https` as its protocol, and its middleware work
 * over HTTP/2 streams (bodies, cookies, compression, static files, streams).
 */
import { type ClientHttp2Session, connect, constants } from "node:http2";
import { request as httpsRequest } from "node:https";
import { gunzipSync } from "node:zlib";
import { testPki, type TestPki } from "@x/test-pki";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CompatServer, createServer } from "../src/index.js";
import { BIG_TEXT, expressApp, type Fixtures, makeFixtures, pattern, sha256 } from "./support/express-app.js";

let pki: TestPki;
let fixtures: Fixtures;
let server: CompatServer;
let port: number;
let session: ClientHttp2Session;

beforeAll(async () => {
  pki = await testPki();
  fixtures = makeFixtures();
  const app = expressApp(fixtures);
  app.get("/whoami2", (req, res) => {
    res.json({ version: req.httpVersion, protocol: req.protocol, secure: req.secure, hostname: req.hostname, encrypted: (req.socket as { encrypted?: boolean }).encrypted === true });
  });
  server = createServer({ https: { cert: pki.a.cert, key: pki.a.key } }, app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as { port: number }).port;
  session = connect(`https://127.0.0.1:${port}`, { ca: pki.ca.cert, servername: "a.test" });
  session.on("error", () => {});
});
afterAll(async () => {
  session?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  fixtures?.remove();
});

interface H2Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function h2(path: string, init: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {}): Promise<H2Response> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ":path": path, ":method": init.method ?? "GET", ...init.headers });
    const chunks: Buffer[] = [];
    let headers: H2Response["headers"] = {};
    stream.on("response", (h) => (headers = h));
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => resolve({ status: Number(headers[constants.HTTP2_HEADER_STATUS]), headers, body: Buffer.concat(chunks) }));
    stream.on("error", reject);
    stream.setTimeout(10_000, () => stream.close(constants.NGHTTP2_CANCEL));
    stream.end(init.body);
  });
}

describe("Express over HTTP/2 on createServer({ https })", () => {
  it("shows Express an HTTP/2, https request with the :authority as host", async () => {
    const res = await h2("/whoami2");
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.toString())).toEqual({ version: "2.0", protocol: "https", secure: true, hostname: "a.test", encrypted: true });
  });

  it("parses JSON and a 2 MB raw body", async () => {
    // body-parser (type-is's hasBody) reads a body only when Content-Length or
    // Transfer-Encoding says there is one; HTTP/2 clients send Content-Length
    // for a body of known size, and node:http2's compatibility layer is the same.
    const json = await h2("/json", { method: "POST", headers: { "content-type": "application/json", "content-length": "7" }, body: '{"a":1}' });
    expect(JSON.parse(json.body.toString())).toEqual({ received: { a: 1 }, type: "application/json" });
    const big = pattern(2_000_000);
    const raw = await h2("/raw", { method: "POST", headers: { "content-type": "application/octet-stream", "content-length": String(big.length) }, body: big });
    expect(JSON.parse(raw.body.toString())).toEqual({ length: big.length, sha256: sha256(big) });
  });

  it("sends several Set-Cookie fields, gzip, static files with Range and a piped stream", async () => {
    const cookies = await h2("/cookies/set");
    expect(cookies.headers["set-cookie"]).toHaveLength(4);
    const gz = await h2("/big", { headers: { "accept-encoding": "gzip" } });
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(gz.body).toString()).toBe(BIG_TEXT);
    const range = await h2("/static/data.bin", { headers: { range: "bytes=10-19" } });
    expect(range.status).toBe(206);
    expect(range.body.equals(fixtures.binary.subarray(10, 20))).toBe(true);
    const piped = await h2("/pipe");
    expect(piped.body.equals(fixtures.binary)).toBe(true);
  });

  it("answers errors through Express's handlers and HEAD without a body", async () => {
    expect((await h2("/fail")).status).toBe(418);
    expect((await h2("/nowhere")).status).toBe(404);
    const head = await h2("/static/hello.txt", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
  });

  it("runs 20 streams at once on one connection", async () => {
    const all = await Promise.all(Array.from({ length: 20 }, (_, i) => h2(`/whoami?i=${i}`)));
    expect(all.map((r) => JSON.parse(r.body.toString()).query.i)).toEqual(all.map((_, i) => String(i)));
  });

  it("serves HTTP/1.1 over TLS on the same port", async () => {
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpsRequest({ host: "127.0.0.1", port, path: "/whoami2", ca: pki.ca.cert, servername: "a.test" }, (res) => {
        let text = "";
        res.on("data", (c) => (text += c));
        res.on("end", () => resolve(text));
      });
      req.on("error", reject);
      req.end();
    });
    expect(JSON.parse(body)).toMatchObject({ version: "1.1", protocol: "https", secure: true, encrypted: true });
  });
});
