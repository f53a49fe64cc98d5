/**
 * A server composed by hand (`@x/transport-sockets` + `@x/http1`) with
 * `createServiceContext` from `@x/abstractions`: its heartbeat fires the
 * connection timeouts and keeps the `Date` header current, as `@x/server`'s does.
 */
import { connect } from "node:net";
import { createServiceContext, ipEndPoint, OptionsValidationError, type OwnedServiceContext, ServerLimits } from "@x/abstractions";
import { type SocketListener, SocketTransportFactory } from "@x/transport-sockets";
import { afterEach, describe, expect, it } from "vitest";
import { processHttp1Connection } from "../src/index.js";

let service: OwnedServiceContext | null = null;
let listener: SocketListener | null = null;

afterEach(async () => {
  await listener?.unbind();
  service?.close();
  listener = null;
  service = null;
});

async function serve(limits: ServerLimits = new ServerLimits()): Promise<number> {
  service = createServiceContext({ limits });
  const services = service;
  listener = await new SocketTransportFactory().bind(ipEndPoint("127.0.0.1", 0), (connection) => {
    void processHttp1Connection(connection, services, (ctx) => ctx.response.end("ok"));
  });
  return listener.endPoint.kind === "ip" ? listener.endPoint.port : 0;
}

/** Writes `data` on a new connection; resolves with everything read until the server closes it, and how long that took. */
function exchange(port: number, data: string, limitMs = 8_000): Promise<{ text: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect({ host: "127.0.0.1", port }, () => socket.write(data));
    let text = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server did not close the connection within ${limitMs} ms; read so far: ${JSON.stringify(text)}`));
    }, limitMs);
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      text += chunk;
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ text, ms: Date.now() - started });
    });
    socket.on("error", () => {});
  });
}

describe("createServiceContext with a hand-composed HTTP/1.1 server", () => {
  it("answers 408 and closes when the request head does not arrive within requestHeadersTimeout", async () => {
    const limits = new ServerLimits();
    limits.requestHeadersTimeout = 1_000;
    const port = await serve(limits);
    const { text, ms } = await exchange(port, "GET / HTTP/1.1\r\nHost: a\r\n");
    expect(text).toMatch(/^HTTP\/1\.1 408 /);
    // Checked on the once-a-second heartbeat: between the timeout and a tick after it.
    expect(ms).toBeGreaterThanOrEqual(900);
  });

  it("closes an idle keep-alive connection after keepAliveTimeout", async () => {
    const limits = new ServerLimits();
    limits.keepAliveTimeout = 1_000;
    const port = await serve(limits);
    const { text, ms } = await exchange(port, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nok$/);
    expect(ms).toBeGreaterThanOrEqual(900);
  });

  it("keeps the Date header current", async () => {
    const port = await serve();
    const date = async () => {
      const { text } = await exchange(port, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
      return /\r\ndate: ([^\r]+)\r\n/i.exec(text)?.[1];
    };
    const first = await date();
    await new Promise((r) => setTimeout(r, 2_100));
    const second = await date();
    expect(first).toBeDefined();
    expect(second).toBeDefined();
    expect(Date.parse(second!) - Date.parse(first!)).toBeGreaterThanOrEqual(1_000);
  });

  it("stops its heartbeat on close(), and refuses invalid limits", async () => {
    const own = createServiceContext();
    own.close();
    const before = own.heartbeat.now;
    await new Promise((r) => setTimeout(r, 1_200));
    expect(own.heartbeat.now).toBe(before);
    const limits = new ServerLimits();
    limits.maxRequestLineSize = -1;
    expect(() => createServiceContext({ limits })).toThrow(OptionsValidationError);
  });
});
