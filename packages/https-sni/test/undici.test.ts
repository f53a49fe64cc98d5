import { Agent, request } from "undici";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { TlsHandshakeFeature } from "../src/tls-handshake-feature.js";
import { type TestPki, testPki } from "@x/test-pki";
import { startServer, type TestServer } from "./helpers.js";

let pki: TestPki;
let server: TestServer | undefined;

beforeAll(async () => {
  pki = await testPki();
});

afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("with a real HTTPS client (undici)", () => {
  it("serves an HTTP/1.1 response over TLS, chosen by SNI and verified against the CA", async () => {
    server = await startServer({ serverCertificateSelector: (_c, name) => (name === "b.test" ? pki.b : null) }, async (connection) => {
      const handshake = connection.features.get(TlsHandshakeFeature);
      const body = `${handshake?.hostName} ${handshake?.protocol} ${handshake?.negotiatedApplicationProtocol}`;
      // Read the request head, then answer; a tiny stand-in for @x/http1.
      connection.transport.once("data", () => {
        connection.transport.end(`HTTP/1.1 200 OK\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      });
    });
    const dispatcher = new Agent({ connect: { ca: pki.ca.cert, servername: "b.test" } });
    try {
      const response = await request(`https://127.0.0.1:${server.port}/`, { dispatcher, headers: { host: "b.test" } });
      expect(response.statusCode).toBe(200);
      expect(await response.body.text()).toBe("b.test TLSv1.3 http/1.1");
    } finally {
      await dispatcher.close();
    }
  });
});
