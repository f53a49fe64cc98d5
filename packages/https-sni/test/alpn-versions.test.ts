import { afterEach, beforeAll, describe, expect, it } from "vitest";
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

describe("ALPN (RFC 7301)", () => {
  it("negotiates h2 when the client offers it and the endpoint allows it", async () => {
    server = await startServer({ serverCertificate: pki.a, alpnProtocols: ["h2", "http/1.1"] });
    const result = await connectTls(server.port, { ALPNProtocols: ["h2", "http/1.1"] });
    expect(result.alpnProtocol).toBe("h2");
    expect(result.body?.negotiatedApplicationProtocol).toBe("h2");
  });

  it("negotiates http/1.1 when the client offers only http/1.1", async () => {
    server = await startServer({ serverCertificate: pki.a, alpnProtocols: ["h2", "http/1.1"] });
    const result = await connectTls(server.port, { ALPNProtocols: ["http/1.1"] });
    expect(result.alpnProtocol).toBe("http/1.1");
    expect(result.body?.negotiatedApplicationProtocol).toBe("http/1.1");
  });

  it("negotiates http/1.1 on an HTTP/1.1-only endpoint even when h2 is offered first", async () => {
    server = await startServer({ serverCertificate: pki.a, alpnProtocols: ["http/1.1"] });
    const result = await connectTls(server.port, { ALPNProtocols: ["h2", "http/1.1"] });
    expect(result.body?.negotiatedApplicationProtocol).toBe("http/1.1");
  });

  it("reports an empty protocol when the client sends no ALPN", async () => {
    server = await startServer({ serverCertificate: pki.a, alpnProtocols: ["h2", "http/1.1"] });
    const result = await connectTls(server.port, {});
    expect(result.body?.negotiatedApplicationProtocol).toBe("");
  });
});

describe("sslProtocols", () => {
  it("lets the platform choose by default, which is TLS 1.3 for a modern client", async () => {
    server = await startServer({ serverCertificate: pki.a });
    const result = await connectTls(server.port, {});
    expect(result.body?.protocol).toBe("TLSv1.3");
  });

  it("refuses a TLS 1.3-only client on a TLS 1.2-only endpoint", async () => {
    server = await startServer({ serverCertificate: pki.a, sslProtocols: ["Tls12"] });
    const refused = await connectTls(server.port, { minVersion: "TLSv1.3" });
    expect(refused.body).toBeNull();
    const ok = await connectTls(server.port, {});
    expect(ok.body?.protocol).toBe("TLSv1.2");
  });

  it("refuses a TLS 1.2-only client on a TLS 1.3-only endpoint", async () => {
    server = await startServer({ serverCertificate: pki.a, sslProtocols: ["Tls13"] });
    const refused = await connectTls(server.port, { maxVersion: "TLSv1.2" });
    expect(refused.body).toBeNull();
    const ok = await connectTls(server.port, {});
    expect(ok.body?.protocol).toBe("TLSv1.3");
  });

  it("never accepts TLS 1.1, even when the platform would", async () => {
    server = await startServer({ serverCertificate: pki.a });
    const refused = await connectTls(server.port, { minVersion: "TLSv1.1", maxVersion: "TLSv1.1" });
    expect(refused.body).toBeNull();
  });
});
