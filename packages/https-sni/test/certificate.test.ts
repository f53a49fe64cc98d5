import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CertificateError, describeCertificate, loadCertificate } from "../src/certificate.js";
import { type TestPki, testPki } from "@x/test-pki";
import { connectTls, startServer } from "./helpers.js";

let pki: TestPki;
let dir: string;

function hasOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
const opensslAvailable = hasOpenssl();
if (!opensslAvailable) console.warn("openssl is not on PATH: skipping the PFX tests, which need it to build a PKCS#12 file");

beforeAll(async () => {
  pki = await testPki();
  dir = mkdtempSync(join(tmpdir(), "x-https-sni-"));
  writeFileSync(join(dir, "a.crt"), pki.a.cert);
  writeFileSync(join(dir, "a.key"), pki.a.key);
  writeFileSync(join(dir, "combined.pem"), `${pki.a.cert}\n${pki.a.key}`);
  writeFileSync(join(dir, "garbage.pem"), "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n");
  writeFileSync(join(dir, "b.key"), pki.b.key);
  if (opensslAvailable) {
    execFileSync("openssl", [
      "pkcs12",
      "-export",
      "-in",
      join(dir, "a.crt"),
      "-inkey",
      join(dir, "a.key"),
      "-out",
      join(dir, "a.pfx"),
      "-passout",
      "pass:secret",
    ]);
  }
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("loadCertificate", () => {
  it("loads PEM from a certificate file and a key file", () => {
    const certificate = loadCertificate({ path: join(dir, "a.crt"), keyPath: join(dir, "a.key") });
    const info = describeCertificate(certificate);
    expect(info.subject).toBe("CN=a.test");
    expect(info.subjectAltName).toBe("DNS:a.test");
    expect(info.notAfter.getTime()).toBeGreaterThan(Date.now());
  });

  it("loads PEM with the certificate and the key in one file", () => {
    const certificate = loadCertificate({ path: join(dir, "combined.pem") });
    expect(describeCertificate(certificate).subject).toBe("CN=a.test");
  });

  it.skipIf(!opensslAvailable)("loads a PFX by extension, and a server can use it", async () => {
    const certificate = loadCertificate({ path: join(dir, "a.pfx"), password: "secret" });
    expect("pfx" in certificate).toBe(true);
    expect(describeCertificate(certificate).subject).toBe("CN=a.test");
    const server = await startServer({ serverCertificate: certificate });
    try {
      const result = await connectTls(server.port, { servername: "a.test" });
      expect(result.peerCommonName).toBe("a.test");
    } finally {
      await server.close();
    }
  });

  it.skipIf(!opensslAvailable)("names the file when the PFX password is wrong", () => {
    expect(() => loadCertificate({ path: join(dir, "a.pfx"), password: "wrong" })).toThrow(/a\.pfx/);
  });

  it("throws CertificateError with its code and the path for a missing file", () => {
    const path = join(dir, "missing.pem");
    let caught: unknown;
    try {
      loadCertificate({ path });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CertificateError);
    expect((caught as { code: string }).code).toBe("ERR_X_TLS_CERTIFICATE_INVALID");
    expect((caught as Error).message).toContain(path);
  });

  it("throws CertificateError for a PEM file that does not parse", () => {
    expect(() => loadCertificate({ path: join(dir, "garbage.pem"), keyPath: join(dir, "a.key") })).toThrow(CertificateError);
  });

  it("throws CertificateError when the key does not belong to the certificate", () => {
    expect(() => loadCertificate({ path: join(dir, "a.crt"), keyPath: join(dir, "b.key") })).toThrow(/a\.crt/);
  });

  it("throws CertificateError when the key is of another type than the certificate's (OpenSSL alone does not notice)", () => {
    const rsaKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" });
    writeFileSync(join(dir, "rsa.key"), rsaKey);
    expect(() => loadCertificate({ path: join(dir, "a.crt"), keyPath: join(dir, "rsa.key") })).toThrow(/does not belong/);
  });

  it("throws CertificateError for a PEM certificate without a key", () => {
    expect(() => loadCertificate({ path: join(dir, "a.crt") })).toThrow(/No private key/);
  });

  it("refuses an unusable serverCertificate when the middleware is created", async () => {
    await expect(startServer({ serverCertificate: { cert: pki.a.cert, key: pki.b.key } })).rejects.toThrow(CertificateError);
  });
});
