import type { Logger, LoggerFactory } from "@x/abstractions";
import { afterEach, describe, expect, it, vi } from "vitest";
import { closeAllServers, deferred, lines, RawClient, rawRequest, startServer, waitUntil, within } from "./harness.js";

afterEach(closeAllServers);

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function recordingLoggerFactory(): { factory: LoggerFactory; error: ReturnType<typeof vi.fn> } {
  const error = vi.fn();
  const logger: Logger = {
    trace: vi.fn(),
    debug: vi.fn(),
    info: vi.fn(),
    warn: vi.fn(),
    error,
    fatal: vi.fn(),
    isLevelEnabled: () => true,
    child: () => logger,
  };
  return { factory: { createLogger: () => logger }, error };
}

describe("malformed requests", () => {
  it("get 400 with Connection: close on their own connection while another client is served normally", async () => {
    const server = await startServer(async (ctx) => {
      await ctx.response.end(`ok ${ctx.request.path}`);
    });
    const good = await RawClient.connect(server.port);
    try {
      await good.write(lines("GET /before HTTP/1.1", "Host: a", "", ""));
      expect((await good.responses(1))[0]!.body.toString()).toBe("ok /before");

      const bad = await rawRequest(server.port, lines("GET / HTTP/1.1", "Host: a", "Bad Header: x", "", ""));
      expect(bad.closed).toBe(true);
      expect(bad.responses).toHaveLength(1);
      expect(bad.responses[0]!.statusCode).toBe(400);
      expect(bad.responses[0]!.headers.connection).toBe("close");
      expect(bad.responses[0]!.headers["content-length"]).toBe("0");

      await good.write(lines("GET /after HTTP/1.1", "Host: a", "", ""));
      const responses = await good.responses(2);
      expect(responses[1]!.body.toString()).toBe("ok /after");
      expect(good.ended).toBe(false);
    } finally {
      good.destroy();
    }
  });

  it("ignores whatever the client sends after the bad request", async () => {
    const app = vi.fn((ctx: { response: { end(s: string): Promise<void> } }) => ctx.response.end("should not run"));
    const server = await startServer(app);
    const result = await rawRequest(server.port, "GET / HTTP/1.1\nHost: a\n\n" + lines("GET /smuggled HTTP/1.1", "Host: a", "", ""));
    expect(result.responses.map((r) => r.statusCode)).toEqual([400]);
    expect(result.closed).toBe(true);
    expect(app).not.toHaveBeenCalled();
  });
});

describe("application failures", () => {
  it("answer 500 with Content-Length 0 when the app throws before the response starts, and keep the connection", async () => {
    const { factory, error } = recordingLoggerFactory();
    const server = await startServer(
      async (ctx) => {
        if (ctx.request.path === "/sync") throw new Error("boom");
        if (ctx.request.path === "/async") {
          await nextTurn();
          throw new Error("later boom");
        }
        ctx.response.headers.set("x-ignored", "1");
        await ctx.response.end("fine");
      },
      { loggerFactory: factory },
    );
    const client = await RawClient.connect(server.port);
    try {
      await client.write(lines("GET /sync HTTP/1.1", "Host: a", "", ""));
      await client.write(lines("GET /async HTTP/1.1", "Host: a", "", ""));
      await client.write(lines("GET /ok HTTP/1.1", "Host: a", "", ""));
      const [sync, async_, ok] = await client.responses(3);
      for (const res of [sync!, async_!]) {
        expect(res.statusCode).toBe(500);
        expect(res.headers["content-length"]).toBe("0");
        expect(res.headers.connection).toBeUndefined();
      }
      expect(ok!.body.toString()).toBe("fine");
      expect(server.connections).toHaveLength(1);
      expect(error).toHaveBeenCalledTimes(2);
    } finally {
      client.destroy();
    }
  });

  it("drops headers the app set before it threw", async () => {
    const server = await startServer((ctx) => {
      ctx.response.headers.set("x-secret", "leak");
      ctx.response.statusCode = 201;
      throw new Error("boom");
    });
    const [res] = (await rawRequest(server.port, lines("GET / HTTP/1.1", "Host: a", "", ""), { responses: 1 })).responses;
    expect(res!.statusCode).toBe(500);
    expect(res!.headers["x-secret"]).toBeUndefined();
  });

  it("abort the connection without the last chunk when the app throws after a flushed chunked write", async () => {
    const server = await startServer(async (ctx) => {
      await ctx.response.write("partial");
      await new Promise((resolve) => setTimeout(resolve, 10));
      throw new Error("mid-body failure");
    });
    const result = await rawRequest(server.port, lines("GET / HTTP/1.1", "Host: a", "", ""));
    expect(result.closed).toBe(true);
    expect(result.text).toContain("transfer-encoding: chunked\r\n");
    expect(result.text).toContain("\r\n\r\n7\r\npartial\r\n");
    expect(result.text.endsWith("0\r\n\r\n")).toBe(false);
    // Incomplete: the parser finds no complete response.
    expect(result.responses).toHaveLength(0);
  });
});

