/**
 * HTTPS against real command-line clients: `curl` and `openssl s_client`
 * check SNI certificate selection, TLS versions, ALPN and client
 * certificates on one server with several endpoints, and that the server
 * keeps serving after every refused handshake.
 *
 * Tests needing a tool that is missing are skipped with a printed reason.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RequestDelegate } from "@x/abstractions";
import { type ServerCertificate, TlsConnectionFeature, TlsHandshakeFeature } from "@x/https-sni";
import { type TestPki, testPki } from "@x/test-pki";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type HttpsConnectionAdapterOptions, Server } from "../src/index.js";
import {
  CliProcesses,
  type CurlResult,
  curlGet,
  curlUnavailableReason,
  jsonLine,
  opensslUnavailableReason,
  type SClientResult,
  sClient,
} from "./cli-clients.js";
import { CapturingLoggerFactory, portOf, within } from "./helpers.js";

const procs = new CliProcesses();
const curlMissing = await curlUnavailableReason(procs);
const opensslMissing = await opensslUnavailableReason(procs);
if (curlMissing !== null) process.stdout.write(`tls-clients.test.ts: skipping curl tests: ${curlMissing}\n`);
if (opensslMissing !== null) process.stdout.write(`tls-clients.test.ts: skipping openssl s_client tests: ${opensslMissing}\n`);
const noCurl = curlMissing !== null;
const noOpenssl = opensslMissing !== null;

/** Per-test limit; each client call is bounded by its own timeouts (curl --max-time 5, 8 s kill). */
const TEST_TIMEOUT = 15_000;

/** What the app answers: the request's scheme and the TLS features it sees. */
interface Echo {
  readonly scheme: string;
  readonly protocol: string | null;
  readonly cipherName: string | null;
  readonly alpn: string | null;
  readonly hostName: string | null;
  readonly hasTlsConnection: boolean;
  readonly clientSubject: string | null;
}

const echo: RequestDelegate = (ctx) => {
  const tls = ctx.features.get(TlsHandshakeFeature);
  const connection = ctx.features.get(TlsConnectionFeature);
  const body: Echo = {
    scheme: ctx.request.scheme,
    protocol: tls?.protocol ?? null,
    cipherName: tls?.cipherName ?? null,
    alpn: tls?.negotiatedApplicationProtocol ?? null,
    hostName: tls?.hostName ?? null,
    hasTlsConnection: connection !== undefined,
    clientSubject: connection?.clientCertificate?.subject ?? null,
  };
  ctx.response.headers.set("content-type", "application/json");
  ctx.response.end(JSON.stringify(body));
};

let pki: TestPki;
let dir: string;
let caFile: string;
let clientCert: string;
let clientKey: string;
let strangerCert: string;
let strangerKey: string;
let server: Server | undefined;
const logs = new CapturingLoggerFactory();
/** Endpoint ports, in the order they are listened on. */
const port = { sni: 0, strict: 0, tls12: 0, tls13: 0, require: 0, allow: 0, none: 0 };

