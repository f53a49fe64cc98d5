/** Certificates loaded from files are reloaded when the files change; open connections keep theirs. */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tls from "node:tls";
import { type TestPki, testPki } from "@x/test-pki";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { loadCertificate } from "../src/certificate.js";
import { CertificateReloader } from "../src/certificate-reloader.js";
import { connectTls, startServer, type TestServer } from "./helpers.js";

let pki: TestPki;
let dir: string;
let server: TestServer | undefined;
const controllers: AbortController[] = [];

beforeAll(async () => {
  pki = await testPki();
  dir = mkdtempSync(join(tmpdir(), "x-cert-reload-"));
});

afterEach(async () => {
  for (const c of controllers.splice(0)) c.abort();
  await server?.close();
  server = undefined;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Fresh files per test, so watches of earlier tests never see these writes. */
function writePair(cert: string, key: string): { certPath: string; keyPath: string } {
  const base = mkdtempSync(join(dir, "pair-"));
  const certPath = join(base, "site.crt");
  const keyPath = join(base, "site.key");
  writeFileSync(certPath, cert);
  writeFileSync(keyPath, key);
  return { certPath, keyPath };
}

/** Replaces a file the way deployment tools do: write a temp file, then rename it over the old one. */
function replaceAtomically(path: string, content: string): void {
  writeFileSync(`${path}.tmp`, content);
  renameSync(`${path}.tmp`, path);
}

const cn = async (port: number) => (await connectTls(port, { servername: "a.test" })).peerCommonName;

describe("certificate reload on file change", () => {
  it("gives new connections the new certificate after an atomic replace, without touching an open connection", async () => {
    const files = writePair(pki.a.cert, pki.a.key);
    const controller = new AbortController();
    controllers.push(controller);
    server = await startServer({ serverCertificate: loadCertificate({ path: files.certPath, keyPath: files.keyPath }) }, undefined, undefined, controller.signal);
    expect(await cn(server.port)).toBe("a.test");
    // An open connection, established with the old certificate.
    const open = tls.connect({ host: "127.0.0.1", port: server.port, servername: "a.test", rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => open.once("secureConnect", resolve).once("error", reject));
    replaceAtomically(files.keyPath, pki.b.key);
    replaceAtomically(files.certPath, pki.b.cert);
    await vi.waitFor(async () => expect(await cn(server!.port)).toBe("b.test"), { timeout: 5_000, interval: 100 });
    expect(open.destroyed).toBe(false);
    const cnOfOpen = open.getPeerCertificate().subject?.CN;
    expect(cnOfOpen).toBe("a.test");
    open.destroy();
  });

  it("picks up a file rewritten in place", async () => {
    const files = writePair(`${pki.a.cert}\n${pki.a.key}`, "");
    const controller = new AbortController();
    controllers.push(controller);
    server = await startServer({ serverCertificate: loadCertificate({ path: files.certPath }) }, undefined, undefined, controller.signal);
    expect(await cn(server.port)).toBe("a.test");
    writeFileSync(files.certPath, `${pki.b.cert}\n${pki.b.key}`);
    await vi.waitFor(async () => expect(await cn(server!.port)).toBe("b.test"), { timeout: 5_000, interval: 100 });
  });

  it("keeps the previous certificate and logs a warning when the new file is invalid, then loads the next good one", async () => {
    const files = writePair(pki.a.cert, pki.a.key);
    const warnings: string[] = [];
    const reloader = new CertificateReloader({
      trace() {},
      debug() {},
      info() {},
      warn(obj: object | string, msg?: string) {
        warnings.push(typeof obj === "string" ? obj : (msg ?? ""));
      },
      error() {},
      fatal() {},
      isLevelEnabled: () => true,
      child() {
        return this;
      },
    });
    const original = loadCertificate({ path: files.certPath, keyPath: files.keyPath });
    reloader.watch(original);
    try {
      replaceAtomically(files.certPath, "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
      await vi.waitFor(() => expect(warnings.some((w) => w.includes("previous certificate stays in use"))).toBe(true), { timeout: 5_000, interval: 50 });
      expect(reloader.current(original)).toBe(original);
      // The key no longer matches b's certificate until both are written: still a failure, still the old one.
      replaceAtomically(files.certPath, pki.b.cert);
      await vi.waitFor(() => expect(warnings.length).toBeGreaterThanOrEqual(2), { timeout: 5_000, interval: 50 });
      expect(reloader.current(original)).toBe(original);
      replaceAtomically(files.keyPath, pki.b.key);
      await vi.waitFor(() => expect(reloader.current(original)).not.toBe(original), { timeout: 5_000, interval: 50 });
    } finally {
      reloader.close();
    }
  });

  it("stops watching when the signal aborts", async () => {
    const files = writePair(pki.a.cert, pki.a.key);
    const controller = new AbortController();
    server = await startServer({ serverCertificate: loadCertificate({ path: files.certPath, keyPath: files.keyPath }) }, undefined, undefined, controller.signal);
    controller.abort();
    replaceAtomically(files.keyPath, pki.b.key);
    replaceAtomically(files.certPath, pki.b.cert);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await cn(server.port)).toBe("a.test");
  });

  it("does not watch certificates that were not loaded from files", async () => {
    const reloader = new CertificateReloader();
    const inMemory = { cert: pki.a.cert, key: pki.a.key };
    reloader.watch(inMemory);
    expect(reloader.current(inMemory)).toBe(inMemory);
    reloader.close();
  });
});
