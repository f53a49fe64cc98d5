/**
 * Opaque upgrades through `HttpUpgradeFeature` (Kestrel's `IHttpUpgradeFeature`):
 * a WebSocket server built from the `ws` package on the handed-over socket,
 * driven by a real `ws` client, plus the refusals around it.
 */
import { createHash } from "node:crypto";
import { once } from "node:events";
import type { Duplex } from "node:stream";
import { type HttpContext, HttpUpgradeFeature, ManualClock } from "@x/abstractions";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { closeAllServers, deferred, lines, RawClient, startServer, waitUntil, within } from "./harness.js";

const sockets = new Set<WebSocket>();
afterEach(async () => {
  for (const ws of sockets) ws.terminate();
  sockets.clear();
  await closeAllServers();
});

/** RFC 6455 §4.2.2: the accept key is base64(SHA-1(key + this GUID)). */
const WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

function acceptKey(key: string): string {
  return createHash("sha1").update(key + WEBSOCKET_GUID).digest("base64");
}

/** `ws` makes a server-side socket from `new WebSocket(null)` and attaches a stream with the private `setSocket` (as its WebSocketServer does). */
type ServerSideWebSocket = WebSocket & {
  setSocket(socket: Duplex, head: Buffer, options: { maxPayload: number; skipUTF8Validation: boolean }): void;
};

/** Answers the handshake through the upgrade feature and speaks WebSocket on the socket it hands over. */
async function acceptWebSocket(ctx: HttpContext): Promise<WebSocket> {
  const feature = ctx.features.get(HttpUpgradeFeature)!;
  expect(feature.isUpgradableRequest).toBe(true);
  const key = ctx.request.headers.get("sec-websocket-key")!;
  ctx.response.headers.set("upgrade", "websocket");
  ctx.response.headers.set("connection", "Upgrade");
  ctx.response.headers.set("sec-websocket-accept", acceptKey(key));
  const socket = await feature.upgrade();
  const Server = WebSocket as unknown as new (address: null, protocols: undefined, options: object) => ServerSideWebSocket;
  const ws = new Server(null, undefined, { autoPong: true, closeTimeout: 30_000 });
  ws.setSocket(socket, Buffer.alloc(0), { maxPayload: 100 * 1024 * 1024, skipUTF8Validation: false });
  sockets.add(ws);
  return ws;
}

/** An app that echoes every message back with its type; the socket it accepted is published through `accepted`. */
function echoServer(accepted: (ws: WebSocket) => void = () => {}) {
  return async (ctx: HttpContext): Promise<void> => {
    const ws = await acceptWebSocket(ctx);
    ws.on("message", (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary }));
    accepted(ws);
  };
}