beforeAll(async () => {
  pki = await testPki();
  dir = mkdtempSync(join(tmpdir(), "x-server-tls-clients-"));
  const write = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  };
  caFile = write("ca.pem", pki.ca.cert);
  clientCert = write("client.pem", pki.client.cert);
  clientKey = write("client.key", pki.client.key);
  strangerCert = write("stranger.pem", pki.strangerClient.cert);
  strangerKey = write("stranger.key", pki.strangerClient.key);

  const bySni = (name: string | null): ServerCertificate | null => {
    if (name === "a.test") return pki.a;
    if (name === "b.test") return pki.b;
    // One label under wild.test, as the certificate's *.wild.test covers (RFC 6125 §6.4.3).
    if (name !== null && /^[^.]+\.wild\.test$/.test(name)) return pki.wild;
    return null;
  };
  // `ca` is the trust store for client certificates.
  const trusting: ServerCertificate = { ...pki.a, ca: pki.ca.cert };
  // One endpoint per behaviour, listened on in the order of `port`.
  const endpoints: ((o: HttpsConnectionAdapterOptions) => void)[] = [
    (o) => {
      o.serverCertificateSelector = (_connection, name) => bySni(name);
      o.serverCertificate = pki.fallback;
    },
    (o) => {
      o.serverCertificateSelector = (_connection, name) => bySni(name);
    },
    (o) => {
      o.serverCertificate = pki.a;
      o.sslProtocols = ["Tls12"];
    },
    (o) => {
      o.serverCertificate = pki.a;
      o.sslProtocols = ["Tls13"];
    },
    (o) => {
      o.serverCertificate = trusting;
      o.clientCertificateMode = "RequireCertificate";
    },
    (o) => {
      o.serverCertificate = trusting;
      o.clientCertificateMode = "AllowCertificate";
    },
    (o) => {
      o.serverCertificate = trusting;
      o.clientCertificateMode = "NoCertificate";
    },
  ];
  const s = new Server(undefined, { loggerFactory: logs });
  server = s;
  for (const configure of endpoints) s.options.listen("127.0.0.1", 0, (lo) => lo.useHttps(configure));
  await within(5_000, s.start(echo), "server start");
  const ports = s.addresses.map(portOf);
  expect(ports).toHaveLength(7);
  [port.sni, port.strict, port.tls12, port.tls13, port.require, port.allow, port.none] = ports as [number, number, number, number, number, number, number];
}, 20_000);

afterEach(() => {
  procs.killAll();
});

afterAll(async () => {
  procs.killAll();
  try {
    if (server !== undefined) await within(5_000, server.stop(1_000), "server.stop");
  } finally {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }
}, 10_000);

/** GET with curl; `host` is resolved to 127.0.0.1 and sent as SNI. */
function curl(host: string, p: number, args: readonly string[] = []): Promise<CurlResult> {
  return curlGet(procs, { host, port: p, caFile, args });
}

/** Asserts a 200 from curl and returns the echoed JSON. */
function okBody(result: CurlResult): Echo {
  expect(result.timedOut, result.stderr).toBe(false);
  expect(result.code, `curl exit ${result.code}: ${result.stderr}`).toBe(0);
  expect(result.status).toBe(200);
  return JSON.parse(result.body) as Echo;
}

/** Asserts curl got no HTTP response at all (handshake refused or connection closed). */
function expectNoResponse(result: CurlResult, codes: readonly number[]): void {
  expect(result.timedOut, result.stderr).toBe(false);
  expect(result.status).toBe(0);
  expect(codes, `curl exit ${result.code}: ${result.stderr}`).toContain(result.code);
}

function sclient(p: number, serverName: string | null, args: readonly string[] = [], input?: string): Promise<SClientResult> {
  return sClient(procs, input === undefined ? { port: p, serverName, caFile, args } : { port: p, serverName, caFile, args, input });
}

const requestFor = (host: string) => `GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`;

/** Asserts s_client completed a verified handshake. */
function expectHandshake(result: SClientResult): void {
  expect(result.timedOut, result.stderr).toBe(false);
  expect(result.code, `s_client exit ${result.code}: ${result.stderr}`).toBe(0);
  expect(result.verified, result.stdout).toBe(true);
  expect(result.protocol).toMatch(/^TLSv1\.[23]$/);
}

/** Asserts s_client's handshake was refused by the server. */
function expectRefused(result: SClientResult, stderr?: RegExp): void {
  expect(result.timedOut, result.stderr).toBe(false);
  expect(result.code, result.stdout).not.toBe(0);
  expect(result.protocol).toBe("(NONE)");
  if (stderr !== undefined) expect(result.stderr).toMatch(stderr);
}

/** OpenSSL's reason when the server answers a ClientHello with a protocol_version alert (70). */
const PROTOCOL_VERSION_ALERT = /alert protocol version|SSL alert number 70/;

