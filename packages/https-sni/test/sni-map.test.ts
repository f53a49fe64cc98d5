/** The `sni` option (Kestrel's `Endpoints:{Name}:Sni`), end to end over real TLS connections. */
import { type TestPki, testPki } from "@x/test-pki";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { connectTls, startServer, type TestServer } from "./helpers.js";

let pki: TestPki;
let server: TestServer | undefined;

beforeAll(async () => {
  pki = await testPki();
});

afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("per-name TLS settings (sni)", () => {
  it("serves each name its entry's certificate: exact, wildcard, then '*'", async () => {
    server = await startServer({
      sni: {
        "a.test": { serverCertificate: pki.a },
        "*.wild.test": { serverCertificate: pki.wild },
        "*": { serverCertificate: pki.fallback },
      },
    });
    const a = await connectTls(server.port, { servername: "a.test" });
    const wild = await connectTls(server.port, { servername: "deep.x.wild.test" });
    const other = await connectTls(server.port, { servername: "other.test" });
    const none = await connectTls(server.port, {});
    expect([a.peerCommonName, wild.peerCommonName, other.peerCommonName, none.peerCommonName]).toEqual([
      "a.test",
      "*.wild.test",
      "default.test",
      "default.test",
    ]);
    expect(wild.body?.hostName).toBe("deep.x.wild.test");
  });

  it("refuses names that match no entry when there is no '*', and logs the name", async () => {
    server = await startServer({ sni: { "a.test": { serverCertificate: pki.a } } });
    const refused = await connectTls(server.port, { servername: "b.test" });
    const noSni = await connectTls(server.port, {});
    expect(refused.body).toBeNull();
    expect(noSni.body).toBeNull();
    await vi.waitFor(
      () => {
        const reasons = server!.logs.map((log) => String(log.reason));
        expect(reasons.some((r) => r.includes("no SNI entry matches 'b.test'"))).toBe(true);
        expect(reasons.some((r) => r.includes("no SNI"))).toBe(true);
      },
      { timeout: 2_000 },
    );
    expect((await connectTls(server.port, { servername: "a.test" })).peerCommonName).toBe("a.test");
  });

  it("falls back to the endpoint's certificate for an entry without one", async () => {
    server = await startServer({ serverCertificate: pki.fallback, sni: { "a.test": {}, "b.test": { serverCertificate: pki.b } } });
    expect((await connectTls(server.port, { servername: "a.test" })).peerCommonName).toBe("default.test");
    expect((await connectTls(server.port, { servername: "b.test" })).peerCommonName).toBe("b.test");
  });

  it("falls back to the selector before the endpoint's certificate", async () => {
    server = await startServer({
      serverCertificate: pki.fallback,
      serverCertificateSelector: (_c, name) => (name === "a.test" ? pki.a : null),
      sni: { "*": {} },
    });
    expect((await connectTls(server.port, { servername: "a.test" })).peerCommonName).toBe("a.test");
    expect((await connectTls(server.port, { servername: "z.test" })).peerCommonName).toBe("default.test");
  });

  it("applies each entry's TLS versions", async () => {
    server = await startServer({
      sni: {
        "a.test": { serverCertificate: pki.a, sslProtocols: ["Tls12"] },
        "b.test": { serverCertificate: pki.b, sslProtocols: ["Tls13"] },
      },
    });
    expect((await connectTls(server.port, { servername: "a.test" })).body?.protocol).toBe("TLSv1.2");
    expect((await connectTls(server.port, { servername: "a.test", minVersion: "TLSv1.3" })).body).toBeNull();
    expect((await connectTls(server.port, { servername: "b.test" })).body?.protocol).toBe("TLSv1.3");
    expect((await connectTls(server.port, { servername: "b.test", maxVersion: "TLSv1.2" })).body).toBeNull();
  });

  it("applies each entry's ALPN protocols and client certificate mode", async () => {
    server = await startServer({
      alpnProtocols: ["http/1.1"],
      sni: {
        "a.test": { serverCertificate: pki.a, alpnProtocols: ["x-a"], clientCertificateMode: "RequireCertificate" },
        "b.test": { serverCertificate: pki.b },
      },
      clientCertificateValidation: () => true,
    });
    const a = await connectTls(server.port, { servername: "a.test", ALPNProtocols: ["x-a", "http/1.1"], cert: pki.client.cert, key: pki.client.key });
    expect(a.alpnProtocol).toBe("x-a");
    expect(String(a.body?.clientSubject)).toContain("client.test");
    const aWithoutCert = await connectTls(server.port, { servername: "a.test" });
    expect(aWithoutCert.body).toBeNull();
    const b = await connectTls(server.port, { servername: "b.test", ALPNProtocols: ["x-a", "http/1.1"] });
    expect(b.alpnProtocol).toBe("http/1.1");
    expect(b.body?.clientSubject).toBeNull();
  });

  it("refuses at startup an entry without a certificate when there is nothing to fall back to", async () => {
    await expect(startServer({ sni: { "a.test": {} } })).rejects.toThrow(/no certificate/);
  });
});