async function openClient(port: number): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/chat`);
  sockets.add(ws);
  ws.on("error", () => {});
  await within(once(ws, "open"), "the WebSocket handshake");
  return ws;
}

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return within(
    once(ws, "message").then(([data, isBinary]) => ({ data: data as Buffer, isBinary: isBinary as boolean })),
    "a WebSocket message",
  );
}

function closeEvent(ws: WebSocket): Promise<{ code: number; reason: string }> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve({ code: -1, reason: "already closed" });
  return within(
    once(ws, "close").then(([code, reason]) => ({ code: code as number, reason: String(reason) })),
    "the WebSocket close",
  );
}

const upgradeRequest = (key = "dGhlIHNhbXBsZSBub25jZQ=="): string =>
  lines("GET /chat HTTP/1.1", "Host: a", "Upgrade: websocket", "Connection: Upgrade", `Sec-WebSocket-Key: ${key}`, "Sec-WebSocket-Version: 13", "", "");

describe("WebSocket over the upgrade feature, with a real ws client", () => {
  it("echoes text and binary messages, one larger than 64 KiB, and closes cleanly when the client closes", async () => {
    const serverSide = deferred<WebSocket>();
    const server = await startServer(echoServer(serverSide.resolve));
    const client = await openClient(server.port);
    const serverWs = await within(serverSide.promise, "the server-side WebSocket");

    const big = Buffer.alloc(200 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 9)) & 0xff;
    const messages: Array<[Buffer | string, boolean]> = [
      ["hello", false],
      [Buffer.from([0, 1, 2, 255]), true],
      ["ünïcödé ✓", false],
      [big, true],
      ["x".repeat(70 * 1024), false],
    ];
    for (const [payload, binary] of messages) {
      const echoed = nextMessage(client);
      client.send(payload, { binary });
      const { data, isBinary } = await echoed;
      expect(isBinary).toBe(binary);
      expect(Buffer.compare(data, Buffer.isBuffer(payload) ? payload : Buffer.from(payload))).toBe(0);
    }

    const serverClosed = closeEvent(serverWs);
    const clientClosed = closeEvent(client);
    client.close(1000, "done");
    expect(await serverClosed).toEqual({ code: 1000, reason: "done" });
    expect(await clientClosed).toEqual({ code: 1000, reason: "done" });
    await waitUntil(() => server.connections[0]!.rawTransport.destroyed, "the server socket to close");
  });

  it("closes cleanly when the server closes", async () => {
    const serverSide = deferred<WebSocket>();
    const server = await startServer(echoServer(serverSide.resolve));
    const client = await openClient(server.port);
    const serverWs = await within(serverSide.promise, "the server-side WebSocket");

    const echoed = nextMessage(client);
    client.send("before close");
    expect((await echoed).data.toString()).toBe("before close");

    const clientClosed = closeEvent(client);
    const serverClosed = closeEvent(serverWs);
    serverWs.close(1001, "going away");
    expect(await clientClosed).toEqual({ code: 1001, reason: "going away" });
    expect(await serverClosed).toEqual({ code: 1001, reason: "going away" });
    await waitUntil(() => server.connections[0]!.rawTransport.destroyed, "the server socket to close");
  });

  it("stops applying HTTP timeouts once the connection is upgraded", async () => {
    const clock = new ManualClock();
    const server = await startServer(echoServer(), { clock });
    const client = await openClient(server.port);
    // Far past keep-alive (130 s), request headers (30 s) and both data-rate grace periods.
    for (let i = 0; i < 10; i++) {
      clock.advance(60_000);
      server.heartbeat.tick();
    }
    const echoed = nextMessage(client);
    client.send("still here");
    expect((await echoed).data.toString()).toBe("still here");
    expect(server.heartbeat.handlers.size).toBe(0);
  });
});

describe("the upgrade hand-over", () => {
  it("gives the app bytes the client sent right after the upgrade request, in the same write, before later ones", async () => {
    const server = await startServer(async (ctx) => {
      ctx.response.headers.set("upgrade", "echo");
      ctx.response.headers.set("connection", "Upgrade");
      const socket = await ctx.features.get(HttpUpgradeFeature)!.upgrade();
      let received = "";
      socket.on("data", (chunk: Buffer) => {
        received += chunk.toString("latin1");
        if (received.length >= "hello world".length) socket.end(`got:${received}`);
      });
    });
    const client = await RawClient.connect(server.port);
    try {
      await client.write(lines("GET / HTTP/1.1", "Host: a", "Upgrade: echo", "Connection: Upgrade", "", "") + "hello");
      await client.waitFor((c) => c.text.includes("\r\n\r\n"), "the 101 response");
      await client.write(" world");
      await client.waitForEnd();
      const [head, rest] = client.text.split("\r\n\r\n");
      expect(head).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
      expect(head!.toLowerCase()).not.toMatch(/content-length|transfer-encoding/);
      expect(rest).toBe("got:hello world");
    } finally {
      client.destroy();
    }
  });

  it("sends Connection: Upgrade on the 101 even when the app sets only Upgrade (RFC 9110 §7.8)", async () => {
    const server = await startServer(async (ctx) => {
      ctx.response.headers.set("upgrade", "websocket");
      ctx.response.headers.set("sec-websocket-accept", acceptKey(ctx.request.headers.get("sec-websocket-key")!));
      const socket = await ctx.features.get(HttpUpgradeFeature)!.upgrade();
      socket.end();
    });
    const client = await RawClient.connect(server.port);
    try {
      await client.write(upgradeRequest());
      await client.waitForEnd();
      const head = client.text.split("\r\n\r\n")[0]!;
      expect(head).toMatch(/^HTTP\/1\.1 101 /);
      expect(head).toMatch(/\r\nconnection: upgrade(\r\n|$)/i);
      expect(head).toContain("\r\nupgrade: websocket");
      expect(head).toContain(`\r\nsec-websocket-accept: ${acceptKey("dGhlIHNhbXBsZSBub25jZQ==")}`);
    } finally {
      client.destroy();
    }
  });

  it("runs OnStarting callbacks before the 101 goes out, as for any response head", async () => {
    const seenStatus = deferred<number>();
    const server = await startServer(async (ctx) => {
      ctx.response.onStarting(() => {
        seenStatus.resolve(ctx.response.statusCode);
        ctx.response.headers.set("x-on-starting", "ran");
      });
      ctx.response.headers.set("upgrade", "echo");
      const socket = await ctx.features.get(HttpUpgradeFeature)!.upgrade();
      socket.end("switched");
    });
    const client = await RawClient.connect(server.port);
    try {
      await client.write(lines("GET / HTTP/1.1", "Host: a", "Upgrade: echo", "Connection: Upgrade", "", ""));
      await client.waitForEnd();
      const [head, rest] = client.text.split("\r\n\r\n");
      expect(head).toMatch(/^HTTP\/1\.1 101 /);
      expect(head).toContain("\r\nx-on-starting: ran");
      expect(rest).toBe("switched");
      expect(await within(seenStatus.promise, "the OnStarting callback")).toBe(101);
    } finally {
      client.destroy();
    }
  });

  it("rejects a second call to upgrade(), even one made while the first is still under way", async () => {
    const codes = deferred<Array<string | undefined>>();
    const server = await startServer(async (ctx) => {
      const feature = ctx.features.get(HttpUpgradeFeature)!;
      ctx.response.onStarting(() => Promise.resolve());
      ctx.response.headers.set("upgrade", "echo");
      const first = feature.upgrade();
      const concurrent = await feature.upgrade().then(
        () => undefined,
        (e: unknown) => (e as { code?: string }).code,
      );
      const socket = await first;
      const after = await feature.upgrade().then(
        () => undefined,
        (e: unknown) => (e as { code?: string }).code,
      );
      codes.resolve([concurrent, after]);
      socket.end("switched once");
    });
    const client = await RawClient.connect(server.port);
    try {
      await client.write(lines("GET / HTTP/1.1", "Host: a", "Upgrade: echo", "Connection: Upgrade", "", ""));
      await client.waitForEnd();
      expect(client.text.match(/HTTP\/1\.1 101 /g)).toHaveLength(1);
      expect(client.text.endsWith("\r\n\r\nswitched once")).toBe(true);
      expect(await within(codes.promise, "the app")).toEqual(["ERR_X_HTTP_ALREADY_UPGRADED", "ERR_X_HTTP_ALREADY_UPGRADED"]);
    } finally {
      client.destroy();
    }
  });

  it("rejects upgrade() once the response has started", async () => {
    const code = deferred<string | undefined>();
    const server = await startServer(async (ctx) => {
      await ctx.response.start();
      const error = await ctx.features.get(HttpUpgradeFeature)!.upgrade().then(
        () => null,
        (e: unknown) => e as { code?: string },
      );
      code.resolve(error?.code);
      await ctx.response.end("no switch");
    });
    const client = await RawClient.connect(server.port);
    try {
      await client.write(upgradeRequest());
      const [res] = await client.responses(1);
      expect(res!.statusCode).toBe(200);
      expect(res!.body.toString()).toBe("no switch");
      expect(await within(code.promise, "the app")).toBe("ERR_X_HTTP_RESPONSE_STARTED");
    } finally {
      client.destroy();
    }
  });
});

describe("requests that cannot be upgraded", () => {
  async function probe(request: string): Promise<{ upgradable: boolean; code: string | undefined; status: number }> {
    const seen = deferred<{ upgradable: boolean; code: string | undefined }>();
    const server = await startServer(async (ctx) => {
      const feature = ctx.features.get(HttpUpgradeFeature)!;
      const upgradable = feature.isUpgradableRequest;
      const error = await feature.upgrade().then(
        () => null,
        (e: unknown) => e as { code?: string },
      );
      seen.resolve({ upgradable, code: error?.code });
      await ctx.response.end("plain");
    });
    const client = await RawClient.connect(server.port);
    try {
      await client.write(request);
      const [res] = await client.responses(1);
      return { ...(await within(seen.promise, "the app")), status: res!.statusCode };
    } finally {
      client.destroy();
    }
  }

  it("reports a plain GET as not upgradable and rejects upgrade() with ERR_X_HTTP_NOT_UPGRADABLE", async () => {
    expect(await probe(lines("GET / HTTP/1.1", "Host: a", "", ""))).toEqual({ upgradable: false, code: "ERR_X_HTTP_NOT_UPGRADABLE", status: 200 });
  });

  it("does not treat Upgrade: h2c as an upgradable request", async () => {
    const request = lines("GET / HTTP/1.1", "Host: a", "Upgrade: h2c", "Connection: Upgrade, HTTP2-Settings", "HTTP2-Settings: AAMAAABkAAQAAP__", "", "");
    expect(await probe(request)).toEqual({ upgradable: false, code: "ERR_X_HTTP_NOT_UPGRADABLE", status: 200 });
  });

  it("does not treat an Upgrade header without Connection: Upgrade as upgradable", async () => {
    expect(await probe(lines("GET / HTTP/1.1", "Host: a", "Upgrade: websocket", "", ""))).toEqual({
      upgradable: false,
      code: "ERR_X_HTTP_NOT_UPGRADABLE",
      status: 200,
    });
  });

  it("ignores Upgrade on an HTTP/1.0 request (RFC 9110 §7.8: a server MUST ignore it)", async () => {
    expect(await probe(lines("GET / HTTP/1.0", "Upgrade: echo", "Connection: Upgrade", "", ""))).toEqual({
      upgradable: false,
      code: "ERR_X_HTTP_NOT_UPGRADABLE",
      status: 200,
    });
  });

  it("still upgrades a request with Content-Length: 0", async () => {
    const server = await startServer(async (ctx) => {
      const socket = await ctx.features.get(HttpUpgradeFeature)!.upgrade();
      socket.end("switched");
    });
    const client = await RawClient.connect(server.port);
    try {
      await client.write(lines("POST / HTTP/1.1", "Host: a", "Upgrade: echo", "Connection: Upgrade", "Content-Length: 0", "", ""));
      await client.waitForEnd();
      expect(client.text).toMatch(/^HTTP\/1\.1 101 [\s\S]*\r\n\r\nswitched$/);
    } finally {
      client.destroy();
    }
  });

  it.each([
    ["Content-Length: 5", "hello"],
    ["Transfer-Encoding: chunked", lines("5", "hello", "0", "", "")],
  ])("answers 400 and closes for an upgrade request with a body (%s), without calling the app", async (framing, body) => {
    let called = false;
    const server = await startServer(() => {
      called = true;
    });
    const client = await RawClient.connect(server.port);
    try {
      await client.write(lines("POST / HTTP/1.1", "Host: a", "Upgrade: echo", "Connection: Upgrade", framing, "", body));
      await client.waitForEnd();
      const [res] = await client.responses(1);
      expect(res!.statusCode).toBe(400);
      expect(res!.headers.connection).toBe("close");
      expect(called).toBe(false);
    } finally {
      client.destroy();
    }
  });
});

describe("maxConcurrentUpgradedConnections", () => {
  it("refuses a second upgrade with ERR_X_HTTP_UPGRADE_LIMIT while the first is open, and allows one after it closes", async () => {
    const accepted: WebSocket[] = [];
    const refusals: Array<string | undefined> = [];
    const server = await startServer(
      async (ctx) => {
        let ws: WebSocket;
        try {
          ws = await acceptWebSocket(ctx);
        } catch (error) {
          refusals.push((error as { code?: string }).code);
          ctx.response.statusCode = 503;
          await ctx.response.end("too many");
          return;
        }
        ws.on("message", (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary }));
        accepted.push(ws);
      },
      { limits: { maxConcurrentUpgradedConnections: 1 } },
    );
    const first = await openClient(server.port);

    const second = new WebSocket(`ws://127.0.0.1:${server.port}/chat`);
    sockets.add(second);
    second.on("error", () => {});
    const [, refused] = await within(once(second, "unexpected-response"), "the refused handshake");
    expect((refused as { statusCode: number }).statusCode).toBe(503);
    expect(refusals).toEqual(["ERR_X_HTTP_UPGRADE_LIMIT"]);

    // The first is untouched.
    const echoed = nextMessage(first);
    first.send("first still works");
    expect((await echoed).data.toString()).toBe("first still works");

    const serverClosed = closeEvent(accepted[0]!);
    first.close(1000);
    await serverClosed;
    const third = await openClient(server.port);
    const echoedThird = nextMessage(third);
    third.send("third");
    expect((await echoedThird).data.toString()).toBe("third");
    expect(refusals).toHaveLength(1);
  });
});
