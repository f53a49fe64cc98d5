import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request as httpsRequest, type RequestOptions } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ConnectionOptions, TLSSocket } from "node:tls";
import type { ConnectionMiddleware, RequestDelegate } from "@x/abstractions";
import { TlsHandshakeFeature } from "@x/https-sni";
import { Agent, request as undiciRequest } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type HttpsConnectionAdapterOptions, Server, ServerOptions } from "../src/index.js";
import { type TestPki, testPki } from "@x/test-pki";
import { portOf, readToClose, Resources, within } from "./helpers.js";

const res = new Resources();
afterEach(() => res.cleanup());

let pki: TestPki;
let dir: string;
const agents: Agent[] = [];

beforeAll(async () => {
  pki = await testPki();
  dir = mkdtempSync(join(tmpdir(), "x-server-https-"));
});

afterAll(async () => {
  await Promise.allSettled(agents.splice(0).map((a) => a.close()));
  rmSync(dir, { recursive: true, force: true });
});

/** Echoes the scheme and the TLS handshake the request sees through its features. */
const echoTls: RequestDelegate = (ctx) => {
  const tls = ctx.features.get(TlsHandshakeFeature);
  ctx.response.end(JSON.stringify({ scheme: ctx.request.scheme, protocol: tls?.protocol ?? null, alpn: tls?.negotiatedApplicationProtocol ?? null }));
};

interface HttpsResult {
  readonly status: number;
  readonly body: string;
  readonly peerCommonName: string | undefined;
  readonly alpn: string | false | null;
}

/** One GET over node:https, trusting the test CA; reports the peer certificate's CN. */
function httpsGet(port: number, servername = "a.test", path = "/"): Promise<HttpsResult> {
  const result = new Promise<HttpsResult>((resolve, reject) => {
    const options: RequestOptions & ConnectionOptions = { host: "127.0.0.1", port, path, servername, ca: pki.ca.cert, agent: false, ALPNProtocols: ["http/1.1"] };
    const req = httpsRequest(options, (response) => {
      const socket = response.socket as TLSSocket;
      const cn: string | string[] | undefined = socket.getPeerCertificate().subject?.CN;
      const peerCommonName = Array.isArray(cn) ? cn[0] : cn;
      const alpn = socket.alpnProtocol;
      const chunks: Buffer[] = [];
      response.on("data", (c: Buffer) => chunks.push(c));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), peerCommonName, alpn }));
      response.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
  return within(5_000, result, `https GET ${path}`);
}

/** One GET through undici with an Agent trusting the test CA. */
async function undiciGet(url: string, servername = "a.test"): Promise<{ status: number; body: string }> {
  const agent = new Agent({ connect: { ca: pki.ca.cert, servername } });
  agents.push(agent);
  const response = await within(5_000, undiciRequest(url, { dispatcher: agent }), `GET ${url}`);
  return { status: response.statusCode, body: await within(5_000, response.body.text(), "body") };
}

/** Peeks at the first bytes on the connection's transport, putting them back for the next middleware. */
function peek(seen: Buffer[]): ConnectionMiddleware {
  return async (connection, next) => {
    const transport = connection.transport;
    let chunk = transport.read() as Buffer | null;
    while (chunk === null && !transport.readableEnded && !transport.destroyed) {
      await within(3_000, once(transport, "readable"), "first bytes");
      chunk = transport.read() as Buffer | null;
    }
    if (chunk !== null) {
      seen.push(Buffer.from(chunk));
      transport.unshift(chunk);
    }
    await next(connection);
  };
}

