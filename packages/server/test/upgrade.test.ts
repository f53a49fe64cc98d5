/**
 * Upgraded (opaque) connections at the server level: Kestrel documents that
 * once a connection is upgraded it no longer counts toward
 * MaxConcurrentConnections (MaxConcurrentUpgradedConnections caps it instead).
 */
import { createHash } from "node:crypto";
import { once } from "node:events";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { type HttpContext, HttpUpgradeFeature } from "@x/abstractions";
import { afterEach, describe, expect, it, vi } from "vitest";
import { WebSocket } from "ws";
import { Server, ServerOptions } from "../src/index.js";
import { closed, deferred, portOf, readResponse, readToClose, Resources, within } from "./helpers.js";

const res = new Resources();
const webSockets = new Set<WebSocket>();
afterEach(async () => {
  for (const ws of webSockets) ws.terminate();
  webSockets.clear();
  await res.cleanup();
});

/** RFC 6455 §4.2.2: the accept key is base64(SHA-1(key + this GUID)). */
const WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

type ServerSideWebSocket = WebSocket & {
  setSocket(socket: Duplex, head: Buffer, options: { maxPayload: number; skipUTF8Validation: boolean }): void;
};

/** `/ws` becomes an echoing WebSocket (ws's server-side socket on the upgraded stream); other paths answer `hello <path>`. */
function app(accepted: (ws: WebSocket) => void) {
  return async (ctx: HttpContext): Promise<void> => {
    if (ctx.request.path !== "/ws") {
      await ctx.response.end(`hello ${ctx.request.path}`);
      return;
    }
    const key = ctx.request.headers.get("sec-websocket-key")!;
    ctx.response.headers.set("upgrade", "websocket");
    ctx.response.headers.set("sec-websocket-accept", createHash("sha1").update(key + WEBSOCKET_GUID).digest("base64"));
    const socket = await ctx.features.get(HttpUpgradeFeature)!.upgrade();
    const Server = WebSocket as unknown as new (address: null, protocols: undefined, options: object) => ServerSideWebSocket;
    const ws = new Server(null, undefined, { autoPong: true, closeTimeout: 30_000 });
    ws.setSocket(socket, Buffer.alloc(0), { maxPayload: 100 * 1024 * 1024, skipUTF8Validation: false });
    webSockets.add(ws);
    ws.on("message", (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary }));
    accepted(ws);
  };
}

function send(socket: Socket, path: string): void {
  socket.write(`GET ${path} HTTP/1.1\r\nHost: test\r\n\r\n`);
}

describe("upgraded connections and maxConcurrentConnections", () => {
  it("stop counting once upgraded: a normal connection is served while the WebSocket is open, and the slot is not released twice", async () => {
    const options = new ServerOptions();
    options.limits.maxConcurrentConnections = 1;
    const server = res.server(new Server(options));
    server.options.listen("127.0.0.1", 0);
    const serverSide = deferred<WebSocket>();
    await server.start(app(serverSide.resolve));
    const port = portOf(server.addresses[0]!);

    const client = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    webSockets.add(client);
    client.on("error", () => {});
    await within(3_000, once(client, "open"), "the WebSocket handshake");
    const serverWs = await within(3_000, serverSide.promise, "the server-side WebSocket");

    const http = await res.connect({ host: "127.0.0.1", port });
    send(http, "/plain");
    expect((await readResponse(http)).body).toBe("hello /plain");

    const echoed = within(3_000, once(client, "message"), "the echo");
    client.send("still open");
    expect(String((await echoed)[0])).toBe("still open");
    expect(server.connectionCount).toBe(2);

    // Closing the WebSocket must not give back the slot the HTTP connection holds.
    const serverClosed = within(3_000, once(serverWs, "close"), "the server-side close");
    client.close(1000);
    await serverClosed;
    await vi.waitFor(() => expect(server.connectionCount).toBe(1), { timeout: 3_000 });
    const refused = await res.connect({ host: "127.0.0.1", port });
    expect(await readToClose(refused)).toBe("");

    send(http, "/again");
    expect((await readResponse(http)).body).toBe("hello /again");
    http.end();
    await closed(http);
    await vi.waitFor(() => expect(server.connectionCount).toBe(0), { timeout: 3_000 });
    const next = await res.connect({ host: "127.0.0.1", port });
    send(next, "/next");
    expect((await readResponse(next)).body).toBe("hello /next");
  });
});