describe("SNI certificate selection, seen by curl", () => {
  it.skipIf(noCurl)(
    "a.test, b.test and x.wild.test each get a certificate curl verifies for that name; the app sees the SNI name",
    async () => {
      for (const name of ["a.test", "b.test", "x.wild.test"]) {
        const body = okBody(await curl(name, port.sni));
        expect(body).toMatchObject({ scheme: "https", hostName: name });
        // curl offers h2 when built with nghttp2, and the endpoint (Http1AndHttp2) prefers it.
        expect(["h2", "http/1.1"]).toContain(body.alpn);
        expect(["TLSv1.2", "TLSv1.3"]).toContain(body.protocol);
        expect(body.cipherName).toBeTruthy();
      }
    },
    TEST_TIMEOUT,
  );

  it.skipIf(noCurl)(
    "a name the selector does not know gets the fallback certificate (default.test), which curl refuses for that name",
    async () => {
      expect(okBody(await curl("default.test", port.sni)).hostName).toBe("default.test");
      // The handshake itself succeeds; curl rejects the default.test certificate for unknown.test (CURLE_PEER_FAILED_VERIFICATION).
      const mismatch = await curl("unknown.test", port.sni);
      expectNoResponse(mismatch, [60]);
      expect(mismatch.stderr).toMatch(/certificate|subject name/i);
      // A deeper name is not covered by *.wild.test.
      expectNoResponse(await curl("x.y.wild.test", port.sni), [60]);
    },
    TEST_TIMEOUT,
  );

  it.skipIf(noCurl)(
    "without a fallback, a name with no certificate fails the TLS handshake and the endpoint serves the next request",
    async () => {
      const refused = await curl("unknown.test", port.strict);
      // CURLE_SSL_CONNECT_ERROR: the server closes the connection after reading the ClientHello.
      expectNoResponse(refused, [35]);
      expect(refused.stderr).toMatch(/SSL|TLS/);
      const next = okBody(await curl("a.test", port.strict));
      expect(next.hostName).toBe("a.test");
    },
    TEST_TIMEOUT,
  );
});

describe("SNI certificate selection, seen by openssl s_client", () => {
  it.skipIf(noOpenssl)(
    "-servername a.test / b.test / x.wild.test gets the matching certificate, verified against the test CA",
    async () => {
      const expected: Record<string, string> = { "a.test": "a.test", "b.test": "b.test", "x.wild.test": "*.wild.test" };
      for (const [name, cn] of Object.entries(expected)) {
        const result = await sclient(port.sni, name, ["-verify_hostname", name]);
        expectHandshake(result);
        expect(result.peerCommonName, result.stdout).toBe(cn);
      }
    },
    TEST_TIMEOUT,
  );

  it.skipIf(noOpenssl)(
    "-noservername gets the fallback certificate default.test, and the app sees hostName null",
    async () => {
      const handshake = await sclient(port.sni, null, ["-verify_hostname", "default.test"]);
      expectHandshake(handshake);
      expect(handshake.peerCommonName).toBe("default.test");

      const withRequest = await sclient(port.sni, null, [], requestFor("default.test"));
      expect(withRequest.code, withRequest.stderr).toBe(0);
      expect(withRequest.stdout).toMatch(/^HTTP\/1\.1 200 OK\r?$/m);
      expect(jsonLine<Echo>(withRequest.stdout)).toMatchObject({ scheme: "https", hostName: null });
    },
    TEST_TIMEOUT,
  );

  it.skipIf(noOpenssl)(
    "without a fallback, -noservername and an unknown name are refused before any certificate is sent",
    async () => {
      for (const name of [null, "unknown.test"]) {
        const result = await sclient(port.strict, name);
        expectRefused(result);
        expect(result.stdout).toContain("no peer certificate available");
      }
      expectHandshake(await sclient(port.strict, "b.test"));
    },
    TEST_TIMEOUT,
  );
});

