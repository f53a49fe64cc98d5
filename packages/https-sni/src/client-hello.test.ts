import { once } from "node:events";
import * as net from "node:net";
import * as tls from "node:tls";
import { describe, expect, it } from "vitest";
import { ClientHelloError, parseClientHello } from "./client-hello.js";

/** The bytes node:tls sends first, captured by a TCP server that never answers. */
async function captureClientHello(options: tls.ConnectionOptions): Promise<Buffer> {
  const server = net.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as net.AddressInfo).port;
  const received = new Promise<Buffer>((resolve) => {
    server.once("connection", (socket) => {
      const chunks: Buffer[] = [];
      socket.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
        const all = Buffer.concat(chunks);
        // Wait for the whole first record.
        if (all.length >= 5 && all.length >= 5 + all.readUInt16BE(3)) {
          socket.destroy();
          resolve(all);
        }
      });
    });
  });
  const client = tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false, ...options });
  client.on("error", () => {});
  const bytes = await received;
  client.destroy();
  server.close();
  return bytes;
}

describe("parseClientHello", () => {
  it("reads the SNI host name, lower-cased", async () => {
    const hello = await captureClientHello({ servername: "Example.TEST" });
    expect(parseClientHello(hello)).toEqual({ serverName: "example.test" });
  });

  it("reports null when the client sent no server_name extension", async () => {
    const hello = await captureClientHello({});
    expect(parseClientHello(hello)).toEqual({ serverName: null });
  });

  it("consumes nothing and reports nothing for every proper prefix", async () => {
    const hello = await captureClientHello({ servername: "a.test", ALPNProtocols: ["h2", "http/1.1"] });
    for (let i = 0; i < hello.length; i++) expect(parseClientHello(hello.subarray(0, i))).toBeUndefined();
  });

  it("reassembles a ClientHello fragmented over two records (RFC 8446 §5.1)", async () => {
    const hello = await captureClientHello({ servername: "frag.test" });
    const body = hello.subarray(5);
    const split = 40;
    const record = (payload: Buffer) => Buffer.concat([Buffer.from([0x16, 0x03, 0x01, payload.length >> 8, payload.length & 0xff]), payload]);
    const fragmented = Buffer.concat([record(body.subarray(0, split)), record(body.subarray(split))]);
    expect(parseClientHello(fragmented)).toEqual({ serverName: "frag.test" });
    expect(parseClientHello(fragmented.subarray(0, 5 + split + 3))).toBeUndefined();
  });

  it.each([
    ["plain HTTP", Buffer.from("GET / HTTP/1.1\r\n\r\n")],
    ["an alert record", Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28])],
    ["a zero-length record", Buffer.from([0x16, 0x03, 0x01, 0x00, 0x00])],
    ["an oversized record", Buffer.from([0x16, 0x03, 0x01, 0x48, 0x01])],
    ["a ServerHello instead of a ClientHello", Buffer.from([0x16, 0x03, 0x03, 0x00, 0x04, 0x02, 0x00, 0x00, 0x00])],
    ["a ClientHello with lengths that overrun it", Buffer.from([0x16, 0x03, 0x01, 0x00, 0x08, 0x01, 0x00, 0x00, 0x04, 0xff, 0xff, 0xff, 0xff])],
  ])("throws ClientHelloError for %s", (_name, bytes) => {
    expect(() => parseClientHello(bytes)).toThrow(ClientHelloError);
  });

  it("throws only ClientHelloError for random bytes after a valid record header", () => {
    for (let i = 0; i < 500; i++) {
      const length = 4 + Math.floor(Math.random() * 200);
      const payload = Buffer.from(Array.from({ length }, () => Math.floor(Math.random() * 256)));
      payload[0] = 0x01;
      payload.writeUIntBE(length - 4, 1, 3);
      const bytes = Buffer.concat([Buffer.from([0x16, 0x03, 0x01, length >> 8, length & 0xff]), payload]);
      try {
        parseClientHello(bytes);
      } catch (error) {
        expect(error).toBeInstanceOf(ClientHelloError);
      }
    }
  });
});
