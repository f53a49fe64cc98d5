/**
 * HTTP/2 interop with real clients, on the loopback address only: curl
 * (prior knowledge, preface detection, ALPN over TLS, a 1 MiB upload,
 * trailers), nghttp (the SETTINGS and WINDOW_UPDATE the server sends,
 * concurrent streams, GOAWAY on close and on graceful stop), h2load (2000
 * requests, cleartext and TLS) and headless Chromium (a page whose
 * navigation entry reports `nextHopProtocol` h2).
 *
 * Tests needing a tool that is missing (or, for Chromium, cannot start
 * here) are skipped with a printed reason. Every client is killed when it
 * outlives its time limit (Chromium with its whole process group), and the
 * temporary directory (CA file, upload, browser profile) is removed.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RequestDelegate } from "@x/abstractions";
import { type TestPki, testPki } from "@x/test-pki";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { HttpProtocols, Server } from "../src/index.js";
import {
  ClientProcesses,
  chromiumDumpDom,
  curlH2,
  curlH2UnavailableReason,
  curlVersion,
  h2load,
  type NghttpResult,
  nghttp,
  probe,
} from "./h2-clients.js";
import { CapturingLoggerFactory, deferred, portOf, within } from "./helpers.js";

const procs = new ClientProcesses();
const dir = mkdtempSync(join(tmpdir(), "x-server-h2-interop-"));

const skipped = (tool: string, reason: string): void => {
  process.stdout.write(`http2-interop.test.ts: skipping ${tool} tests: ${reason}\n`);
};

const curlMissing = await curlH2UnavailableReason(procs);
if (curlMissing !== null) skipped("curl", curlMissing);
const curlAt = curlMissing === null ? await curlVersion(procs) : null;

const nghttpProbe = await probe(procs, "nghttp", ["--version"]);
const nghttpMissing = "missing" in nghttpProbe ? nghttpProbe.missing : null;
if (nghttpMissing !== null) skipped("nghttp", `${nghttpMissing} (apt-get install nghttp2-client)`);

const h2loadProbe = await probe(procs, "h2load", ["--version"]);
const h2loadMissing = "missing" in h2loadProbe ? h2loadProbe.missing : null;
if (h2loadMissing !== null) skipped("h2load", `${h2loadMissing} (apt-get install nghttp2-client)`);

/** The Chromium binary that starts here, or why none does. */
async function findChromium(): Promise<{ command: string; version: string } | { missing: string }> {
  const reasons: string[] = [];
  for (const command of ["chromium", "chromium-browser"]) {
    const found = await probe(procs, command, ["--version"]);
    if ("missing" in found) {
      reasons.push(found.missing);
      continue;
    }
    // The binary exists: it must also start headless here (libraries, /dev/shm, no display).
    const userDataDir = mkdtempSync(join(dir, "chromium-probe-"));
    const started = Date.now();
    const launch = await chromiumDumpDom(procs, command, "data:text/html,<p>x-probe</p>", { userDataDir, timeoutMs: 45_000 });
    rmSync(userDataDir, { recursive: true, force: true });
    if (launch.stdout.includes("x-probe")) return { command, version: `${found.line} (headless start ${Date.now() - started} ms)` };
    const why = launch.timedOut ? "timed out" : `exit ${launch.code}${launch.signal === null ? "" : ` ${launch.signal}`}`;
    reasons.push(`${command} is installed (${found.line}) but cannot load a page headless: ${why}: ${launch.stderr.trim().split("\n").slice(-3).join(" | ")}`);
  }
  return { missing: reasons.join("; ") };
}
const chromium = await findChromium();
const chromiumMissing = "missing" in chromium ? chromium.missing : null;
if (chromiumMissing !== null) skipped("Chromium", `${chromiumMissing} (apt-get install chromium)`);
else if ("version" in chromium) process.stdout.write(`http2-interop.test.ts: using ${chromium.version}\n`);

/** Per-test limit: each client is bounded by its own time limit too. */
const TEST_TIMEOUT = 30_000;
const MiB = 1024 * 1024;