describe("TLS versions", () => {
  it.skipIf(noOpenssl)(
    "sslProtocols [Tls12] refuses -tls1_3 (protocol_version alert) and accepts -tls1_2",
    async () => {
      expectRefused(await sclient(port.tls12, "a.test", ["-tls1_3"]), PROTOCOL_VERSION_ALERT);
      const ok = await sclient(port.tls12, "a.test", ["-tls1_2"]);
      expectHandshake(ok);
      expect(ok.protocol).toBe("TLSv1.2");
    },
    TEST_TIMEOUT,
  );

  it.skipIf(noOpenssl)(
    "sslProtocols [Tls13] refuses -tls1_2 (protocol_version alert) and accepts -tls1_3",
    async () => {
      expectRefused(await sclient(port.tls13, "a.test", ["-tls1_2"]), PROTOCOL_VERSION_ALERT);
      const ok = await sclient(port.tls13, "a.test", ["-tls1_3"]);
      expectHandshake(ok);
      expect(ok.protocol).toBe("TLSv1.3");
    },
    TEST_TIMEOUT,
  );

  it.skipIf(noOpenssl)(
    "the default endpoint accepts TLS 1.2 and 1.3 and refuses TLS 1.1",
    async (ctx) => {
      const v12 = await sclient(port.sni, "a.test", ["-tls1_2"]);
      expectHandshake(v12);
      expect(v12.protocol).toBe("TLSv1.2");
      const v13 = await sclient(port.sni, "a.test", ["-tls1_3"]);
      expectHandshake(v13);
      expect(v13.protocol).toBe("TLSv1.3");

      let v11 = await sclient(port.sni, "a.test", ["-tls1_1"]);
      if (/unknown option|not supported|-tls1_1/i.test(v11.stderr) && !v11.stdout.includes("CONNECTED")) {
        ctx.skip(`this openssl cannot offer TLS 1.1: ${v11.stderr.trim().split("\n")[0]}`);
      }
      // OpenSSL 3 forbids TLS < 1.2 at security level 1+: the client would refuse before sending anything.
      if (/no protocols available/i.test(v11.stderr)) v11 = await sclient(port.sni, "a.test", ["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"]);
      if (/no protocols available/i.test(v11.stderr)) ctx.skip(`this openssl refuses to offer TLS 1.1 even at SECLEVEL=0: ${v11.stderr.trim().split("\n")[0]}`);
      expect(v11.stdout).toContain("CONNECTED");
      expectRefused(v11, PROTOCOL_VERSION_ALERT);
    },
    TEST_TIMEOUT,
  );

  it.skipIf(noCurl)(
    "curl: [Tls12] refuses --tlsv1.3 --tls-max 1.3 and serves --tls-max 1.2; [Tls13] refuses --tls-max 1.2 and serves --tlsv1.3",
    async () => {
      const v13on12 = await curl("a.test", port.tls12, ["--tlsv1.3", "--tls-max", "1.3"]);
      expectNoResponse(v13on12, [35]);
      expect(v13on12.stderr).toMatch(PROTOCOL_VERSION_ALERT);
      expect(okBody(await curl("a.test", port.tls12, ["--tls-max", "1.2"])).protocol).toBe("TLSv1.2");

      const v12on13 = await curl("a.test", port.tls13, ["--tls-max", "1.2"]);
      expectNoResponse(v12on13, [35]);
      expect(v12on13.stderr).toMatch(PROTOCOL_VERSION_ALERT);
      expect(okBody(await curl("a.test", port.tls13, ["--tlsv1.3"])).protocol).toBe("TLSv1.3");
    },
    TEST_TIMEOUT,
  );
});

