import { PassThrough } from "node:stream";
import { describe, expect, it, vi } from "vitest";
import { ConnectionContext, type ConnectionMiddleware, composeConnectionMiddleware } from "./connection-context.js";
import { ipEndPoint } from "./endpoints.js";

function connection(): ConnectionContext {
  return new ConnectionContext({
    id: "0HTESTCONN0001",
    transport: new PassThrough(),
    localEndPoint: ipEndPoint("127.0.0.1", 5000),
    remoteEndPoint: ipEndPoint("127.0.0.1", 40000),
  });
}

describe("ConnectionContext", () => {
  it("calls the close callback once however many times a close is requested", () => {
    const conn = connection();
    const callback = vi.fn();
    conn.onCloseRequested(callback);
    expect(conn.isCloseRequested).toBe(false);
    conn.requestClose();
    conn.requestClose();
    expect(callback).toHaveBeenCalledTimes(1);
    expect(conn.isCloseRequested).toBe(true);
  });

  it("calls a callback registered after the close was requested at once", () => {
    // Connection middleware (a TLS handshake) may still run when shutdown
    // starts; the protocol handler registers late and must still close.
    const conn = connection();
    conn.requestClose();
    const callback = vi.fn();
    conn.onCloseRequested(callback);
    expect(callback).toHaveBeenCalledTimes(1);
    conn.requestClose();
    expect(callback).toHaveBeenCalledTimes(1);
  });

  it("does nothing on a close request when no handler registered", () => {
    const conn = connection();
    expect(() => conn.requestClose()).not.toThrow();
    expect(conn.isCloseRequested).toBe(true);
  });

  it("resolves closed once the transport closes, and abort destroys both streams", async () => {
    const conn = connection();
    const wrapped = new PassThrough();
    conn.transport = wrapped;
    conn.abort();
    await conn.closed;
    expect(conn.rawTransport.destroyed).toBe(true);
    expect(wrapped.destroyed).toBe(true);
  });

  it("resolves closed at once for a transport that is already destroyed", async () => {
    const transport = new PassThrough();
    transport.destroy();
    const conn = new ConnectionContext({ id: "x", transport, localEndPoint: null, remoteEndPoint: null });
    await expect(conn.closed).resolves.toBeUndefined();
  });
});

describe("composeConnectionMiddleware", () => {
  it("runs middleware in order around the terminal delegate", async () => {
    const order: string[] = [];
    const mw = (name: string): ConnectionMiddleware =>
      async (conn, next) => {
        order.push(`${name}:in`);
        await next(conn);
        order.push(`${name}:out`);
      };
    const pipeline = composeConnectionMiddleware([mw("a"), mw("b"), mw("c")], async () => {
      order.push("terminal");
    });
    await pipeline(connection());
    expect(order).toEqual(["a:in", "b:in", "c:in", "terminal", "c:out", "b:out", "a:out"]);
  });

  it("calls the terminal delegate directly when there is no middleware", async () => {
    const terminal = vi.fn(async () => {});
    const conn = connection();
    await composeConnectionMiddleware([], terminal)(conn);
    expect(terminal).toHaveBeenCalledWith(conn);
  });

  it("lets middleware stop the pipeline before the terminal delegate", async () => {
    const terminal = vi.fn(async () => {});
    const pipeline = composeConnectionMiddleware([async (conn) => conn.abort()], terminal);
    const conn = connection();
    await pipeline(conn);
    expect(terminal).not.toHaveBeenCalled();
    expect(conn.rawTransport.destroyed).toBe(true);
  });
});
