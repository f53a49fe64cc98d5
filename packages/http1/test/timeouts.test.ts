/**
 * Timeouts are heartbeat deadlines (Kestrel's TimeoutControl): a ManualClock
 * moves time and the test ticks the heartbeat by hand, so nothing sleeps.
 */
import type { Socket } from "node:net";
import { ManualClock } from "@x/abstractions";
import { afterEach, describe, expect, it } from "vitest";
import { closeAllServers, deferred, lines, RawClient, startServer, type TestServer } from "./harness.js";

afterEach(closeAllServers);

async function connected(server: TestServer): Promise<{ client: RawClient; serverSocket: Socket }> {
  const before = server.connections.length;
  const client = await RawClient.connect(server.port);
  await server.waitForConnections(before + 1);
  return { client, serverSocket: server.connections.at(-1)!.rawTransport as Socket };
}

describe("keep-alive timeout (Kestrel default 130 s)", () => {
  it("closes a connection that never sends a request, without a response", async () => {
    const clock = new ManualClock();
    const server = await startServer(() => {}, { clock });
    const { client, serverSocket } = await connected(server);
    try {
      clock.advance(129_000);
      server.heartbeat.tick();
      expect(serverSocket.writableEnded).toBe(false);
      clock.advance(2_000);
      server.heartbeat.tick();
      await client.waitForEnd();
      expect(client.received.length).toBe(0);
    } finally {
      client.destroy();
    }
  });

  it("closes an idle keep-alive connection 130 s after its last response", async () => {
    const clock = new ManualClock();
    const server = await startServer((ctx) => ctx.response.end("ok"), { clock });
    const { client, serverSocket } = await connected(server);
    try {
      clock.advance(100_000);
      await client.write(lines("GET / HTTP/1.1", "Host: a", "", ""));
      await client.responses(1);
      const received = client.received.length;
      // The deadline restarts after the response: 100 s + 129 s is not yet idle for 130 s.
      clock.advance(129_000);
      server.heartbeat.tick();
      expect(serverSocket.writableEnded).toBe(false);
      clock.advance(2_000);
      server.heartbeat.tick();
      await client.waitForEnd();
      expect(client.received.length).toBe(received);
    } finally {
      client.destroy();
    }
  });

  it("uses a configured keepAliveTimeout", async () => {
    const clock = new ManualClock();
    const server = await startServer(() => {}, { clock, limits: { keepAliveTimeout: 5_000 } });
    const { client, serverSocket } = await connected(server);
    try {
      // The deadline is one heartbeat interval past the limit (Kestrel's TimeoutControl).
      clock.advance(5_001);
      server.heartbeat.tick();
      expect(serverSocket.writableEnded).toBe(false);
      clock.advance(1_000);
      server.heartbeat.tick();
      await client.waitForEnd();
    } finally {
      client.destroy();
    }
  });
});

describe("request headers timeout (Kestrel default 30 s)", () => {
  it("answers a partial head with 408 and closes", async () => {
    const clock = new ManualClock();
    const server = await startServer(() => {}, { clock });
    const { client, serverSocket } = await connected(server);
    try {
      const partial = "GET / HTTP/1.1\r\nHost: a\r\n";
      await client.write(partial);
      await server.waitForBytesRead(partial.length);
      clock.advance(29_000);
      server.heartbeat.tick();
      expect(serverSocket.writableEnded).toBe(false);
      clock.advance(2_000);
      server.heartbeat.tick();
      await client.waitForEnd();
      const [res] = await client.responses(1);
      expect(res!.statusCode).toBe(408);
      expect(res!.headers.connection).toBe("close");
    } finally {
      client.destroy();
    }
  });

  it("is not reset by more bytes of the same head (a slow-loris drip)", async () => {
    const clock = new ManualClock();
    const server = await startServer(() => {}, { clock });
    const { client } = await connected(server);
    try {
      let sent = 0;
      for (const piece of ["GET / HTTP/1.1\r\n", "Host: a\r\n", "X-1: 1\r\n"]) {
        await client.write(piece);
        sent += piece.length;
        await server.waitForBytesRead(sent);
        clock.advance(10_400);
        server.heartbeat.tick();
      }
      // 31.2 s since the first byte: past 30 s plus the heartbeat interval.
      await client.waitForEnd();
      expect((await client.responses(1))[0]!.statusCode).toBe(408);
    } finally {
      client.destroy();
    }
  });
});

