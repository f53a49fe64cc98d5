/**
 * The README's example, run for real: the test checks that the code it runs is
 * the README's block (marked `<!-- readme-example -->`), writes test-pki
 * certificates where the example loads them (`certs/default.pfx`, made with
 * openssl, and `certs/api.pem` + `certs/api.key`, in a temp dir), runs it on
 * port 0 against `../src/index.js`, and sends HTTPS requests with and without
 * the SNI name the selector knows.
 */
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testPki } from "@x/test-pki";
import { readmeBlock, runModule, sourceImport, substituteOnce } from "@x/test-support";
import { Agent, request } from "undici";
import { afterAll, describe, expect, it } from "vitest";

const EXAMPLE = `import * as net from "node:net";
import { ConnectionContext, composeConnectionMiddleware } from "@x/abstractions";
import { createHttpsMiddleware, loadCertificate, TlsHandshakeFeature } from "@x/https-sni";

const fallback = loadCertificate({ path: "certs/default.pfx", password: process.env.PFX_PASSWORD });
const api = loadCertificate({ path: "certs/api.pem", keyPath: "certs/api.key" });

const https = createHttpsMiddleware({
  serverCertificate: fallback,
  serverCertificateSelector: (_connection, name) => (name === "api.example.com" ? api : null), // null: use the fallback
  alpnProtocols: ["http/1.1"],
});

// Any protocol handler: here a one-line HTTP/1.1 response.
const pipeline = composeConnectionMiddleware([https], async (connection) => {
  const tls = connection.features.get(TlsHandshakeFeature);
  connection.transport.resume(); // read (and ignore) the request, so the client's close ends the connection
  connection.transport.end(\`HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\nConnection: close\\r\\n\\r\\n\${tls?.protocol === "TLSv1.3" ? "13" : "12"}\`);
});

let id = 0;
net.createServer((socket) => {
  const connection = new ConnectionContext({ id: String(++id), transport: socket, localEndPoint: null, remoteEndPoint: null });
  void pipeline(connection);
}).listen(8443);
`;

const dir = mkdtempSync(join(tmpdir(), "x-https-sni-readme-"));
const savedPassword = process.env.PFX_PASSWORD;
let server: net.Server | undefined;
afterAll(async () => {
  if (server?.listening) await new Promise<void>((resolve) => server!.close(() => resolve()));
  if (savedPassword === undefined) delete process.env.PFX_PASSWORD;
  else process.env.PFX_PASSWORD = savedPassword;
  rmSync(dir, { recursive: true, force: true });
});

/** The PFX the example loads is made with openssl; without it the run is skipped, saying so. */
function hasOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
const opensslAvailable = hasOpenssl();
if (!opensslAvailable) console.warn("openssl is not on PATH: skipping the run of the README example, which needs it to build a PKCS#12 file");

describe("the README example", () => {
  it("is the code this test runs", () => {
    expect(readmeBlock(new URL("../README.md", import.meta.url))).toBe(EXAMPLE);
  });

  it.skipIf(!opensslAvailable)("serves TLS with the selected certificate, or the fallback", async () => {
    const pki = await testPki();
    const certs = join(dir, "certs");
    mkdirSync(certs);
    writeFileSync(join(certs, "api.pem"), pki.a.cert);
    writeFileSync(join(certs, "api.key"), pki.a.key);
    writeFileSync(join(certs, "default.crt"), pki.fallback.cert);
    writeFileSync(join(certs, "default.key"), pki.fallback.key);
    const password = "readme-secret";
    // Args, not a shell; the password is a test constant.
    execFileSync("openssl", ["pkcs12", "-export", "-in", join(certs, "default.crt"), "-inkey", join(certs, "default.key"), "-out", join(certs, "default.pfx"), "-passout", `pass:${password}`]);
    process.env.PFX_PASSWORD = password;

    let code = sourceImport(EXAMPLE, "@x/https-sni", new URL("../src/index.ts", import.meta.url));
    for (const file of ["default.pfx", "api.pem", "api.key"]) code = substituteOnce(code, `"certs/${file}"`, JSON.stringify(join(certs, file)));
    code = substituteOnce(code, "net.createServer(", "export const server = net.createServer(");
    code = substituteOnce(code, ".listen(8443);", '.listen(0, "127.0.0.1");');
    server = (await runModule<{ server: net.Server }>(code, import.meta.url)).server;
    if (!server.listening) await once(server, "listening");
    const { port } = server.address() as net.AddressInfo;

    async function get(servername: string | undefined): Promise<{ text: string; subject: string | undefined }> {
      let subject: string | undefined;
      const dispatcher = new Agent({
        connect: {
          ca: pki.ca.cert,
          ...(servername === undefined ? {} : { servername }),
          // The test certificates are for *.test names: check which one came, not the name.
          checkServerIdentity: (_host, cert) => {
            subject = String(cert.subject.CN);
            return undefined;
          },
        },
      });
      try {
        const res = await request(`https://127.0.0.1:${port}/`, { dispatcher });
        expect(res.statusCode).toBe(200);
        return { text: await res.body.text(), subject };
      } finally {
        await dispatcher.close();
      }
    }

    expect(await get("api.example.com")).toEqual({ text: "13", subject: "a.test" });
    expect(await get("www.example.com")).toEqual({ text: "13", subject: "default.test" });
  });
});
