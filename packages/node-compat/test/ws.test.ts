/**
 * `ws` 8 on createServer, both ways it attaches: `new WebSocketServer({ server })`
 * (its own 'upgrade' listener) and `noServer` with `handleUpgrade`. Text,
 * binary and 1 MB messages, many sockets at once, ordinary requests beside
 * them, and Kestrel's `maxConcurrentUpgradedConnections`.
 */
import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import { type CompatServer, createServer, type CreateServerOptions } from "../src/index.js";
import { pattern } from "./support/express-app.js";

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Terminates a client that may never have opened (terminate() then emits 'error'). */
function quietly(ws: WebSocket): void {
  ws.on("error", () => {});
  ws.terminate();
}

async function listen(server: CompatServer): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  return `ws://127.0.0.1:${(server.address() as { port: number }).port}`;
}

type Message = { data: Buffer; isBinary: boolean };
const inboxes = new WeakMap<WebSocket, { queue: Message[]; waiting: ((m: Message) => void)[] }>();

/** Opens a client whose messages queue from the start (a greeting can come in the same read as the 101). */
async function open(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  cleanups.push(() => ws.terminate());
  const inbox = { queue: [] as Message[], waiting: [] as ((m: Message) => void)[] };
  inboxes.set(ws, inbox);
  ws.on("message", (data, isBinary) => {
    const message = { data: data as Buffer, isBinary };
    const waiter = inbox.waiting.shift();
    if (waiter !== undefined) waiter(message);
    else inbox.queue.push(message);
  });
  await once(ws, "open");
  return ws;
}

function echoServer(options: CreateServerOptions = {}): { server: CompatServer; wss: WebSocketServer } {
  const server = createServer(options, (_req, res) => res.end("plain http"));
  const wss = new WebSocketServer({ server });
  wss.on("connection", (ws, req) => {
    ws.send(`hello ${req.url}`);
    ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  cleanups.push(() => new Promise((resolve) => wss.close(resolve)));
  return { server, wss };
}

function nextMessage(ws: WebSocket): Promise<Message> {
  const inbox = inboxes.get(ws)!;
  const queued = inbox.queue.shift();
  if (queued !== undefined) return Promise.resolve(queued);
  return new Promise((resolve) => inbox.waiting.push(resolve));
}

describe("ws on createServer", () => {
  it("echoes text, binary and a 1 MB message through new WebSocketServer({ server })", async () => {
    const { server } = echoServer();
    const url = await listen(server);
    const ws = await open(`${url}/chat?room=1`);
    expect((await nextMessage(ws)).data.toString()).toBe("hello /chat?room=1");
    ws.send("text");
    const text = await nextMessage(ws);
    expect([text.data.toString(), text.isBinary]).toEqual(["text", false]);
    const big = pattern(1024 * 1024);
    ws.send(big);
    const binary = await nextMessage(ws);
    expect(binary.isBinary).toBe(true);
    expect(binary.data.equals(big)).toBe(true);
    const res = await fetch(url.replace("ws", "http"));
    expect(await res.text()).toBe("plain http");
    const closed = once(ws, "close");
    ws.close(1000, "bye");
    const [code] = await closed;
    expect(code).toBe(1000);
  });

  it("serves 50 sockets at once, each its own messages", async () => {
    const { server } = echoServer();
    const url = await listen(server);
    const sockets = await Promise.all(Array.from({ length: 50 }, (_, i) => open(`${url}/${i}`)));
    const greetings = await Promise.all(sockets.map((ws) => nextMessage(ws)));
    expect(greetings.map((g) => g.data.toString())).toEqual(sockets.map((_, i) => `hello /${i}`));
    const replies = sockets.map((ws) => nextMessage(ws));
    for (const [i, ws] of sockets.entries()) ws.send(`message ${i}`);
    expect((await Promise.all(replies)).map((r) => r.data.toString())).toEqual(sockets.map((_, i) => `message ${i}`));
  });

  it("refuses a handshake ws rejects (bad Sec-WebSocket-Version) with ws's own 400", async () => {
    const { server } = echoServer();
    const url = await listen(server);
    const res = await new Promise<string>((resolve, reject) => {
      import("node:net").then(({ connect }) => {
        const socket = connect(Number(new URL(url).port), "127.0.0.1", () =>
          socket.write("GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 99\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"),
        );
        let text = "";
        socket.on("data", (c) => (text += c));
        socket.on("close", () => resolve(text));
        socket.on("error", reject);
        setTimeout(() => socket.destroy(), 3_000);
      });
    });
    expect(res).toMatch(/^HTTP\/1\.1 400 /);
  });

  it("serves noServer + handleUpgrade from the 'upgrade' event", async () => {
    const server = createServer((_req, res) => res.end("plain"));
    const wss = new WebSocketServer({ noServer: true });
    cleanups.push(() => new Promise((resolve) => wss.close(resolve)));
    wss.on("connection", (ws) => ws.on("message", (data) => ws.send(`got ${String(data)}`)));
    server.on("upgrade", (req, socket, head) => {
      if (req.url !== "/ws") {
        socket.end("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
    });
    const url = await listen(server);
    const ws = await open(`${url}/ws`);
    ws.send("x");
    expect((await nextMessage(ws)).data.toString()).toBe("got x");
    const refused = new WebSocket(`${url}/other`);
    cleanups.push(() => quietly(refused));
    const [, response] = (await once(refused, "unexpected-response")) as [unknown, { statusCode: number }];
    expect(response.statusCode).toBe(404);
  });

  it("refuses upgrades past maxConcurrentUpgradedConnections and frees the slot when a socket closes", async () => {
    const { server } = echoServer({ limits: { maxConcurrentUpgradedConnections: 1 } });
    const url = await listen(server);
    const first = await open(url);
    await nextMessage(first);
    const second = new WebSocket(url);
    cleanups.push(() => quietly(second));
    const [, response] = (await once(second, "unexpected-response")) as [unknown, { statusCode: number }];
    // Kestrel fails UpgradeAsync once the limit is reached; the request then gets the server's 500.
    expect(response.statusCode).toBe(500);
    const closed = once(first, "close");
    first.close();
    await closed;
    let third: WebSocket | undefined;
    for (let attempt = 0; attempt < 50 && third === undefined; attempt++) {
      await new Promise((r) => setTimeout(r, 20));
      third = await open(url).catch(() => undefined);
    }
    expect(third).toBeDefined();
  });
});