/** What the server announces by default (Kestrel's Http2Limits). */
const EXPECTED_SETTINGS = {
  SETTINGS_HEADER_TABLE_SIZE: 4096,
  SETTINGS_MAX_CONCURRENT_STREAMS: 100,
  SETTINGS_INITIAL_WINDOW_SIZE: 786_432,
  SETTINGS_MAX_FRAME_SIZE: 16_384,
  SETTINGS_MAX_HEADER_LIST_SIZE: 32_768,
};
/** The connection window grows from the protocol's 65535 to initialConnectionWindowSize (1 MiB). */
const CONNECTION_WINDOW_INCREMENT = MiB - 65_535;

const PAGE = `<!doctype html>
<html><head><title>h2 interop</title></head>
<body><p id="proto">pending</p>
<script>document.getElementById("proto").textContent = "nextHopProtocol=" + performance.getEntriesByType("navigation")[0].nextHopProtocol;</script>
</body></html>`;

interface Seen {
  readonly protocol: string;
  readonly method: string;
  readonly path: string;
  readonly scheme: string;
  readonly host: string;
}

const seen: Seen[] = [];
let active = 0;
let maxActive = 0;

const app: RequestDelegate = async (ctx) => {
  const { method, path, protocol, scheme, host } = ctx.request;
  seen.push({ protocol, method, path, scheme, host });
  ctx.response.headers.set("x-protocol", protocol);
  if (method === "POST" && path === "/echo") {
    const body = await ctx.request.body.buffer();
    ctx.response.headers.set("content-type", "application/octet-stream");
    await ctx.response.end(body);
    return;
  }
  if (path === "/trailers") {
    ctx.response.declareTrailer("x-checksum");
    await ctx.response.write("part");
    ctx.response.appendTrailer("x-checksum", "abc");
    await ctx.response.end();
    return;
  }
  if (path === "/page") {
    ctx.response.headers.set("content-type", "text/html; charset=utf-8");
    await ctx.response.end(PAGE);
    return;
  }
  if (path.startsWith("/slow/")) {
    maxActive = Math.max(maxActive, ++active);
    await new Promise((resolve) => setTimeout(resolve, 200));
    active--;
  }
  await ctx.response.end(`hello ${path}`);
};

let pki: TestPki;
let server: Server | undefined;
const logs = new CapturingLoggerFactory();
let caFile: string;
let uploadFile: string;
let uploadSha256: string;
/** h2c: Http2 only, cleartext (prior knowledge). mixed: Http1AndHttp2 cleartext (preface detection). tls: Http1AndHttp2 over TLS (ALPN). */
const port = { h2c: 0, mixed: 0, tls: 0 };

const sha256 = (data: Buffer): string => createHash("sha256").update(data).digest("hex");

beforeAll(async () => {
  pki = await testPki();
  caFile = join(dir, "ca.pem");
  writeFileSync(caFile, pki.ca.cert, { mode: 0o600 });
  const upload = randomBytes(MiB);
  uploadFile = join(dir, "upload.bin");
  writeFileSync(uploadFile, upload, { mode: 0o600 });
  uploadSha256 = sha256(upload);

  const s = new Server(undefined, { loggerFactory: logs });
  server = s;
  s.options.listen("127.0.0.1", 0, (lo) => {
    lo.protocols = HttpProtocols.Http2;
  });
  s.options.listen("127.0.0.1", 0, (lo) => {
    lo.protocols = HttpProtocols.Http1AndHttp2;
  });
  s.options.listen("127.0.0.1", 0, (lo) => {
    lo.protocols = HttpProtocols.Http1AndHttp2;
    lo.useHttps((o) => {
      // a.test by SNI; clients that connect to the IP address send no SNI and get the fallback.
      o.serverCertificateSelector = (_connection, name) => (name === "a.test" ? pki.a : null);
      o.serverCertificate = pki.fallback;
    });
  });
  await within(5_000, s.start(app), "server start");
  const ports = s.addresses.map(portOf);
  expect(ports).toHaveLength(3);
  [port.h2c, port.mixed, port.tls] = ports as [number, number, number];
}, 20_000);