describe("ALPN", () => {
  it.skipIf(noOpenssl)(
    "-alpn http/1.1 negotiates http/1.1; h2,http/1.1 and h2 alone negotiate h2 (the server's preference); no -alpn negotiates nothing and still completes",
    async () => {
      const http1 = await sclient(port.sni, "a.test", ["-alpn", "http/1.1"]);
      expectHandshake(http1);
      expect(http1.stdout).toMatch(/^ALPN protocol: http\/1\.1$/m);
      for (const offer of ["h2,http/1.1", "http/1.1,h2", "h2"]) {
        const result = await sclient(port.sni, "a.test", ["-alpn", offer]);
        expectHandshake(result);
        expect(result.stdout).toMatch(/^ALPN protocol: h2$/m);
      }
      const none = await sclient(port.sni, "a.test");
      expectHandshake(none);
      expect(none.alpn).toBeNull();
    },
    TEST_TIMEOUT,
  );

  it.skipIf(noOpenssl)(
    "a protocol the server does not speak: no ALPN protocol, and the server refuses with no_application_protocol (RFC 7301 §3.2)",
    async () => {
      const result = await sclient(port.sni, "a.test", ["-alpn", "spdy/3"]);
      expect(result.stdout).toMatch(/^No ALPN negotiated$/m);
      expect(result.alpn).toBeNull();
      expectRefused(result, /no application protocol|SSL alert number 120/);
    },
    TEST_TIMEOUT,
  );

  it.skipIf(noCurl)(
    "curl --http2 is served over HTTP/2, with h2 negotiated",
    async () => {
      const features = spawnSync("curl", ["--version"], { encoding: "utf8" }).stdout ?? "";
      const body = okBody(await curl("a.test", port.sni, ["--http2"]));
      // A curl built without nghttp2 cannot offer h2 and falls back to HTTP/1.1.
      expect(body.alpn).toBe(/\bHTTP2\b/.test(features) ? "h2" : "http/1.1");
    },
    TEST_TIMEOUT,
  );

  it.skipIf(noCurl)(
    "curl --http1.1 is served, with http/1.1 negotiated",
    async () => {
      const body = okBody(await curl("a.test", port.sni, ["--http1.1"]));
      expect(body.alpn).toBe("http/1.1");
    },
    TEST_TIMEOUT,
  );
});

const withClient = () => ["--cert", clientCert, "--key", clientKey];

