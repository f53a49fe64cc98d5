/**
 * What the TLS endpoint offers and refuses: no client-initiated
 * renegotiation (node:https allows 3 per 10 minutes; a server has no use for
 * any), and, unless the app chooses its own, AEAD suites with forward secrecy
 * only (no CBC, no static RSA key exchange).
 */
import type * as net from "node:net";
import * as tls from "node:tls";
import { type TestPki, testPki } from "@x/test-pki";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_CIPHERS } from "../src/index.js";
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

/** A connection handler that echoes until the client leaves. */
const echo = async (connection: { transport: NodeJS.ReadWriteStream & net.Socket }) => {
  connection.transport.on("data", (chunk: Buffer) => connection.transport.write(chunk));
  await new Promise((resolve) => connection.transport.once("close", resolve));
};

function handshake(port: number, options: tls.ConnectionOptions): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port, servername: "a.test", ca: pki.ca.cert, ...options }, () => resolve(socket));
    socket.once("error", reject);
  });
}

describe("TLS policy", () => {
  it("refuses client-initiated renegotiation on TLS 1.2, and the connection does not go on as if it had been granted", async () => {
    server = await startServer({ serverCertificate: pki.a }, echo as never);
    const socket = await handshake(server.port, { maxVersion: "TLSv1.2" });
    socket.on("error", () => {});
    const outcome = await new Promise<string>((resolve) => {
      // Refused: the server answers no_renegotiation (the client then waits in vain) or closes.
      const timer = setTimeout(() => resolve("no answer"), 1_500);
      const ok = socket.renegotiate({ rejectUnauthorized: false }, (error) => {
        clearTimeout(timer);
        resolve(error === null || error === undefined ? "renegotiated" : "refused");
      });
      if (!ok) resolve("refused");
      socket.once("close", () => resolve("closed"));
    });
    expect(outcome).not.toBe("renegotiated");
    socket.destroy();
    // Others are served as before.
    const next = await handshake(server.port, { maxVersion: "TLSv1.2" });
    next.write("ping");
    const [echoed] = (await new Promise((resolve) => next.once("data", (d) => resolve([d])))) as [Buffer];
    expect(echoed.toString()).toBe("ping");
    next.destroy();
  });

  it("offers AEAD suites with forward secrecy only: a CBC-only or static-RSA-only TLS 1.2 client is refused", async () => {
    server = await startServer({ serverCertificate: pki.a });
    for (const ciphers of ["ECDHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES256-SHA:ECDHE-ECDSA-AES256-SHA", "AES128-GCM-SHA256:AES256-GCM-SHA384"]) {
      const result = await connectTls(server.port, { maxVersion: "TLSv1.2", ciphers, servername: "a.test" });
      expect(result.error, ciphers).not.toBeNull();
      expect(result.body).toBeNull();
    }
    const good = await connectTls(server.port, { maxVersion: "TLSv1.2", ciphers: "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256", servername: "a.test" });
    expect(good.error).toBeNull();
    const tls13 = await connectTls(server.port, { servername: "a.test" });
    expect(tls13.error).toBeNull();
    expect(DEFAULT_CIPHERS.split(":").every((c) => c.startsWith("TLS_") || /GCM|CHACHA20/.test(c))).toBe(true);
  });
});
