import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { ServerCertificate } from "../src/certificate.js";
import { type TestPki, testPki } from "@x/test-pki";
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

describe("server certificate selection (SNI, RFC 6066 §3)", () => {
  it("picks the certificate for each name, handles a wildcard in the selector, and gives clients without SNI the default", async () => {
    const calls: Array<string | null> = [];
    const byName = new Map<string, ServerCertificate>([
      ["a.test", pki.a],
      ["b.test", pki.b],
    ]);
    server = await startServer({
      serverCertificate: pki.fallback,
      serverCertificateSelector: (_connection, name) => {
        calls.push(name);
        if (name === null) return null;
        if (name.endsWith(".wild.test")) return pki.wild;
        return byName.get(name) ?? null;
      },
    });
    const a = await connectTls(server.port, { servername: "a.test" });
    const b = await connectTls(server.port, { servername: "B.TEST" });
    const wild = await connectTls(server.port, { servername: "x.wild.test" });
    // An IP address as host: node:tls sends no SNI (RFC 6066 §3 forbids literal addresses).
    const none = await connectTls(server.port, {});
    expect(a.peerCommonName).toBe("a.test");
    expect(a.body?.hostName).toBe("a.test");
    expect(b.peerCommonName).toBe("b.test");
    expect(wild.peerCommonName).toBe("*.wild.test");
    expect(none.peerCommonName).toBe("default.test");
    expect(none.body?.hostName).toBeNull();
    expect(calls).toEqual(["a.test", "b.test", "x.wild.test", null]);
  });

  it("verifies against the CA when the client checks the chain", async () => {
    server = await startServer({ serverCertificate: pki.a });
    const verified = await connectTls(server.port, { servername: "a.test", ca: pki.ca.cert, rejectUnauthorized: true });
    expect(verified.error).toBeNull();
    expect(verified.peerCommonName).toBe("a.test");
  });

  it("closes the connection when the selector returns null and there is no default, and logs why", async () => {
    server = await startServer({ serverCertificateSelector: (_c, name) => (name === "a.test" ? pki.a : null) });
    const refused = await connectTls(server.port, { servername: "unknown.test" });
    expect(refused.body).toBeNull();
    expect(refused.error).not.toBeNull();
    await vi.waitFor(() => expect(server!.logs.some((log) => String(log.reason).includes("unknown.test"))).toBe(true), { timeout: 2_000 });
    const accepted = await connectTls(server.port, { servername: "a.test" });
    expect(accepted.peerCommonName).toBe("a.test");
  });

  it("calls an async selector and closes the connection when it throws", async () => {
    server = await startServer({
      serverCertificateSelector: async (_c, name) => {
        if (name === "boom.test") throw new Error("selector failed");
        return pki.b;
      },
    });
    const failed = await connectTls(server.port, { servername: "boom.test" });
    expect(failed.body).toBeNull();
    const ok = await connectTls(server.port, { servername: "b.test" });
    expect(ok.peerCommonName).toBe("b.test");
  });

  it("lets onAuthenticate restrict the ciphers of one connection", async () => {
    server = await startServer({
      serverCertificate: pki.a,
      sslProtocols: ["Tls12"],
      onAuthenticate: (_connection, options) => {
        options.ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256";
      },
    });
    const result = await connectTls(server.port, { servername: "a.test" });
    expect(result.body?.cipherName).toBe("ECDHE-ECDSA-AES128-GCM-SHA256");
  });
});
