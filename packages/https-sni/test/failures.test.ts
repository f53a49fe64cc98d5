import * as net from "node:net";
import { Duplex } from "node:stream";
import * as tls from "node:tls";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type TestPki, testPki } from "@x/test-pki";
import { connectTls, rawConnection, startServer, type TestServer } from "./helpers.js";
import { ManualHeartbeat } from "./manual-heartbeat.js";

let pki: TestPki;
let server: TestServer | undefined;

beforeAll(async () => {
  pki = await testPki();
});

afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("handshake failures", () => {
  it("closes a client that connects and sends nothing once the handshake timeout passes", async () => {
    server = await startServer({ serverCertificate: pki.a, handshakeTimeout: 200 });
    const result = await rawConnection(server.port, null, 3_000);
    expect(result.closedAfterMs).not.toBeNull();
    expect(result.closedAfterMs!).toBeGreaterThanOrEqual(150);
    await vi.waitFor(() => expect(server!.logs.some((log) => log.reason === "handshake timed out")).toBe(true), { timeout: 2_000 });
  });

  it("closes a silent client on the heartbeat tick after the deadline, with no timer of its own", async () => {
    const heartbeat = new ManualHeartbeat();
    server = await startServer({ serverCertificate: pki.a }, undefined, heartbeat);
    const closed = rawConnection(server.port, null, 5_000);
    await vi.waitFor(() => expect(heartbeat.handlers.size).toBe(1), { timeout: 2_000 });
    // 10 s (the default) plus one heartbeat interval: at 10 s it is still open.
    heartbeat.tick(10_000);
    // Still open: the second connection below would otherwise race a closed server.
    const good = await connectTls(server.port, {});
    expect(good.body?.protocol).toBe("TLSv1.3");
    heartbeat.tick(1_000);
    const result = await closed;
    expect(result.closedAfterMs).not.toBeNull();
    await vi.waitFor(() => expect(server!.logs.some((log) => log.reason === "handshake timed out")).toBe(true), { timeout: 2_000 });
    expect(heartbeat.handlers.size).toBe(0);
  });

  it("closes a client that stalls halfway through its ClientHello", async () => {
    server = await startServer({ serverCertificate: pki.a, handshakeTimeout: 200 });
    // A handshake record header that promises 512 bytes, then nothing.
    const result = await rawConnection(server.port, Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]), 3_000);
    expect(result.closedAfterMs).not.toBeNull();
  });

  it("closes a client that stalls after its ClientHello, and the next handshakes still succeed", async () => {
    server = await startServer({ serverCertificate: pki.a, handshakeTimeout: 200 });
    const raw = net.connect(server.port, "127.0.0.1");
    raw.on("error", () => {});
    await new Promise((resolve) => raw.on("connect", resolve));
    // Forwards the client's first flight (the ClientHello) and drops the rest.
    let flights = 0;
    const gate = new Duplex({
      read() {},
      write(chunk, _encoding, callback) {
        if (flights++ === 0) raw.write(chunk);
        callback();
      },
    });
    raw.on("data", (chunk: Buffer) => gate.push(chunk));
    const closed = new Promise<void>((resolve) => raw.on("close", () => resolve()));
    const client = tls.connect({ socket: gate, rejectUnauthorized: false, maxVersion: "TLSv1.2" });
    client.on("error", () => {});
    await closed;
    client.destroy();
    await vi.waitFor(() => expect(server!.logs.some((log) => log.reason === "handshake timed out")).toBe(true), { timeout: 2_000 });
    const results = await Promise.all(Array.from({ length: 8 }, () => connectTls(server!.port, {})));
    expect(results.map((result) => result.body?.protocol)).toEqual(Array(8).fill("TLSv1.3"));
  });

  it("closes a connection that sends plain HTTP instead of a ClientHello, without answering", async () => {
    server = await startServer({ serverCertificate: pki.a });
    const result = await rawConnection(server.port, Buffer.from("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 3_000);
    expect(result.closedAfterMs).not.toBeNull();
    expect(result.received.length).toBe(0);
    await vi.waitFor(() => expect(server!.logs.some((log) => String(log.reason).includes("Not a TLS handshake record"))).toBe(true), {
      timeout: 2_000,
    });
  });

  it("closes only the connection with a garbage ClientHello while another handshake succeeds", async () => {
    server = await startServer({ serverCertificate: pki.a, handshakeTimeout: 2_000 });
    const garbage = Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x00, 0x08]), Buffer.from([0x01, 0x00, 0x00, 0x04, 0xff, 0xff, 0xff, 0xff])]);
    const [bad, good] = await Promise.all([rawConnection(server.port, garbage, 3_000), connectTls(server.port, { servername: "a.test" })]);
    expect(bad.closedAfterMs).not.toBeNull();
    expect(good.peerCommonName).toBe("a.test");
    expect(good.body?.protocol).toBe("TLSv1.3");
  });

  it("survives a client that resets in the middle of its ClientHello", async () => {
    server = await startServer({ serverCertificate: pki.a });
    await new Promise<void>((resolve) => {
      const socket = net.connect(server!.port, "127.0.0.1");
      socket.on("error", () => {});
      socket.on("connect", () => {
        socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]), () => {
          socket.resetAndDestroy();
          resolve();
        });
      });
    });
    await vi.waitFor(() => expect(server!.logs.length).toBe(1), { timeout: 2_000 });
    const good = await connectTls(server.port, {});
    expect(good.body?.protocol).toBe("TLSv1.3");
  });

  it("passes errors thrown by the next delegate to the caller only after the handshake", async () => {
    const failures: unknown[] = [];
    server = await startServer({ serverCertificate: pki.a }, async (connection) => {
      connection.transport.end("{}\n");
      failures.push("next ran");
    });
    const result = await connectTls(server.port, {});
    expect(result.body).toEqual({});
    expect(failures).toEqual(["next ran"]);
  });

  it("settles at once when the client leaves right after its side of the handshake (half-open transports too)", async () => {
    // A long timeout: the failure must come from the close, not from the deadline.
    server = await startServer({ serverCertificate: pki.a, handshakeTimeout: 60_000 });
    const started = Date.now();
    await new Promise<void>((resolve) => {
      const socket = tls.connect({ host: "127.0.0.1", port: server!.port, servername: "a.test", rejectUnauthorized: false });
      socket.on("secureConnect", () => {
        socket.destroy();
        resolve();
      });
      socket.on("error", () => resolve());
    });
    await vi.waitFor(() => expect(server!.logs.some((log) => log.msg === "TLS handshake failed")).toBe(true), { timeout: 3_000 });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("keeps half-close after the handshake: a client that ends its side still gets the answer", async () => {
    server = await startServer({ serverCertificate: pki.a });
    const answer = await new Promise<string>((resolve) => {
      const socket = tls.connect({ host: "127.0.0.1", port: server!.port, servername: "a.test", rejectUnauthorized: false });
      const chunks: Buffer[] = [];
      socket.on("secureConnect", () => socket.end());
      socket.on("data", (chunk: Buffer) => chunks.push(chunk));
      socket.on("close", () => resolve(Buffer.concat(chunks).toString("utf8")));
      socket.on("error", () => resolve("error"));
    });
    expect(JSON.parse(answer).hostName).toBe("a.test");
  });
});