describe("client certificates", () => {
  const withStranger = () => ["--cert", strangerCert, "--key", strangerKey];
  // RequireCertificate refuses in the handshake with a TLS alert (certificate_required,
  // unknown_ca); curl reports it during the handshake (35, TLS 1.2) or, in TLS 1.3 where
  // the client finishes first, as an empty reply / failed read (52, 56).
  // Over h2 (curl offers it first) the same close reads as an HTTP/2 framing or stream error (16, 92).
  // When the refusal closes the socket before curl has even looked at it, curl fails on getpeername or send (55).
  const closedCodes = [16, 35, 52, 55, 56, 92];

  it.skipIf(noCurl)(
    "RequireCertificate: none → no response; the CA-signed one → 200 with its subject; a stranger's → no response",
    async () => {
      expectNoResponse(await curl("a.test", port.require), closedCodes);
      expectNoResponse(await curl("a.test", port.require, ["--tls-max", "1.2"]), closedCodes);
      const body = okBody(await curl("a.test", port.require, withClient()));
      expect(body).toMatchObject({ hasTlsConnection: true, clientSubject: "CN=client.test" });
      expectNoResponse(await curl("a.test", port.require, withStranger()), closedCodes);
      expectNoResponse(await curl("a.test", port.require, [...withStranger(), "--tls-max", "1.2"]), closedCodes);
    },
    TEST_TIMEOUT,
  );

  it.skipIf(noCurl)(
    "AllowCertificate: none → 200 without a certificate; the CA-signed one → 200 with its subject; a stranger's is still rejected",
    async () => {
      expect(okBody(await curl("a.test", port.allow))).toMatchObject({ hasTlsConnection: true, clientSubject: null });
      expect(okBody(await curl("a.test", port.allow, withClient())).clientSubject).toBe("CN=client.test");
      expectNoResponse(await curl("a.test", port.allow, withStranger()), closedCodes);
    },
    TEST_TIMEOUT,
  );

  it.skipIf(noCurl)(
    "NoCertificate: a certificate offered by curl is never asked for, so none is reported",
    async () => {
      expect(okBody(await curl("a.test", port.none, withClient()))).toMatchObject({ hasTlsConnection: true, clientSubject: null });
      expect(okBody(await curl("a.test", port.none, withStranger())).clientSubject).toBeNull();
    },
    TEST_TIMEOUT,
  );

  it.skipIf(noOpenssl)(
    "openssl s_client -cert/-key on RequireCertificate: served with the subject; without a certificate or with a stranger's, no response",
    async () => {
      const ok = await sclient(port.require, "a.test", ["-cert", clientCert, "-key", clientKey], requestFor("a.test"));
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toMatch(/^HTTP\/1\.1 200 OK\r?$/m);
      expect(jsonLine<Echo>(ok.stdout)).toMatchObject({ scheme: "https", hostName: "a.test", clientSubject: "CN=client.test" });

      for (const args of [[], ["-cert", strangerCert, "-key", strangerKey]]) {
        const refused = await sclient(port.require, "a.test", args, requestFor("a.test"));
        expect(refused.timedOut).toBe(false);
        expect(refused.code, refused.stdout).not.toBe(0);
        expect(refused.stdout).not.toContain("HTTP/1.1");
        if (args.length === 0) {
          // A missing certificate is refused inside the handshake, so in TLS 1.2 the
          // client reads the handshake_failure alert (40) instead of a bare close.
          // (An unverifiable one is refused by node:tls after the handshake, without an alert.)
          const tls12 = await sclient(port.require, "a.test", ["-tls1_2"]);
          expect(`${tls12.stdout.slice(-400)}\n${tls12.stderr}`).toMatch(/SSL alert number 40/);
        }
      }
    },
    TEST_TIMEOUT,
  );
});

describe("after every refused handshake", () => {
  it.skipIf(noCurl && noOpenssl)(
    "the same server still answers on every endpoint, leaks no connection and logged the failures at debug only",
    async () => {
      const failures = logs.entries.filter((e) => e.message === "TLS handshake failed");
      if (!noCurl) {
        expect(okBody(await curl("b.test", port.sni)).hostName).toBe("b.test");
        expect(okBody(await curl("a.test", port.strict)).hostName).toBe("a.test");
        expect(okBody(await curl("a.test", port.tls12)).protocol).toBe("TLSv1.2");
        expect(okBody(await curl("a.test", port.tls13)).protocol).toBe("TLSv1.3");
        expect(okBody(await curl("a.test", port.require, withClient())).clientSubject).toBe("CN=client.test");
        expect(okBody(await curl("a.test", port.allow)).clientSubject).toBeNull();
        expect(okBody(await curl("a.test", port.none)).clientSubject).toBeNull();
        // Several at once, too.
        const parallel = await Promise.all(["a.test", "b.test", "x.wild.test", "default.test"].map((name) => curl(name, port.sni)));
        expect(parallel.map((r) => okBody(r).hostName)).toEqual(["a.test", "b.test", "x.wild.test", "default.test"]);
      }
      if (!noOpenssl) expectHandshake(await sclient(port.sni, "a.test"));

      // Refused handshakes were logged at debug, with a reason; nothing above debug.
      expect(failures.length).toBeGreaterThan(0);
      expect(failures.every((e) => e.level === "debug" && typeof (e.fields as { reason?: unknown }).reason === "string")).toBe(true);
      expect(logs.entries.filter((e) => e.level === "error" || e.level === "fatal" || e.level === "warn")).toEqual([]);

      // Every client has gone: the server holds no connection (no handshake left hanging).
      const deadline = Date.now() + 3_000;
      while (server!.connectionCount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      expect(server!.connectionCount).toBe(0);
      expect(procs.runningCount).toBe(0);
    },
    TEST_TIMEOUT,
  );
});

