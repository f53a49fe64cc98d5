/**
 * The development certificate and the `x-dev-certs` command: the built bin
 * run as a child process against a temporary X_DEV_CERTS_HOME, the library
 * in-process, and real TLS connections (localhost, 127.0.0.1, ::1) that
 * verify the certificate.
 */
import { spawn } from "node:child_process";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { once } from "node:events";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import * as tls from "node:tls";
import { fileURLToPath } from "node:url";
import { type TestPki, testPki } from "@x/test-pki";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { describeCertificate, loadCertificate, type PemCertificate } from "../src/certificate.js";
import {
  checkDevelopmentCertificate,
  cleanDevelopmentCertificate,
  createDevelopmentCertificate,
  developmentCertificateDirectory,
  exportDevelopmentCertificate,
  findDevelopmentCertificate,
} from "../src/dev-certs/index.js";
import { parseDevCertsArguments } from "../src/dev-certs/cli-args.js";

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), "../dist/dev-certs-cli.js");
const DAY_MS = 24 * 60 * 60 * 1000;
const posix = process.platform !== "win32";

const temporaryDirectories: string[] = [];
function temporaryDirectory(): string {
  const dir = mkdtempSync(join(tmpdir(), "x-dev-certs-"));
  temporaryDirectories.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of temporaryDirectories) rmSync(dir, { recursive: true, force: true });
});

interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built bin with X_DEV_CERTS_HOME = `home`; killed after 15 s. */
async function runCli(home: string, ...args: string[]): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, X_DEV_CERTS_HOME: home },
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 15_000,
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const [code] = (await once(child, "close")) as [number | null];
  return { code, stdout, stderr };
}

function expectNoStackTrace(result: CliResult): void {
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stdout).not.toMatch(/\n\s+at /);
}