describe("clients that go away", () => {
  it("fire requestAborted when the client resets the connection mid-request, and the server keeps serving", async () => {
    const started = deferred();
    const aborted = deferred<unknown>();
    const server = await startServer(async (ctx) => {
      if (ctx.request.path !== "/slow") {
        await ctx.response.end("alive");
        return;
      }
      const signal = ctx.requestAborted;
      signal.addEventListener("abort", () => aborted.resolve(signal.reason));
      started.resolve();
      await aborted.promise;
      // Writing to a dead connection is not an error the app has to handle.
      await ctx.response.write("too late");
    });
    const client = await RawClient.connect(server.port);
    await client.write(lines("GET /slow HTTP/1.1", "Host: a", "", ""));
    await within(started.promise, "the app to start");
    client.socket.resetAndDestroy();
    const reason = await within(aborted.promise, "requestAborted");
    expect(reason).toMatchObject({ code: "ERR_X_CONNECTION_ABORTED" });

    const next = await rawRequest(server.port, lines("GET / HTTP/1.1", "Host: a", "", ""), { responses: 1 });
    expect(next.responses[0]!.body.toString()).toBe("alive");
  });

  it("fire requestAborted for an app streaming a large response when the client disconnects", async () => {
    const done = deferred<number>();
    const server = await startServer(async (ctx) => {
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      let writes = 0;
      // Bounded: the client leaves long before 2,000 chunks (128 MiB).
      while (!ctx.requestAborted.aborted && writes < 2_000) {
        await ctx.response.write(chunk);
        writes++;
      }
      done.resolve(writes);
    });
    const client = await RawClient.connect(server.port);
    await client.write(lines("GET / HTTP/1.1", "Host: a", "", ""));
    await client.waitFor((c) => c.received.length > 100_000, "some of the body");
    client.destroy();
    const writes = await within(done.promise, "the app to notice the disconnect");
    expect(writes).toBeLessThan(2_000);
  });

  it("fires requestAborted on the client's FIN, as Kestrel does, yet still sends what the app writes", async () => {
    // Sockets are allowHalfOpen (docs/architecture.md): the FIN tells the app the client went
    // away (an event stream can stop), and a response the app still writes goes out with
    // Connection: close to a client that only half-closed.
    const finSeen = deferred();
    let abortedAtFin = false;
    const server = await startServer(async (ctx) => {
      const signal = ctx.requestAborted;
      await finSeen.promise;
      await waitUntil(() => signal.aborted, "requestAborted to fire");
      abortedAtFin = true;
      await ctx.response.end("still here");
    });
    const client = await RawClient.connect(server.port);
    try {
      client.socket.end(lines("GET / HTTP/1.1", "Host: a", "", ""));
      await server.waitForConnections(1);
      await waitUntil(() => server.connections[0]!.rawTransport.readableEnded, "the server to see the FIN");
      finSeen.resolve();
      await client.waitForEnd();
      const [res] = await client.responses(1);
      expect(abortedAtFin).toBe(true);
      expect(res!.body.toString()).toBe("still here");
      expect(res!.headers.connection).toBe("close");
    } finally {
      client.destroy();
    }
  });

  it("answers 400 and closes when the client's FIN cuts a request head short (Kestrel)", async () => {
    let called = false;
    const server = await startServer(async (ctx) => {
      called = true;
      await ctx.response.end("no");
    });
    const client = await RawClient.connect(server.port);
    try {
      client.socket.end("GET / HTTP/1.1\r\nHost: a\r\nX-Partial: ");
      await client.waitForEnd();
      const [res] = await client.responses(1);
      expect(res!.statusCode).toBe(400);
      expect(res!.headers.connection).toBe("close");
      expect(called).toBe(false);
    } finally {
      client.destroy();
    }
  });

  it("answers every pipelined request a client sent before half-closing, then closes", async () => {
    const server = await startServer(async (ctx) => {
      await ctx.response.end(ctx.request.path);
    });
    const client = await RawClient.connect(server.port);
    try {
      client.socket.end(lines("GET /1 HTTP/1.1", "Host: a", "", "GET /2 HTTP/1.1", "Host: a", "", "GET /3 HTTP/1.1", "Host: a", "", ""));
      await client.waitForEnd();
      const responses = await client.responses(3);
      expect(responses.map((r) => r.body.toString())).toEqual(["/1", "/2", "/3"]);
      // The server ends the connection once the buffered requests are answered (waitForEnd above).
      expect(responses[0]!.headers.connection).toBeUndefined();
    } finally {
      client.destroy();
    }
  });

  it("fail the app's body read with a 400 when the client ends mid-body", async () => {
    const failure = deferred<unknown>();
    const server = await startServer(async (ctx) => {
      try {
        await ctx.request.body.text();
      } catch (error) {
        failure.resolve(error);
        throw error;
      }
    });
    const result = await rawRequest(server.port, lines("POST / HTTP/1.1", "Host: a", "Content-Length: 10", "", "abc"), { endAfterWrite: true });
    expect(await within(failure.promise, "the read to fail")).toMatchObject({ statusCode: 400, reason: "UnexpectedEndOfRequestContent" });
    expect(result.responses[0]!.statusCode).toBe(400);
    expect(result.closed).toBe(true);
  });
});