describe("ListenOptions.useHttps", () => {
  it("serves HTTPS with a certificate: scheme https, TLS 1.2/1.3, ALPN http/1.1 through the request features", async () => {
    const server = res.server(new Server());
    server.options.listen("127.0.0.1", 0, (lo) => lo.useHttps(pki.a));
    await server.start(echoTls);
    const url = server.addresses[0]!;
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);

    const viaUndici = await undiciGet(url);
    expect(viaUndici.status).toBe(200);
    const body = JSON.parse(viaUndici.body) as { scheme: string; protocol: string; alpn: string };
    expect(body.scheme).toBe("https");
    expect(["TLSv1.2", "TLSv1.3"]).toContain(body.protocol);
    expect(body.alpn).toBe("http/1.1");

    const viaNode = await httpsGet(portOf(url));
    expect(viaNode.status).toBe(200);
    expect(viaNode.peerCommonName).toBe("a.test");
    expect(viaNode.alpn).toBe("http/1.1");
  });

  it("loads PEM files with useHttps({ certPath, keyPath })", async () => {
    const certPath = join(dir, "a.pem");
    const keyPath = join(dir, "a.key");
    writeFileSync(certPath, pki.a.cert);
    writeFileSync(keyPath, pki.a.key);
    const server = res.server(new Server());
    server.options.listen("127.0.0.1", 0, (lo) => lo.useHttps({ certPath, keyPath }));
    await server.start(echoTls);
    const result = await httpsGet(portOf(server.addresses[0]!));
    expect(result.status).toBe(200);
    expect(result.peerCommonName).toBe("a.test");
    expect(JSON.parse(result.body).scheme).toBe("https");
  });

  it("runs configure in the path forms too: useHttps(path, password, configure), useHttps({ certPath, keyPath }, configure)", async () => {
    const combined = join(dir, "a-combined.pem");
    writeFileSync(combined, `${pki.a.cert}\n${pki.a.key}`);
    const certPath = join(dir, "a2.pem");
    const keyPath = join(dir, "a2.key");
    writeFileSync(certPath, pki.a.cert);
    writeFileSync(keyPath, pki.a.key);
    const calls: string[] = [];
    const server = res.server(new Server());
    // configure runs after the file's certificate is set, so it can replace it (Kestrel's order).
    server.options.listen("127.0.0.1", 0, (lo) =>
      lo.useHttps(combined, undefined, (o) => {
        calls.push(`path: ${o.serverCertificate !== undefined}`);
        o.serverCertificate = pki.b;
      }),
    );
    server.options.listen("127.0.0.1", 0, (lo) => lo.useHttps({ certPath, keyPath }, (o) => void calls.push(`files: ${o.serverCertificate !== undefined}`)));
    await server.start(echoTls);
    expect(calls).toEqual(["path: true", "files: true"]);
    expect((await httpsGet(portOf(server.addresses[0]!), "b.test")).peerCommonName).toBe("b.test");
    expect((await httpsGet(portOf(server.addresses[1]!))).peerCommonName).toBe("a.test");
  });

  it("rejects forms Kestrel does not have: extra arguments, a configure that is not a function", () => {
    const options = new ServerOptions();
    const path = join(dir, "unused.pem");
    const call = (...args: unknown[]) => () => options.listen("127.0.0.1", 0, (lo) => (lo.useHttps as (...a: unknown[]) => unknown)(...args));
    expect(call(path, "pw", "not a function")).toThrow(TypeError);
    expect(call(path, 42)).toThrow(TypeError);
    expect(call(pki.a, () => {}, "extra")).toThrow(TypeError);
    expect(call(() => {}, () => {})).toThrow(TypeError);
    expect(call({ certPath: path }, {})).toThrow(TypeError);
  });

  it("useHttps() needs the default certificate: a clear error without it, the default certificate with it", async () => {
    const options = new ServerOptions();
    expect(() => options.listen("127.0.0.1", 0, (lo) => lo.useHttps())).toThrow(/No server certificate was specified.*defaultCertificate/);
    expect(options.listenOptions).toHaveLength(0);

    options.defaultCertificate = pki.fallback;
    options.listen("127.0.0.1", 0, (lo) => lo.useHttps());
    expect(options.listenOptions[0]!.scheme).toBe("https");
    const server = res.server(new Server(options));
    await server.start(echoTls);
    const result = await httpsGet(portOf(server.addresses[0]!), "default.test");
    expect(result.status).toBe(200);
    expect(result.peerCommonName).toBe("default.test");
  });

  it("configureHttpsDefaults applies to useHttps calls after it, not before; the last call wins", async () => {
    const options = new ServerOptions();
    options.listen("127.0.0.1", 0, (lo) => lo.useHttps(pki.a));
    const seen: string[] = [];
    options.configureHttpsDefaults(() => seen.push("first"));
    options.configureHttpsDefaults((https: HttpsConnectionAdapterOptions) => {
      seen.push("second");
      https.sslProtocols = ["Tls12"];
    });
    options.listen("127.0.0.1", 0, (lo) =>
      lo.useHttps(pki.a, (https) => {
        seen.push("own");
        expect(https.sslProtocols).toEqual(["Tls12"]);
        expect(https.serverCertificate).toBe(pki.a);
      }),
    );
    expect(seen).toEqual(["second", "own"]);
    const server = res.server(new Server(options));
    await server.start(echoTls);
    const before = JSON.parse((await httpsGet(portOf(server.addresses[0]!))).body) as { protocol: string };
    const after = JSON.parse((await httpsGet(portOf(server.addresses[1]!))).body) as { protocol: string };
    expect(before.protocol).toBe("TLSv1.3");
    expect(after.protocol).toBe("TLSv1.2");
  });

  it("middleware added before useHttps sees the ClientHello, middleware added after sees plaintext", async () => {
    const before: Buffer[] = [];
    const after: Buffer[] = [];
    const server = res.server(new Server());
    server.options.listen("127.0.0.1", 0, (lo) => lo.use(peek(before)).useHttps(pki.a).use(peek(after)));
    await server.start(echoTls);
    const result = await httpsGet(portOf(server.addresses[0]!));
    expect(result.status).toBe(200);
    expect(before[0]![0]).toBe(0x16);
    expect(after[0]!.subarray(0, 4).toString("latin1")).toBe("GET ");
  });

  it("picks a certificate per SNI name with serverCertificateSelector in useHttps(options => ...)", async () => {
    const server = res.server(new Server());
    server.options.listen("127.0.0.1", 0, (lo) =>
      lo.useHttps((https) => {
        https.serverCertificateSelector = (_connection, name) => (name === "b.test" ? pki.b : pki.a);
      }),
    );
    await server.start(echoTls);
    const port = portOf(server.addresses[0]!);
    expect((await httpsGet(port, "a.test")).peerCommonName).toBe("a.test");
    expect((await httpsGet(port, "b.test")).peerCommonName).toBe("b.test");
  });

  it("closes a plain-HTTP connection to the HTTPS endpoint and keeps serving HTTPS", async () => {
    const server = res.server(new Server());
    server.options.listen("127.0.0.1", 0, (lo) => lo.useHttps(pki.a));
    await server.start(echoTls);
    const port = portOf(server.addresses[0]!);
    const plain = await res.connect({ host: "127.0.0.1", port });
    plain.write("GET / HTTP/1.1\r\nHost: a.test\r\n\r\n");
    const answer = await readToClose(plain);
    expect(answer).not.toContain("HTTP/1.1 200");
    const result = await httpsGet(port);
    expect(result.status).toBe(200);
    expect(JSON.parse(result.body).scheme).toBe("https");
  });
});

describe("https:// hosting URLs", () => {
  it("binds and serves with the default certificate", async () => {
    const server = res.server(new Server());
    server.options.defaultCertificate = pki.a;
    server.addresses.push("https://127.0.0.1:0");
    await server.start(echoTls);
    const url = server.addresses[0]!;
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const result = await undiciGet(url);
    expect(result.status).toBe(200);
    expect(JSON.parse(result.body).scheme).toBe("https");
  });

  it("rejects start with a clear message without a default certificate", async () => {
    const server = res.server(new Server());
    server.addresses.push("https://127.0.0.1:0");
    await expect(server.start(echoTls)).rejects.toThrow(/https:\/\/127\.0\.0\.1:0.*HTTPS endpoints need a certificate.*defaultCertificate/);
  });
});