function fileMode(path: string): number {
  return statSync(path).mode & 0o777;
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build @x/https-sni first (pnpm --filter @x/https-sni run build)`);
});

describe("developmentCertificateDirectory", () => {
  it("uses X_DEV_CERTS_HOME, else ~/.x/dev-certs/https", () => {
    expect(developmentCertificateDirectory({ X_DEV_CERTS_HOME: "/somewhere/certs" })).toBe("/somewhere/certs");
    const home = process.env.HOME;
    try {
      process.env.HOME = "/home/someone";
      if (posix) expect(developmentCertificateDirectory({})).toBe(join("/home/someone", ".x", "dev-certs", "https"));
    } finally {
      if (home === undefined) delete process.env.HOME;
      else process.env.HOME = home;
    }
  });
});

describe("x-dev-certs https, one home used in order", () => {
  let base: string;
  let home: string;
  let certificatePath: string;
  let keyPath: string;

  beforeAll(() => {
    base = temporaryDirectory();
    home = join(base, "home", "https"); // does not exist yet: the command creates it
    certificatePath = join(home, "localhost.pem");
    keyPath = join(home, "localhost.key");
  });

  it("--check with nothing there: exit 1, missing", { timeout: 20_000 }, async () => {
    const result = await runCli(home, "https", "--check");
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("(missing)");
    expect(existsSync(home)).toBe(false);
  });

  it("creates the certificate: files, modes, names and extensions", { timeout: 20_000 }, async () => {
    const result = await runCli(home, "https");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("generated successfully");
    expect(result.stdout).toContain(certificatePath);
    expect(existsSync(certificatePath)).toBe(true);
    expect(existsSync(keyPath)).toBe(true);
    if (posix) {
      expect(fileMode(keyPath)).toBe(0o600);
      expect(fileMode(home)).toBe(0o700);
    }
    const x509 = new X509Certificate(readFileSync(certificatePath));
    expect(x509.subject).toBe("CN=localhost");
    expect(x509.checkHost("localhost", { subject: "never" })).toBe("localhost");
    expect(x509.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(x509.checkIP("::1")).toBe("::1");
    expect(x509.subjectAltName).toContain("DNS:localhost");
    expect(x509.ca).toBe(false);
    expect(x509.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]); // extKeyUsage serverAuth
    expect(x509.publicKey.asymmetricKeyType).toBe("rsa");
    expect(x509.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(x509.checkPrivateKey(createPrivateKey(readFileSync(keyPath)))).toBe(true);
    const lifetime = new Date(x509.validTo).getTime() - new Date(x509.validFrom).getTime();
    expect(Math.round(lifetime / DAY_MS)).toBe(365);
    expect(readdirSync(home).sort()).toEqual(["localhost.key", "localhost.pem"]); // no temporary or lock files left

  });

  it("--check: exit 0 with path, subject, expiry and SHA-256 thumbprint", { timeout: 20_000 }, async () => {
    const result = await runCli(home, "https", "-c");
    expect(result.code, result.stderr).toBe(0);
    const x509 = new X509Certificate(readFileSync(certificatePath));
    expect(result.stdout).toContain(certificatePath);
    expect(result.stdout).toContain("CN=localhost");
    expect(result.stdout).toContain(new Date(x509.validTo).toISOString());
    expect(result.stdout).toContain(x509.fingerprint256);
  });

  it("a second run leaves the valid certificate unchanged", { timeout: 20_000 }, async () => {
    const before = { cert: readFileSync(certificatePath), key: readFileSync(keyPath), mtime: statSync(certificatePath).mtimeMs };
    const result = await runCli(home, "https");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("already present");
    expect(readFileSync(certificatePath).equals(before.cert)).toBe(true);
    expect(readFileSync(keyPath).equals(before.key)).toBe(true);
    expect(statSync(certificatePath).mtimeMs).toBe(before.mtime);
  });

  it("--export-path Pfx with a password: node:tls loads it, a wrong password fails", { timeout: 20_000 }, async () => {
    const out = join(base, "export", "localhost.pfx");
    const result = await runCli(home, "https", "-ep", out, "--format", "PFX", "-p", "s3cret");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`Exported the certificate and its private key to ${out}`);
    if (posix) expect(fileMode(out)).toBe(0o600);
    const pfx = readFileSync(out);
    expect(() => tls.createSecureContext({ pfx, passphrase: "s3cret" })).not.toThrow();
    expect(() => tls.createSecureContext({ pfx, passphrase: "wrong" })).toThrow(/mac verify failure/);
    expect(() => tls.createSecureContext({ pfx })).toThrow();
    const inside = describeCertificate({ pfx, passphrase: "s3cret" });
    expect(inside.fingerprint256).toBe(new X509Certificate(readFileSync(certificatePath)).fingerprint256);
    // The repository's own loader takes it too.
    expect(() => loadCertificate({ path: out, password: "s3cret" })).not.toThrow();
  });

  it("--export-path Pem with a password: certificate, and the key encrypted next to it", { timeout: 20_000 }, async () => {
    const out = join(base, "export", "dev.pem");
    const result = await runCli(home, "https", "--export-path", out, "--format", "pem", "--password", "pem-pass");
    expect(result.code, result.stderr).toBe(0);
    const outKey = join(base, "export", "dev.key");
    expect(readFileSync(out, "utf8")).toBe(readFileSync(certificatePath, "utf8"));
    const keyText = readFileSync(outKey, "utf8");
    expect(keyText).toContain("-----BEGIN ENCRYPTED PRIVATE KEY-----");
    if (posix) expect(fileMode(outKey)).toBe(0o600);
    expect(() => createPrivateKey({ key: keyText, passphrase: "wrong" })).toThrow();
    const key = createPrivateKey({ key: keyText, passphrase: "pem-pass" });
    expect(new X509Certificate(readFileSync(out)).checkPrivateKey(key)).toBe(true);
    expect(() => loadCertificate({ path: out, keyPath: outKey, password: "pem-pass" })).not.toThrow();
  });

  it("--export-path Pem --no-password: a plain PKCS#8 key", { timeout: 20_000 }, async () => {
    const out = join(base, "export", "plain.crt");
    const result = await runCli(home, "https", "-ep", out, "--format", "Pem", "-np");
    expect(result.code, result.stderr).toBe(0);
    const keyText = readFileSync(join(base, "export", "plain.key"), "utf8");
    expect(keyText).toContain("-----BEGIN PRIVATE KEY-----");
    expect(() => loadCertificate({ path: out, keyPath: join(base, "export", "plain.key") })).not.toThrow();
  });

  it("--export-path without --password exports the certificate only, as dotnet", { timeout: 20_000 }, async () => {
    const out = join(base, "export", "public.pem");
    const result = await runCli(home, "https", "-ep", out, "--format", "Pem");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("without its private key");
    expect(readFileSync(out, "utf8")).toBe(readFileSync(certificatePath, "utf8"));
    expect(existsSync(join(base, "export", "public.key"))).toBe(false);
  });

  it("--trust explains the manual steps and exits 0", { timeout: 20_000 }, async () => {
    const result = await runCli(home, "https", "--trust");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("not automated");
    expect(result.stdout).toContain(`NODE_EXTRA_CA_CERTS=${certificatePath}`);
    if (process.platform === "linux") {
      expect(result.stdout).toContain("/usr/local/share/ca-certificates/x-localhost.crt");
      expect(result.stdout).toContain("update-ca-certificates");
    }
  });

  it("--clean removes it; a second --clean is fine; --check is 1 again", { timeout: 20_000 }, async () => {
    const first = await runCli(home, "https", "--clean");
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain("removed");
    expect(existsSync(certificatePath)).toBe(false);
    expect(existsSync(keyPath)).toBe(false);
    const second = await runCli(home, "https", "--clean");
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("nothing to remove");
    expect((await runCli(home, "https", "--check")).code).toBe(1);
  });
});

describe("expired and invalid certificates", () => {
  it("an expired certificate: --check is 1, a run replaces it", { timeout: 20_000 }, async () => {
    const home = temporaryDirectory();
    const old = await createDevelopmentCertificate({ directory: home, now: new Date(Date.now() - 400 * DAY_MS), validDays: 30 });
    expect(old.created).toBe(true);
    expect(checkDevelopmentCertificate(home).status).toBe("expired");
    expect(findDevelopmentCertificate(home)).toBeUndefined();

    const check = await runCli(home, "https", "--check");
    expect(check.code).toBe(1);
    expect(check.stdout).toContain("(expired)");

    const run = await runCli(home, "https");
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("Replacing the expired");
    const fresh = checkDevelopmentCertificate(home);
    expect(fresh.status).toBe("valid");
    expect(fresh.info?.fingerprint256).not.toBe(old.info.fingerprint256);
    expect((await runCli(home, "https", "-c")).code).toBe(0);
  });

  it("createDevelopmentCertificate returns a valid one unchanged (created: false)", { timeout: 20_000 }, async () => {
    const home = temporaryDirectory();
    const first = await createDevelopmentCertificate({ directory: home });
    const second = await createDevelopmentCertificate({ directory: home });
    expect(first.created).toBe(true);
    expect(first.previous).toBe("missing");
    expect(second.created).toBe(false);
    expect(second.previous).toBe("valid");
    expect(second.info.fingerprint256).toBe(first.info.fingerprint256);
    expect(findDevelopmentCertificate(home)).toEqual(second.certificate);
  });

  it("concurrent creators end with one matching certificate and key", { timeout: 20_000 }, async () => {
    const home = temporaryDirectory();
    const results = await Promise.all([1, 2, 3].map(() => runCli(home, "https")));
    for (const result of results) expect(result.code, result.stderr).toBe(0);
    expect(results.filter((result) => result.stdout.includes("generated successfully"))).toHaveLength(1);
    expect(checkDevelopmentCertificate(home).status).toBe("valid");
  });

  it("not yet valid counts as invalid", { timeout: 20_000 }, async () => {
    const home = temporaryDirectory();
    await createDevelopmentCertificate({ directory: home, now: new Date(Date.now() + 10 * DAY_MS) });
    const check = checkDevelopmentCertificate(home);
    expect(check.status).toBe("invalid");
    expect(check.reason).toContain("not valid before");
    const replaced = await createDevelopmentCertificate({ directory: home });
    expect(replaced.created).toBe(true);
    expect(replaced.previous).toBe("invalid");
  });

  describe("with other certificates in place", () => {
    let pki: TestPki;
    beforeAll(async () => {
      pki = await testPki();
    });

    it("a certificate for another name is invalid (subjectAltName)", () => {
      const home = temporaryDirectory();
      writeFileSync(join(home, "localhost.pem"), pki.a.cert);
      writeFileSync(join(home, "localhost.key"), pki.a.key);
      const check = checkDevelopmentCertificate(home);
      expect(check.status).toBe("invalid");
      expect(check.reason).toContain("DNS:localhost");
    });

    it("a key that does not belong to the certificate is invalid (other type, same type)", { timeout: 20_000 }, async () => {
      const home = temporaryDirectory();
      await createDevelopmentCertificate({ directory: home });
      writeFileSync(join(home, "localhost.key"), pki.b.key); // EC key next to the RSA certificate
      const check = checkDevelopmentCertificate(home);
      expect(check.status).toBe("invalid");
      expect(check.reason).toContain("does not belong");
      expect(findDevelopmentCertificate(home)).toBeUndefined();

      const other = temporaryDirectory();
      await createDevelopmentCertificate({ directory: other });
      writeFileSync(join(home, "localhost.key"), readFileSync(join(other, "localhost.key"))); // another RSA key
      expect(checkDevelopmentCertificate(home).status).toBe("invalid");
      const replaced = await createDevelopmentCertificate({ directory: home });
      expect(replaced.previous).toBe("invalid");
      expect(checkDevelopmentCertificate(home).status).toBe("valid");
    });

    it("garbage is invalid, a missing key is missing, and find never throws", () => {
      const home = temporaryDirectory();
      writeFileSync(join(home, "localhost.pem"), "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n");
      expect(checkDevelopmentCertificate(home).status).toBe("missing");
      writeFileSync(join(home, "localhost.key"), "not a key");
      expect(checkDevelopmentCertificate(home).status).toBe("invalid");
      expect(findDevelopmentCertificate(home)).toBeUndefined();
      const aFile = join(home, "localhost.key");
      expect(findDevelopmentCertificate(join(aFile, "below-a-file"))).toBeUndefined();
    });
  });

  it("cleanDevelopmentCertificate reports whether it removed anything", { timeout: 20_000 }, async () => {
    const home = temporaryDirectory();
    expect(cleanDevelopmentCertificate(home)).toBe(false);
    await createDevelopmentCertificate({ directory: home });
    expect(cleanDevelopmentCertificate(home)).toBe(true);
    expect(readdirSync(home)).toEqual([]);
  });
});

describe("exportDevelopmentCertificate (library)", () => {
  it("Pfx without a password loads without a passphrase", { timeout: 20_000 }, async () => {
    const home = temporaryDirectory();
    const out = join(home, "out", "dev.p12");
    const exported = await exportDevelopmentCertificate(out, { directory: home });
    expect(exported.created).toBe(true);
    expect(() => tls.createSecureContext({ pfx: readFileSync(out) })).not.toThrow();
  });

  it("Pem without a password writes a plain key next to the certificate", { timeout: 20_000 }, async () => {
    const home = temporaryDirectory();
    const exported = await exportDevelopmentCertificate(join(home, "cert"), { directory: home, format: "Pem" });
    expect(exported.keyPath).toBe(join(home, "cert.key"));
    expect(readFileSync(join(home, "cert.key"), "utf8")).toContain("-----BEGIN PRIVATE KEY-----");
  });
});

describe("x-dev-certs command line errors", () => {
  const badCommandLines = [
    ["https", "--bogus"],
    ["https", "-p"],
    ["https", "--export-path"],
    ["https", "-ep", "x.pfx", "--format", "Der"],
    ["https", "-ep", "x.pfx", "-np"],
    ["https", "-ep", "x.pem", "--format", "Pem", "-np", "-p", "pw"],
    ["https", "-ep", "x.key", "--format", "Pem", "-np"],
    ["https", "--format", "Pem"],
    ["https", "--clean", "--check"],
    ["https", "--check", "-ep", "x.pfx"],
    ["certs"],
    ["https", "extra"],
    [],
  ];

  it.each(badCommandLines.map((args) => [args.join(" ") || "(nothing)", args]))("%s: usage error", (_, args) => {
    const parsed = parseDevCertsArguments(args as string[]);
    expect(parsed.kind).toBe("usage-error");
  });

  it("the bin exits 2 with the usage on stderr", { timeout: 20_000 }, async () => {
    const home = join(temporaryDirectory(), "never-created");
    for (const args of [["https", "--bogus"], ["https", "-p"], ["https", "-ep", "x.pfx", "--format", "Der"]]) {
      const result = await runCli(home, ...args);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr).toContain("Usage: x-dev-certs https");
      expect(result.stdout).toBe("");
      expectNoStackTrace(result);
    }
    expect(existsSync(home)).toBe(false);
  });

  it("--help exits 0 with the usage on stdout", { timeout: 20_000 }, async () => {
    const result = await runCli(temporaryDirectory(), "--help");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("--export-path");
    expect(result.stderr).toBe("");
  });

  it("an unexpected failure: exit 3, one line on stderr, no stack trace", { timeout: 20_000 }, async () => {
    const dir = temporaryDirectory();
    const aFile = join(dir, "file");
    writeFileSync(aFile, "");
    const result = await runCli(join(aFile, "certs"), "https");
    expect(result.code).toBe(3);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/^x-dev-certs: .*(ENOTDIR|not a directory)/);
    expectNoStackTrace(result);
  });
});

async function ipv6LoopbackReason(): Promise<string | undefined> {
  const server = net.createServer();
  try {
    server.listen(0, "::1");
    await once(server, "listening");
    return undefined;
  } catch (error) {
    return `::1 is not available here (${(error as Error).message})`;
  } finally {
    server.close();
  }
}

interface Verified {
  readonly authorized: boolean;
  readonly checkedHost: string | undefined;
  readonly identityError: Error | undefined;
}

/** Connects with the dev certificate as the only trusted CA; resolves when verification passed. */
async function connectVerified(
  port: number,
  host: string,
  ca: PemCertificate["cert"] | undefined,
  servername?: string,
): Promise<Verified> {
  let checkedHost: string | undefined;
  let identityError: Error | undefined;
  const socket = tls.connect({
    host,
    port,
    servername,
    ca: ca === undefined ? undefined : [ca],
    checkServerIdentity: (hostname, certificate) => {
      checkedHost = hostname;
      identityError = tls.checkServerIdentity(hostname, certificate);
      return identityError;
    },
  });
  try {
    await Promise.race([once(socket, "secureConnect"), new Promise((_, reject) => setTimeout(() => reject(new Error("handshake timed out")), 5_000))]);
    return { authorized: socket.authorized, checkedHost, identityError };
  } finally {
    socket.destroy();
  }
}

describe("real TLS with the development certificate", async () => {
  const ipv6Unavailable = await ipv6LoopbackReason();
  if (ipv6Unavailable !== undefined) process.stderr.write(`dev-certs TLS test: skipping ::1: ${ipv6Unavailable}\n`);

  let certificate: PemCertificate;
  const servers: tls.Server[] = [];

  async function serve(host: string): Promise<number> {
    const server = tls.createServer({ cert: certificate.cert, key: certificate.key }, (socket) => socket.end("hello\n"));
    server.on("tlsClientError", () => {});
    servers.push(server);
    server.listen(0, host);
    await once(server, "listening");
    return (server.address() as net.AddressInfo).port;
  }

  beforeAll(async () => {
    const home = temporaryDirectory();
    await createDevelopmentCertificate({ directory: home });
    certificate = findDevelopmentCertificate(home)!;
    expect(certificate).toBeDefined();
  }, 20_000);

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => new Promise((done) => server.close(done))));
  });

  it("localhost by name (SNI), verified", { timeout: 10_000 }, async () => {
    const port = await serve("127.0.0.1");
    const result = await connectVerified(port, "127.0.0.1", certificate.cert, "localhost");
    expect(result).toEqual({ authorized: true, checkedHost: "localhost", identityError: undefined });
  });

  it("127.0.0.1 by address, verified", { timeout: 10_000 }, async () => {
    const port = await serve("127.0.0.1");
    const result = await connectVerified(port, "127.0.0.1", certificate.cert);
    expect(result).toEqual({ authorized: true, checkedHost: "127.0.0.1", identityError: undefined });
  });

  it.skipIf(ipv6Unavailable !== undefined)("::1 by address, verified", { timeout: 10_000 }, async () => {
    const port = await serve("::1");
    const result = await connectVerified(port, "::1", certificate.cert);
    expect(result).toEqual({ authorized: true, checkedHost: "::1", identityError: undefined });
  });

  it("another name fails the identity check; without the CA the chain fails", { timeout: 10_000 }, async () => {
    const port = await serve("127.0.0.1");
    await expect(connectVerified(port, "127.0.0.1", certificate.cert, "example.test")).rejects.toThrow(/altnames/i);
    await expect(connectVerified(port, "127.0.0.1", undefined, "localhost")).rejects.toThrow(/self[- ]signed/i);
  });
});