describe("deadlines never fire early (Kestrel's TimeoutControl adds one heartbeat interval)", () => {
  it("does not cut a head that began between ticks before requestHeadersTimeout has really passed", async () => {
    const clock = new ManualClock();
    const server = await startServer(() => {}, { clock, heartbeatAtTicks: true });
    server.heartbeat.tick();
    // 900 ms after the last tick: the heartbeat's `now` is 900 ms behind the real time.
    clock.advance(900);
    const { client, serverSocket } = await connected(server);
    try {
      const partial = "GET / HTTP/1.1\r\nHost: a\r\n";
      await client.write(partial);
      await server.waitForBytesRead(partial.length);
      // A tick 30 s after the last one is only 29.1 s after the head began.
      clock.advance(29_100);
      server.heartbeat.tick();
      expect(serverSocket.writableEnded).toBe(false);
      clock.advance(1_000);
      server.heartbeat.tick();
      await client.waitForEnd();
      expect((await client.responses(1))[0]!.statusCode).toBe(408);
    } finally {
      client.destroy();
    }
  });
});

describe("draining an unread request body (Kestrel: up to 5 s)", () => {
  it("discards the rest of the body and serves the next request on the connection", async () => {
    const seen: string[] = [];
    const server = await startServer(async (ctx) => {
      seen.push(`${ctx.request.method} ${ctx.request.path}`);
      if (ctx.request.method === "GET") await ctx.response.end(`got ${ctx.request.path}`);
      else await ctx.response.end("not reading that");
    });
    const client = await RawClient.connect(server.port);
    try {
      await client.write(lines("POST /upload HTTP/1.1", "Host: a", "Content-Length: 10", "", "0123"));
      const [first] = await client.responses(1);
      expect(first!.body.toString()).toBe("not reading that");
      expect(first!.headers.connection).toBeUndefined();
      await client.write("456789" + lines("GET /next HTTP/1.1", "Host: a", "", ""));
      const responses = await client.responses(2);
      expect(responses[1]!.body.toString()).toBe("got /next");
      expect(seen).toEqual(["POST /upload", "GET /next"]);
      expect(server.connections).toHaveLength(1);
    } finally {
      client.destroy();
    }
  });

  it("drains an unread chunked body too", async () => {
    const server = await startServer(async (ctx) => {
      await ctx.response.end(`path ${ctx.request.path}`);
    });
    const client = await RawClient.connect(server.port);
    try {
      await client.write(lines("POST /a HTTP/1.1", "Host: a", "Transfer-Encoding: chunked", "", "5", "hel"));
      await client.responses(1);
      await client.write(lines("lo", "0", "", "") + lines("GET /b HTTP/1.1", "Host: a", "", ""));
      const responses = await client.responses(2);
      expect(responses[1]!.body.toString()).toBe("path /b");
    } finally {
      client.destroy();
    }
  });

  it("cuts a connection whose unread body keeps coming after 5 s", async () => {
    const clock = new ManualClock();
    const server = await startServer((ctx) => ctx.response.end("early answer"), { clock });
    const { client, serverSocket } = await connected(server);
    try {
      const head = lines("POST / HTTP/1.1", "Host: a", "Content-Length: 100000", "", "");
      await client.write(head + "x".repeat(100));
      await client.responses(1);
      let sent = head.length + 100;
      clock.advance(4_000);
      server.heartbeat.tick();
      await client.write("y".repeat(1000));
      sent += 1000;
      await server.waitForBytesRead(sent);
      expect(serverSocket.destroyed).toBe(false);
      clock.advance(1_001);
      server.heartbeat.tick();
      // 5 s have passed by the tick's time, but the last tick before the drain began may
      // have been up to a second earlier: the deadline waits one more interval.
      expect(serverSocket.destroyed).toBe(false);
      clock.advance(1_000);
      server.heartbeat.tick();
      expect(serverSocket.destroyed).toBe(true);
      await client.waitForEnd();
    } finally {
      client.destroy();
    }
  });

  it("does not drain after the app has read the body", async () => {
    const read = deferred<string>();
    const server = await startServer(async (ctx) => {
      read.resolve(await ctx.request.body.text());
      await ctx.response.end("ok");
    });
    const client = await RawClient.connect(server.port);
    try {
      await client.write(lines("POST / HTTP/1.1", "Host: a", "Content-Length: 3", "", "abc") + lines("GET / HTTP/1.1", "Host: a", "", ""));
      expect(await read.promise).toBe("abc");
      expect((await client.responses(2)).map((r) => r.statusCode)).toEqual([200, 200]);
    } finally {
      client.destroy();
    }
  });
});
