import type { Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Server } from "../src/index.js";
import { closed, connectError, deferred, hello, portOf, readResponse, readToClose, Resources, within } from "./helpers.js";

const res = new Resources();
afterEach(() => res.cleanup());

function send(socket: Socket, path: string): void {
  socket.write(`GET ${path} HTTP/1.1\r\nHost: test\r\n\r\n`);
}

/** A server whose `/slow` requests wait for `release`; other paths answer at once. */
async function startWithSlowRoute(): Promise<{ server: Server; port: number; slowEntered: Promise<void>; release: () => void }> {
  const entered = deferred();
  const gate = deferred();
  const server = res.server(new Server());
  server.options.listen("127.0.0.1", 0);
  await server.start(async (ctx) => {
    if (ctx.request.path === "/slow") {
      entered.resolve();
      await gate.promise;
      await ctx.response.end("slow done");
      return;
    }
    await ctx.response.end("fast");
  });
  return { server, port: portOf(server.addresses[0]!), slowEntered: entered.promise, release: () => gate.resolve() };
}

describe("graceful shutdown", () => {
  it("closes idle connections at once, refuses new ones, and lets an in-flight request finish", async () => {
    const { server, port, slowEntered, release } = await startWithSlowRoute();

    const idle = await res.connect({ host: "127.0.0.1", port });
    send(idle, "/fast");
    expect((await readResponse(idle)).body).toBe("fast");

    const busy = await res.connect({ host: "127.0.0.1", port });
    send(busy, "/slow");
    await within(3_000, slowEntered, "the slow request reaching the app");

    let stopped = false;
    const stopping = server.stop(5_000).then(() => {
      stopped = true;
    });

    await closed(idle);
    expect(await connectError({ host: "127.0.0.1", port })).toBe("ECONNREFUSED");
    expect(stopped).toBe(false);
    expect(busy.destroyed).toBe(false);

    release();
    const response = await readResponse(busy);
    expect(response.status).toBe(200);
    expect(response.body).toBe("slow done");
    // RFC 9112 §9.6: a server that is about to close says so in the response.
    expect(response.headers.connection).toBe("close");
    await within(5_000, stopping, "stop");
    expect(stopped).toBe(true);
    await closed(busy);
    expect(server.connectionCount).toBe(0);
  });

  it("aborts a request that outlives the shutdown timeout and still resolves", async () => {
    const entered = deferred();
    const server = res.server(new Server());
    server.options.listen("127.0.0.1", 0);
    await server.start(async () => {
      entered.resolve();
      await new Promise(() => {});
    });
    const client = await res.connect({ host: "127.0.0.1", port: portOf(server.addresses[0]!) });
    send(client, "/never");
    await within(3_000, entered.promise, "the request reaching the app");
    const received = readToClose(client);

    await within(5_000, server.stop(300), "stop(300)");
    expect(await received).toBe("");
    expect(server.connectionCount).toBe(0);
  });

  it("lets a second stop() wait for the first one to finish", async () => {
    const { server, port, slowEntered, release } = await startWithSlowRoute();
    const busy = await res.connect({ host: "127.0.0.1", port });
    send(busy, "/slow");
    await within(3_000, slowEntered, "the slow request reaching the app");

    const order: string[] = [];
    const first = server.stop(5_000).then(() => order.push("first"));
    const second = server.stop(5_000).then(() => order.push("second"));
    // Let every already-settled continuation run: the second stop must still be pending.
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual([]);

    release();
    expect((await readResponse(busy)).status).toBe(200);
    await within(5_000, Promise.all([first, second]), "both stops");
    expect(order).toEqual(["first", "second"]);
  });

  it("makes stop() idempotent and refuses a second start()", async () => {
    const server = res.server(new Server());
    server.options.listen("127.0.0.1", 0);
    await server.start(hello);
    await within(3_000, server.stop(), "stop");
    await within(3_000, server.stop(), "second stop");
    await expect(server.start(hello)).rejects.toThrow(/already been started/);
  });

  it("refuses a second start() while running", async () => {
    const server = res.server(new Server());
    server.options.listen("127.0.0.1", 0);
    await server.start(hello);
    await expect(server.start(hello)).rejects.toThrow(/already been started/);
    expect(server.addresses).toHaveLength(1);
  });

  it("resolves stop() on a server that never started", async () => {
    await within(3_000, new Server().stop(), "stop");
  });
});

describe("stopping while starting", () => {
  it("leaves nothing bound when stop() is called before start() has finished binding", async () => {
    const server = new Server();
    server.options.listen("127.0.0.1", 0);
    const starting = server.start(hello);
    const stopping = server.stop(1_000);
    await starting;
    await stopping;
    const port = portOf(server.addresses[0]!);
    expect(await connectError({ host: "127.0.0.1", port })).toBe("ECONNREFUSED");
    expect(server.connectionCount).toBe(0);
  });
});