afterEach(() => {
  procs.killAll();
});

afterAll(async () => {
  procs.killAll();
  try {
    if (server !== undefined) await within(5_000, server.stop(1_000), "server.stop");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 10_000);

/** Waits until the server holds no connection (every client has gone and the server closed its side). */
async function expectNoConnections(s: Server = server!): Promise<void> {
  const deadline = Date.now() + 3_000;
  while (s.connectionCount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  expect(s.connectionCount).toBe(0);
}

const h2c = (path = "/") => `http://127.0.0.1:${port.h2c}${path}`;
const mixed = (path = "/") => `http://127.0.0.1:${port.mixed}${path}`;
/** By name, for curl (with --resolve) and Chromium (with a host resolver rule): SNI a.test. */
const tlsByName = (path = "/") => `https://a.test:${port.tls}${path}`;
/** By address, for nghttp and h2load (which cannot resolve a.test): no SNI, the fallback certificate, not verified. */
const tlsByAddress = (path = "/") => `https://127.0.0.1:${port.tls}${path}`;
const resolveA = () => ["--cacert", caFile, "--resolve", `a.test:${port.tls}:127.0.0.1`];

const lastSeen = (path: string): Seen | undefined => seen.findLast((s) => s.path === path);

describe("curl", () => {
  it.skipIf(curlMissing !== null)(
    "--http2-prior-knowledge on an Http2 cleartext endpoint: 200, the body, http_version 2",
    async () => {
      const r = await curlH2(procs, h2c("/prior?x=1"), ["--http2-prior-knowledge"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.status).toBe(200);
      expect(r.httpVersion).toBe("2");
      expect(r.body).toBe("hello /prior");
      expect(lastSeen("/prior")).toMatchObject({ protocol: "HTTP/2", method: "GET", scheme: "http" });
    },
    TEST_TIMEOUT,
  );

  it.skipIf(curlMissing !== null)(
    "--http2-prior-knowledge on an Http1AndHttp2 cleartext endpoint is detected by its preface (http_version 2); --http1.1 there stays 1.1",
    async () => {
      const r = await curlH2(procs, mixed("/detected"), ["--http2-prior-knowledge"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.status).toBe(200);
      expect(r.httpVersion).toBe("2");
      expect(r.body).toBe("hello /detected");
      expect(lastSeen("/detected")?.protocol).toBe("HTTP/2");

      const h1 = await curlH2(procs, mixed("/h1"), ["--http1.1"]);
      expect(h1.code, h1.stderr).toBe(0);
      expect(h1.httpVersion).toBe("1.1");
      expect(h1.body).toBe("hello /h1");
      expect(lastSeen("/h1")?.protocol).toBe("HTTP/1.1");
    },
    TEST_TIMEOUT,
  );

  it.skipIf(curlMissing !== null)(
    "--http2 over TLS (ALPN h2), verified against the test CA for a.test: http_version 2",
    async () => {
      const r = await curlH2(procs, tlsByName("/tls"), ["--http2", ...resolveA()]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.status).toBe(200);
      expect(r.httpVersion).toBe("2");
      expect(r.body).toBe("hello /tls");
      expect(lastSeen("/tls")).toMatchObject({ protocol: "HTTP/2", scheme: "https", host: `a.test:${port.tls}` });
    },
    TEST_TIMEOUT,
  );

  it.skipIf(curlMissing !== null)(
    "POST of a 1 MiB body with --data-binary @file is echoed back intact (sha256), over h2c and over TLS",
    async () => {
      const targets: Array<[string, string, string[]]> = [
        ["h2c", h2c("/echo"), ["--http2-prior-knowledge"]],
        ["preface detection", mixed("/echo"), ["--http2-prior-knowledge"]],
        ["TLS", tlsByName("/echo"), ["--http2", ...resolveA()]],
      ];
      for (const [name, url, args] of targets) {
        const out = join(dir, `echo-${name.replace(/\W/g, "")}.bin`);
        const r = await curlH2(procs, url, [...args, "--data-binary", `@${uploadFile}`, "-H", "content-type: application/octet-stream", "-o", out]);
        expect(r.code, `${name}: ${r.stderr}`).toBe(0);
        expect(r.status, name).toBe(200);
        expect(r.httpVersion, name).toBe("2");
        const echoed = readFileSync(out);
        expect(echoed.length, name).toBe(MiB);
        expect(sha256(echoed), name).toBe(uploadSha256);
        rmSync(out, { force: true });
      }
    },
    TEST_TIMEOUT,
  );

  it.skipIf(curlMissing !== null)(
    "response trailers appear in curl's header dump (-D) after the header block, over h2c and over TLS",
    async (ctx) => {
      // curl passes HTTP/2 trailers to its header output, but some versions lost them (curl/curl#5663);
      // this was checked with curl 7.88.
      if (curlAt === null || curlAt[0] * 1000 + curlAt[1] < 7088) {
        ctx.skip(`curl ${curlAt?.join(".") ?? "of unknown version"} may not show HTTP/2 trailers (checked from 7.88)`);
      }
      for (const [name, url, args] of [
        ["h2c", h2c("/trailers"), ["--http2-prior-knowledge"]],
        ["TLS", tlsByName("/trailers"), ["--http2", ...resolveA()]],
      ] as Array<[string, string, string[]]>) {
        const dump = join(dir, "trailers-dump.txt");
        const r = await curlH2(procs, url, [...args, "-D", dump]);
        expect(r.code, `${name}: ${r.stderr}`).toBe(0);
        expect(r.httpVersion, name).toBe("2");
        expect(r.body, name).toBe("part");
        const text = readFileSync(dump, "utf8");
        rmSync(dump, { force: true });
        const [head = "", after = ""] = text.split(/\r?\n\r?\n/, 2);
        expect(head, name).toMatch(/^HTTP\/2 200/);
        expect(head, name).toMatch(/^trailer: x-checksum\r?$/im);
        expect(head, name).not.toMatch(/^x-checksum:/im);
        expect(after, name).toMatch(/^x-checksum: abc\r?$/im);
      }
    },
    TEST_TIMEOUT,
  );
});

/** Asserts what every nghttp run must show: SETTINGS, WINDOW_UPDATE, SETTINGS ACK, no reset, no error, a clean GOAWAY from the client. */
function expectCleanNghttp(r: NghttpResult): void {
  expect(r.timedOut, r.stdout.slice(-2000)).toBe(false);
  expect(r.code, `${r.stderr}\n${r.stdout.slice(-2000)}`).toBe(0);
  expect(`${r.stdout}\n${r.stderr}`).not.toMatch(/\[ERROR\]/);
  expect(r.serverSettings).toEqual(EXPECTED_SETTINGS);
  const windowUpdate = r.received.find((f) => f.type === "WINDOW_UPDATE" && f.streamId === 0);
  expect(windowUpdate?.text).toContain(`window_size_increment=${CONNECTION_WINDOW_INCREMENT}`);
  // The server acknowledged nghttp's SETTINGS.
  expect(r.received.some((f) => f.type === "SETTINGS" && (f.flags & 0x1) === 1)).toBe(true);
  expect(r.received.filter((f) => f.type === "RST_STREAM")).toEqual([]);
  // The server did not close the connection with an error; nghttp closed it with GOAWAY NO_ERROR.
  for (const goaway of r.received.filter((f) => f.type === "GOAWAY")) expect(goaway.text).toContain("error_code=NO_ERROR(0x00)");
  const sentGoaway = r.sent.filter((f) => f.type === "GOAWAY");
  expect(sentGoaway).toHaveLength(1);
  expect(sentGoaway[0]!.text).toContain("error_code=NO_ERROR(0x00)");
}

/** The `:status` of every answered stream, and whether each ended with an END_STREAM DATA frame. */
function answered(r: NghttpResult): Array<{ stream: number; status: string | undefined; ended: boolean }> {
  return [...r.responseHeaders].map(([stream, fields]) => ({
    stream,
    status: fields.find(([name]) => name === ":status")?.[1],
    ended: r.received.some((f) => f.streamId === stream && (f.type === "DATA" || f.type === "HEADERS") && (f.flags & 0x1) === 1),
  }));
}

describe("nghttp", () => {
  it.skipIf(nghttpMissing !== null)(
    "nghttp -nv with prior knowledge: the server's SETTINGS and connection WINDOW_UPDATE, :status 200, a clean GOAWAY and close",
    async () => {
      const r = await nghttp(procs, [h2c("/")]);
      expectCleanNghttp(r);
      expect(r.negotiated).toBeUndefined();
      expect(answered(r)).toEqual([{ stream: expect.any(Number), status: "200", ended: true }]);
      await expectNoConnections();
    },
    TEST_TIMEOUT,
  );

  it.skipIf(nghttpMissing !== null)(
    "nghttp -nv over TLS (ALPN h2, no SNI: the fallback certificate, not verified): the same SETTINGS, :status 200, a clean close",
    async () => {
      const r = await nghttp(procs, [tlsByAddress("/")]);
      expectCleanNghttp(r);
      expect(r.negotiated).toBe("h2");
      expect(answered(r)).toEqual([{ stream: expect.any(Number), status: "200", ended: true }]);
      expect(lastSeen("/")).toMatchObject({ protocol: "HTTP/2", scheme: "https" });
      await expectNoConnections();
    },
    TEST_TIMEOUT,
  );

  it.skipIf(nghttpMissing !== null)(
    "20 URIs in one nghttp run go out as concurrent streams on one connection (preface detection) and are all answered",
    async () => {
      const paths = Array.from({ length: 20 }, (_, i) => `/slow/${i}`);
      active = 0;
      maxActive = 0;
      const r = await nghttp(procs, paths.map(mixed), ["-s"]);
      expectCleanNghttp(r);
      const streams = answered(r);
      expect(streams).toHaveLength(paths.length);
      expect(new Set(streams.map((s) => s.stream)).size).toBe(paths.length);
      expect(streams.every((s) => s.status === "200" && s.ended)).toBe(true);
      // -s: one line per request with its status, body size and path.
      const stats = [...r.stdout.matchAll(/^\s*\d+\s+\+\S+\s+\+\S+\s+\S+\s+(\d{3})\s+(\d+)\s+(\S+)\s*$/gm)].map((m) => ({
        path: m[3],
        status: Number(m[1]),
        size: Number(m[2]),
      }));
      expect(stats.sort((a, b) => paths.indexOf(a.path!) - paths.indexOf(b.path!))).toEqual(
        paths.map((path) => ({ path, status: 200, size: `hello ${path}`.length })),
      );
      // The app held every request at once: the streams ran concurrently, not one after the other.
      expect(maxActive).toBe(paths.length);
      await expectNoConnections();
    },
    TEST_TIMEOUT,
  );

  it.skipIf(nghttpMissing !== null)(
    "graceful stop while nghttp waits for a response: it receives GOAWAY(NO_ERROR) covering its stream, and the response still completes",
    async () => {
      const entered = deferred();
      const release = deferred();
      const s = new Server();
      s.options.listen("127.0.0.1", 0, (lo) => {
        lo.protocols = HttpProtocols.Http2;
      });
      try {
        await within(5_000, s.start(async (ctx) => {
          entered.resolve();
          await release.promise;
          await ctx.response.end("finished");
        }), "server start");
        const run = nghttp(procs, [`${s.addresses[0]!}/inflight`]);
        await within(10_000, entered.promise, "the request reaching the app");
        const stopping = s.stop(10_000);
        await new Promise((resolve) => setTimeout(resolve, 200));
        release.resolve();
        const r = await run;
        await within(10_000, stopping, "graceful stop");
        expect(r.code, `${r.stderr}\n${r.stdout.slice(-2000)}`).toBe(0);
        const [stream] = answered(r);
        expect(stream).toEqual({ stream: expect.any(Number), status: "200", ended: true });
        const goaway = r.received.find((f) => f.type === "GOAWAY");
        expect(goaway?.text).toContain("error_code=NO_ERROR(0x00)");
        const lastStreamId = Number(/last_stream_id=(\d+)/.exec(goaway?.text ?? "")?.[1]);
        expect(lastStreamId).toBeGreaterThanOrEqual(stream!.stream);
        expect(r.received.filter((f) => f.type === "RST_STREAM")).toEqual([]);
        // The GOAWAY came before the response's HEADERS: the stream finished after the server announced the close.
        expect(r.received.indexOf(goaway!)).toBeLessThan(r.received.findIndex((f) => f.type === "HEADERS" && f.streamId === stream!.stream));
        expect(s.connectionCount).toBe(0);
      } finally {
        release.resolve();
        await within(5_000, s.stop(500), "server.stop").catch(() => {});
      }
    },
    TEST_TIMEOUT,
  );
});

describe("h2load", () => {
  const load = ["-n", "2000", "-c", "4", "-m", "10"];
  const allSucceeded = { total: 2000, started: 2000, done: 2000, succeeded: 2000, failed: 0, errored: 0, timeout: 0 };

  it.skipIf(h2loadMissing !== null)(
    "h2load -n 2000 -c 4 -m 10 with prior knowledge on the Http2 and the Http1AndHttp2 cleartext endpoints: every request succeeds with 2xx",
    async () => {
      for (const url of [h2c("/"), mixed("/")]) {
        const r = await h2load(procs, url, load);
        expect(r.timedOut, r.stdout).toBe(false);
        expect(r.code, `${url}: ${r.stderr}\n${r.stdout}`).toBe(0);
        expect(r.requests, `${url}\n${r.stdout}`).toEqual(allSucceeded);
        expect(r.statusCodes, url).toEqual({ "2xx": 2000, "3xx": 0, "4xx": 0, "5xx": 0 });
      }
      await expectNoConnections();
    },
    60_000,
  );

  it.skipIf(h2loadMissing !== null)(
    "h2load -n 2000 -c 4 -m 10 over TLS: h2 negotiated, every request succeeds with 2xx",
    async () => {
      const r = await h2load(procs, tlsByAddress("/"), load);
      expect(r.timedOut, r.stdout).toBe(false);
      expect(r.code, `${r.stderr}\n${r.stdout}`).toBe(0);
      expect(r.applicationProtocol).toBe("h2");
      expect(r.requests, r.stdout).toEqual(allSucceeded);
      expect(r.statusCodes).toEqual({ "2xx": 2000, "3xx": 0, "4xx": 0, "5xx": 0 });
      await expectNoConnections();
    },
    60_000,
  );
});

describe("headless Chromium", () => {
  it.skipIf(chromiumMissing !== null)(
    "loads a page from https://a.test over TLS: the page's navigation entry says nextHopProtocol h2, and the server saw HTTP/2",
    async () => {
      const userDataDir = mkdtempSync(join(dir, "chromium-"));
      try {
        const started = Date.now();
        const r = await chromiumDumpDom(procs, (chromium as { command: string }).command, tlsByName("/page"), {
          userDataDir,
          hostResolverRules: "MAP a.test 127.0.0.1",
        });
        process.stdout.write(`http2-interop.test.ts: chromium --dump-dom took ${Date.now() - started} ms\n`);
        expect(r.timedOut, r.stderr.slice(-2000)).toBe(false);
        expect(r.code, r.stderr.slice(-2000)).toBe(0);
        expect(r.stdout).toContain('<p id="proto">nextHopProtocol=h2</p>');
        expect(lastSeen("/page")).toMatchObject({ protocol: "HTTP/2", method: "GET", scheme: "https", host: `a.test:${port.tls}` });
      } finally {
        rmSync(userDataDir, { recursive: true, force: true });
      }
    },
    90_000,
  );
});

describe("after every client", () => {
  it("the server holds no connection, logged nothing above info, and no client process is left", async () => {
    await expectNoConnections();
    expect(logs.entries.filter((e) => e.level === "warn" || e.level === "error" || e.level === "fatal")).toEqual([]);
    expect(procs.runningCount).toBe(0);
  });
});
