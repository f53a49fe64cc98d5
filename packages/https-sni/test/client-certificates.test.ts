import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { ServerCertificate } from "../src/certificate.js";
import { type TestPki, testPki } from "@x/test-pki";
import { connectTls, startServer, type TestServer } from "./helpers.js";

let pki: TestPki;
let trusting: ServerCertificate;
let server: TestServer | undefined;

beforeAll(async () => {
  pki = await testPki();
  // `ca` is the trust store for client certificates.
  trusting = { ...pki.a, ca: pki.ca.cert };
});

afterEach(async () => {
  await server?.close();
  server = undefined;
});

const withClientCert = () => ({ cert: pki.client.cert, key: pki.client.key });

describe("client certificates", () => {
  it("NoCertificate does not ask, so a client certificate is never exposed", async () => {
    server = await startServer({ serverCertificate: trusting });
    const result = await connectTls(server.port, withClientCert());
    expect(result.body?.clientSubject).toBeNull();
  });

  it("AllowCertificate accepts a client without a certificate", async () => {
    server = await startServer({ serverCertificate: trusting, clientCertificateMode: "AllowCertificate" });
    const result = await connectTls(server.port, {});
    expect(result.error).toBeNull();
    expect(result.body?.clientSubject).toBeNull();
  });

  it("AllowCertificate exposes a trusted client certificate", async () => {
    server = await startServer({ serverCertificate: trusting, clientCertificateMode: "AllowCertificate" });
    const result = await connectTls(server.port, withClientCert());
    expect(result.body?.clientSubject).toBe("CN=client.test");
  });

  it("AllowCertificate still closes a connection whose certificate does not chain to a trusted CA", async () => {
    server = await startServer({ serverCertificate: trusting, clientCertificateMode: "AllowCertificate" });
    const result = await connectTls(server.port, { cert: pki.strangerClient.cert, key: pki.strangerClient.key });
    expect(result.body).toBeNull();
  });

  it("RequireCertificate closes a connection without a certificate", async () => {
    server = await startServer({ serverCertificate: trusting, clientCertificateMode: "RequireCertificate" });
    const result = await connectTls(server.port, {});
    expect(result.body).toBeNull();
    await vi.waitFor(() => expect(server!.logs.some((log) => String(log.reason).includes("required"))).toBe(true), { timeout: 2_000 });
  });

  it("RequireCertificate accepts a trusted certificate", async () => {
    server = await startServer({ serverCertificate: trusting, clientCertificateMode: "RequireCertificate" });
    const result = await connectTls(server.port, withClientCert());
    expect(result.body?.clientSubject).toBe("CN=client.test");
  });

  it("closes the connection when clientCertificateValidation returns false", async () => {
    server = await startServer({
      serverCertificate: trusting,
      clientCertificateMode: "RequireCertificate",
      clientCertificateValidation: () => false,
    });
    const result = await connectTls(server.port, withClientCert());
    expect(result.body).toBeNull();
  });

  it("lets clientCertificateValidation accept an untrusted certificate and shows it the chain and errors", async () => {
    const seen: Array<{ subject: string; chainLength: number; errors: readonly string[] }> = [];
    server = await startServer({
      serverCertificate: trusting,
      clientCertificateMode: "RequireCertificate",
      clientCertificateValidation: (certificate, chain, errors) => {
        seen.push({ subject: certificate.subject, chainLength: chain.length, errors });
        return certificate.subject === "CN=stranger.test";
      },
    });
    const result = await connectTls(server.port, { cert: pki.strangerClient.cert, key: pki.strangerClient.key });
    expect(result.body?.clientSubject).toBe("CN=stranger.test");
    expect(seen).toHaveLength(1);
    expect(seen[0]!.chainLength).toBeGreaterThanOrEqual(1);
    expect(seen[0]!.errors.length).toBe(1);
  });
});
