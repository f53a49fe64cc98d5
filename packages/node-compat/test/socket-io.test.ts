/**
 * socket.io on createServer: it attaches to the server's 'request' and
 * 'upgrade' events as it does to node:http's, serves its client script,
 * long-polling and the WebSocket upgrade.
 */
import { Server as SocketIoServer } from "socket.io";
import { io as connectClient, type Socket as ClientSocket } from "socket.io-client";
import { afterEach, describe, expect, it } from "vitest";
import { type CompatServer, createServer } from "../src/index.js";

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(): Promise<{ server: CompatServer; io: SocketIoServer; url: string }> {
  const server = createServer((_req, res) => res.end("not socket.io"));
  // No cast: a CompatServer fits socket.io's (and ws's, Fastify's) http.Server type.
  const io = new SocketIoServer(server);
  io.on("connection", (socket) => {
    socket.on("ping-me", (text: string, ack: (reply: string) => void) => ack(`pong ${text}`));
    socket.emit("welcome", socket.conn.transport.name);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise((resolve) => io.close(() => resolve(undefined))));
  const { port } = server.address() as { port: number };
  return { server, io, url: `http://127.0.0.1:${port}` };
}

/** The first arguments of the client's next `event` (socket.io-client's emitter is not node's). */
function next(client: ClientSocket, event: string): Promise<unknown[]> {
  return new Promise((resolve) => client.once(event, (...args: unknown[]) => resolve(args)));
}

describe("socket.io on createServer", () => {
  it.each(["websocket", "polling"] as const)("connects over %s, emits and acknowledges", async (transport) => {
    const { url } = await start();
    const client = connectClient(url, { transports: [transport], reconnection: false, timeout: 5_000 });
    cleanups.push(() => client.close());
    const [welcome] = await next(client, "welcome");
    expect(welcome).toBe(transport);
    const reply = await client.timeout(5_000).emitWithAck("ping-me", "hi");
    expect(reply).toBe("pong hi");
  });

  it("upgrades from polling to websocket, and other requests still reach the app", async () => {
    const { url } = await start();
    const client = connectClient(url, { transports: ["polling", "websocket"], reconnection: false, timeout: 5_000 });
    cleanups.push(() => client.close());
    await next(client, "connect");
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no upgrade within 5 s")), 5_000);
      const check = () => {
        if (client.io.engine.transport.name === "websocket") {
          clearTimeout(timer);
          resolve();
        } else setTimeout(check, 20);
      };
      check();
    });
    expect(await client.timeout(5_000).emitWithAck("ping-me", "upgraded")).toBe("pong upgraded");
    const res = await fetch(`${url}/other`);
    expect(await res.text()).toBe("not socket.io");
    const script = await fetch(`${url}/socket.io/socket.io.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toMatch(/javascript/);
    await script.arrayBuffer();
  });
});
