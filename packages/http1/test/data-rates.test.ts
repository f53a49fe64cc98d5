/**
 * Slow clients and buffer limits (Kestrel's RequestHeadersTimeout,
 * MinRequestBodyDataRate, MinResponseDataRate, MaxRequestBufferSize and
 * MaxResponseBufferSize). Time moves on a ManualClock and the heartbeat is
 * ticked by hand, one simulated second at a time, as Kestrel's once-a-second
 * heartbeat would; nothing sleeps.
 */
import type { Socket } from "node:net";
import {
  BadHttpRequestError,
  HttpMinRequestBodyDataRateFeature,
  HttpMinResponseDataRateFeature,
  ManualClock,
  type RequestDelegate,
} from "@x/abstractions";
import { afterEach, describe, expect, it } from "vitest";
import { closeAllServers, deferred, lines, RawClient, startServer, type TestServer, waitUntil, within } from "./harness.js";

afterEach(closeAllServers);

async function connected(server: TestServer): Promise<{ client: RawClient; serverSocket: Socket }> {
  const before = server.connections.length;
  const client = await RawClient.connect(server.port);
  await server.waitForConnections(before + 1);
  return { client, serverSocket: server.connections.at(-1)!.rawTransport as Socket };
}

/** One heartbeat a simulated second later. */
function second(server: TestServer, clock: ManualClock): void {
  clock.advance(1_000);
  server.heartbeat.tick();
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Resolves once `socket` holds more than `min` unsent bytes and that number has stopped moving (the peer's window is full). */
async function waitForStalledWrites(socket: Socket, min: number): Promise<void> {
  let last = -1;
  let steady = 0;
  await waitUntil(() => {
    const queued = socket.writableLength;
    steady = queued > min && queued === last ? steady + 1 : 0;
    last = queued;
    return steady >= 20;
  }, "the server's writes to stall");
}

describe("slowloris: a head dripped in one byte at a time", () => {
  it("is cut off with 408 and a close once requestHeadersTimeout (30 s) has passed since its first byte", async () => {
    const clock = new ManualClock();
    let called = false;
    const server = await startServer(
      () => {
        called = true;
      },
      { clock },
    );
    const { client, serverSocket } = await connected(server);
    try {
      const head = lines("GET / HTTP/1.1", "Host: a", `X-Drip: ${"d".repeat(40)}`, "", "");
      let sent = 0;
      // Each byte arrives a second after the last: never idle, yet never a complete head.
      // 30 s plus one heartbeat interval (the deadline's margin).
      while (sent < 30) {
        await client.write(head[sent]!);
        await server.waitForBytesRead(++sent);
        second(server, clock);
      }
      expect(serverSocket.writableEnded).toBe(false);
      while (!serverSocket.writableEnded && sent < head.length - 1) {
        await client.write(head[sent]!);
        await server.waitForBytesRead(++sent);
        second(server, clock);
      }
      expect(sent).toBe(31);
      await client.waitForEnd();
      const [res] = await client.responses(1);
      expect(res!.statusCode).toBe(408);
      expect(res!.headers.connection).toBe("close");
      expect(called).toBe(false);
    } finally {
      client.destroy();
    }
  });
});

describe("minimum request body data rate (Kestrel default: 240 B/s after a 5 s grace period)", () => {
  /** Sends `bytesPerSecond` body bytes each simulated second until the server closes or `seconds` pass; returns the seconds spent. */
  async function drip(server: TestServer, clock: ManualClock, client: RawClient, sentSoFar: number, bytesPerSecond: number, seconds: number): Promise<number> {
    let sent = sentSoFar;
    for (let s = 1; s <= seconds; s++) {
      await client.write("b".repeat(bytesPerSecond));
      sent += bytesPerSecond;
      await server.waitForBytesRead(sent);
      second(server, clock);
      if (client.ended) return s;
      await nextTurn();
      if (client.ended || (server.connections[0]!.rawTransport as Socket).writableEnded) return s;
    }
    return seconds;
  }

  it("fails a 10 B/s upload after the grace period: the app's read rejects with a 408 BadHttpRequestError, the client gets 408 and a close", async () => {
    const clock = new ManualClock();
    const readError = deferred<unknown>();
    const server = await startServer(
      async (ctx) => {
        try {
          await ctx.request.body.text();
        } catch (error) {
          readError.resolve(error);
          throw error;
        }
        await ctx.response.end("read it all");
      },
      { clock },
    );
    const { client } = await connected(server);
    try {
      const head = lines("POST / HTTP/1.1", "Host: a", "Content-Length: 100000", "", "");
      await client.write(head);
      await server.waitForBytesRead(head.length);
      let settled = false;
      readError.promise.then(() => {
        settled = true;
      });
      // Within the grace period nothing is checked.
      const spent = await drip(server, clock, client, head.length, 10, 5);
      expect(spent).toBe(5);
      expect(settled).toBe(false);
      await drip(server, clock, client, head.length + 50, 10, 10);
      const error = await within(readError.promise, "the app's read to fail");
      expect(error).toBeInstanceOf(BadHttpRequestError);
      expect((error as BadHttpRequestError).statusCode).toBe(408);
      await client.waitForEnd();
      const [res] = await client.responses(1);
      expect(res!.statusCode).toBe(408);
      expect(res!.headers.connection).toBe("close");
    } finally {
      client.destroy();
    }
  });

  it("answers 408 even when the app swallows the read error and returns", async () => {
    const clock = new ManualClock();
    const server = await startServer(
      async (ctx) => {
        await ctx.request.body.text().catch(() => "");
      },
      { clock },
    );
    const { client } = await connected(server);
    try {
      const head = lines("POST / HTTP/1.1", "Host: a", "Content-Length: 100000", "", "");
      await client.write(head);
      await server.waitForBytesRead(head.length);
      await drip(server, clock, client, head.length, 10, 15);
      await client.waitForEnd();
      const [res] = await client.responses(1);
      expect(res!.statusCode).toBe(408);
    } finally {
      client.destroy();
    }
  });

  it("does not punish an app that is slow to read a body that has fully arrived", async () => {
    const clock = new ManualClock();
    const gate = deferred();
    const server = await startServer(
      async (ctx) => {
        await gate.promise;
        await ctx.response.end(`read ${(await ctx.request.body.buffer()).length}`);
      },
      { clock },
    );
    const { client } = await connected(server);
    try {
      const request = lines("POST / HTTP/1.1", "Host: a", "Content-Length: 5000", "", "") + "z".repeat(5000);
      await client.write(request);
      await server.waitForBytesRead(request.length);
      for (let s = 0; s < 20; s++) second(server, clock);
      gate.resolve();
      const [res] = await client.responses(1);
      expect(res!.statusCode).toBe(200);
      expect(res!.body.toString()).toBe("read 5000");
    } finally {
      client.destroy();
    }
  });

  it("does not count the time the app spends away from the body against the client", async () => {
    const clock = new ManualClock();
    const gate = deferred();
    const server = await startServer(
      async (ctx) => {
        await gate.promise;
        await ctx.response.end(`read ${(await ctx.request.body.buffer()).length}`);
      },
      { clock },
    );
    const { client } = await connected(server);
    try {
      const head = lines("POST / HTTP/1.1", "Host: a", "Content-Length: 3000", "", "");
      await client.write(head + "a".repeat(1000));
      await server.waitForBytesRead(head.length + 1000);
      // 20 s during which the app is busy elsewhere: 1000 B in 20 s would be far below 240 B/s.
      for (let s = 0; s < 20; s++) second(server, clock);
      gate.resolve();
      await nextTurn();
      // Now the app waits on the client; a few seconds inside the grace period are fine.
      for (let s = 0; s < 3; s++) second(server, clock);
      expect(client.ended).toBe(false);
      await client.write("c".repeat(2000));
      const [res] = await client.responses(1);
      expect(res!.statusCode).toBe(200);
      expect(res!.body.toString()).toBe("read 3000");
    } finally {
      client.destroy();
    }
  });

  it("can be switched off for one request with HttpMinRequestBodyDataRateFeature.minDataRate = null, and applies again to the next", async () => {
    const clock = new ManualClock();
    const server = await startServer(
      async (ctx) => {
        if (ctx.request.path === "/unlimited") ctx.features.get(HttpMinRequestBodyDataRateFeature)!.minDataRate = null;
        const body = await ctx.request.body.buffer();
        await ctx.response.end(`read ${body.length}`);
      },
      { clock },
    );
    const { client } = await connected(server);
    try {
      const head = lines("POST /unlimited HTTP/1.1", "Host: a", "Content-Length: 400", "", "");
      await client.write(head);
      await server.waitForBytesRead(head.length);
      expect(await drip(server, clock, client, head.length, 10, 20)).toBe(20);
      expect(client.ended).toBe(false);
      await client.write("b".repeat(200));
      const [first] = await client.responses(1);
      expect(first!.statusCode).toBe(200);
      expect(first!.body.toString()).toBe("read 400");

      // The next request on the connection gets the server's limit back.
      const next = lines("POST /limited HTTP/1.1", "Host: a", "Content-Length: 100000", "", "");
      await client.write(next);
      const sent = head.length + 400 + next.length;
      await server.waitForBytesRead(sent);
      await drip(server, clock, client, sent, 10, 15);
      await client.waitForEnd();
      const responses = await client.responses(2);
      expect(responses[1]!.statusCode).toBe(408);
    } finally {
      client.destroy();
    }
  });
});

describe("minimum response data rate (Kestrel default: 240 B/s after a 5 s grace period)", () => {
  const TOTAL = 20 * 1024 * 1024;
  const CHUNK = Buffer.alloc(64 * 1024, 0x61);

  /** Writes 20 MB in 64 KiB chunks, awaiting each; records how it ended. */
  function bigWriter(state: { aborted: boolean; done: boolean; written: number }, configure: RequestDelegate = () => {}): RequestDelegate {
    return async (ctx) => {
      await configure(ctx);
      ctx.requestAborted.addEventListener("abort", () => {
        state.aborted = true;
      });
      try {
        while (state.written < TOTAL && !ctx.requestAborted.aborted) {
          await ctx.response.write(CHUNK);
          state.written += CHUNK.length;
        }
      } finally {
        state.done = true;
      }
    };
  }

  it("aborts the connection of a client that never reads the response", async () => {
    const clock = new ManualClock();
    const state = { aborted: false, done: false, written: 0 };
    const server = await startServer(bigWriter(state), { clock });
    const { client, serverSocket } = await connected(server);
    try {
      client.socket.pause();
      await client.write(lines("GET /big HTTP/1.1", "Host: a", "", ""));
      await waitForStalledWrites(serverSocket, 64 * 1024);
      for (let s = 0; s < 5; s++) second(server, clock);
      expect(serverSocket.destroyed).toBe(false);
      for (let s = 0; s < 5 && !serverSocket.destroyed; s++) second(server, clock);
      expect(serverSocket.destroyed).toBe(true);
      await waitUntil(() => state.done, "the app's pending write to settle");
      expect(state.aborted).toBe(true);
      expect(state.written).toBeLessThan(TOTAL);
    } finally {
      client.destroy();
    }
  });

  it("leaves a non-reading client alone when the request set HttpMinResponseDataRateFeature.minDataRate = null", async () => {
    const clock = new ManualClock();
    const state = { aborted: false, done: false, written: 0 };
    const server = await startServer(
      bigWriter(state, (ctx) => {
        ctx.features.get(HttpMinResponseDataRateFeature)!.minDataRate = null;
      }),
      { clock },
    );
    const { client, serverSocket } = await connected(server);
    try {
      client.socket.pause();
      await client.write(lines("GET /big HTTP/1.1", "Host: a", "", ""));
      await waitForStalledWrites(serverSocket, 64 * 1024);
      for (let s = 0; s < 10; s++) second(server, clock);
      expect(serverSocket.destroyed).toBe(false);
      expect(state.aborted).toBe(false);
      expect(state.done).toBe(false);

      // Reading again lets the whole response through.
      client.socket.resume();
      await waitUntil(() => state.done, "the app to finish writing", 10_000);
      expect(state.aborted).toBe(false);
      expect(state.written).toBe(TOTAL);
    } finally {
      client.destroy();
    }
  });
});

describe("maxRequestBufferSize", () => {
  /** Sends a `size`-byte body to an app that reads nothing until `gate` opens; the limit is 64 KiB. */
  async function unreadUpload(size: number) {
    const gate = deferred();
    const server = await startServer(
      async (ctx) => {
        await gate.promise;
        const body = await ctx.request.body.buffer();
        await ctx.response.end(`read ${body.length}`);
      },
      { limits: { maxRequestBufferSize: 64 * 1024 } },
    );
    const { client, serverSocket } = await connected(server);
    const upload = { written: false };
    client.socket.write(lines("POST / HTTP/1.1", "Host: a", `Content-Length: ${size}`, "", ""));
    client.socket.write(Buffer.alloc(size, 0x62), () => {
      upload.written = true;
    });
    await waitUntil(() => serverSocket.isPaused(), "the server to stop reading");
    await nextTurn();
    return { client, serverSocket, upload, open: () => gate.resolve() };
  }

  it("pauses reading while an app leaves a 1 MiB body unread beyond a 64 KiB limit, and resumes when the app reads", async () => {
    const size = 1024 * 1024;
    const { client, serverSocket, upload, open } = await unreadUpload(size);
    try {
      // What the server took in is bounded by the limit plus a read or two; the rest waits in the kernel or the client.
      expect(serverSocket.bytesRead).toBeLessThan(size / 2);
      open();
      const [res] = await client.responses(1);
      expect(res!.body.toString()).toBe(`read ${size}`);
      await waitUntil(() => upload.written, "the client's write to complete");
      expect(serverSocket.isPaused()).toBe(false);
    } finally {
      client.destroy();
    }
  });

  it("holds back a client's write larger than the kernel's buffers until the app reads", async () => {
    // 8 MiB: more than loopback TCP buffers absorb, so the client itself sees the backpressure.
    const size = 8 * 1024 * 1024;
    const { client, serverSocket, upload, open } = await unreadUpload(size);
    try {
      expect(serverSocket.bytesRead).toBeLessThan(1024 * 1024);
      for (let i = 0; i < 20; i++) await nextTurn();
      expect(upload.written).toBe(false);
      expect(client.socket.writableLength).toBeGreaterThan(0);
      open();
      const [res] = await client.responses(1);
      expect(res!.body.toString()).toBe(`read ${size}`);
      await waitUntil(() => upload.written, "the client's write to complete");
    } finally {
      client.destroy();
    }
  });
});

describe("maxResponseBufferSize (Kestrel default 64 KiB)", () => {
  it("keeps write() pending while the client does not read and more than 64 KiB is buffered, and resolves it once the client reads", async () => {
    const TOTAL = 20 * 1024 * 1024;
    const chunk = Buffer.alloc(16 * 1024, 0x63);
    const state = { resolvedWrites: 0, pending: false, done: false };
    const server = await startServer(async (ctx) => {
      for (let sent = 0; sent < TOTAL; sent += chunk.length) {
        state.pending = true;
        await ctx.response.write(chunk);
        state.pending = false;
        state.resolvedWrites++;
      }
      state.done = true;
    });
    const { client, serverSocket } = await connected(server);
    try {
      client.socket.pause();
      await client.write(lines("GET / HTTP/1.1", "Host: a", "", ""));
      await waitForStalledWrites(serverSocket, 64 * 1024);
      expect(state.pending).toBe(true);
      const resolved = state.resolvedWrites;
      for (let i = 0; i < 20; i++) await nextTurn();
      expect(state.pending).toBe(true);
      expect(state.resolvedWrites).toBe(resolved);
      // The server holds no more than the limit plus the one write that crossed it.
      expect(serverSocket.writableLength).toBeLessThanOrEqual(64 * 1024 + chunk.length + 64);

      client.socket.resume();
      await waitUntil(() => state.resolvedWrites > resolved, "the pending write to resolve");
      await waitUntil(() => state.done, "the app to finish writing", 10_000);
      expect(state.resolvedWrites).toBe(TOTAL / chunk.length);
    } finally {
      client.destroy();
    }
  });

  it("never holds write() back when set to null (unlimited)", async () => {
    const TOTAL = 8 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 0x64);
    const done = deferred();
    const server = await startServer(
      async (ctx) => {
        for (let sent = 0; sent < TOTAL; sent += chunk.length) await ctx.response.write(chunk);
        done.resolve();
      },
      { limits: { maxResponseBufferSize: null } },
    );
    const { client, serverSocket } = await connected(server);
    try {
      client.socket.pause();
      await client.write(lines("GET / HTTP/1.1", "Host: a", "", ""));
      await within(done.promise, "the app to write 8 MiB to a client that reads nothing");
      // What the kernel does not take is queued in the server, far past the 64 KiB default.
      await waitUntil(() => serverSocket.writableLength > 256 * 1024, "the server to queue the response");
    } finally {
      client.destroy();
    }
  });
});
