import type { Socket } from "node:net";
import { ipEndPoint } from "@x/abstractions";
import { afterEach, describe, expect, it } from "vitest";
import { ListenOptions, Server } from "../src/index.js";
import { closed, connectError, deferred, portOf, readResponse, Resources, within } from "./helpers.js";

const res = new Resources();
afterEach(() => res.cleanup());

function send(socket: Socket, path: string): void {
  socket.write(`GET ${path} HTTP/1.1\r\nHost: test\r\n\r\n`);
}

/** Two endpoints; `/slow` waits for `release`. Answers with the local port, so a test sees which endpoint served it. */
async function startTwo() {
  const entered = deferred();
  const gate = deferred();
  const server = res.server(new Server());
  server.options.listen("127.0.0.1", 0);
  server.options.listen("127.0.0.1", 0);
  await server.start(async (ctx) => {
    if (ctx.request.path === "/slow") {
      entered.resolve();
      await gate.promise;
    }
    await ctx.response.end(`port ${ctx.connection.localPort}`);
  });
  const [a, b] = server.options.listenOptions;
  return { server, a: a!, b: b!, ports: server.addresses.map(portOf), slowEntered: entered.promise, release: () => gate.resolve() };
}

describe("Server.rebind", () => {
  it("stops a removed endpoint and binds a new one while the other keeps serving its open connections", async () => {
    const { server, a, ports } = await startTwo();
    const [portA, portB] = ports as [number, number];
    const keptAlive = await res.connect({ host: "127.0.0.1", port: portB });
    send(keptAlive, "/");
    expect((await readResponse(keptAlive)).body).toBe(`port ${portB}`);

    const added = new ListenOptions(ipEndPoint("127.0.0.1", 0), false, server.options);
    const failures = await within(5_000, server.rebind([a], [added]), "rebind");
    expect(failures).toEqual([]);

    expect(await connectError({ host: "127.0.0.1", port: portA })).toBe("ECONNREFUSED");
    expect(server.addresses).toHaveLength(2);
    expect(server.addresses).toContain(`http://127.0.0.1:${portB}`);
    const newPort = portOf(server.addresses.find((u) => !u.endsWith(`:${portB}`))!);
    const fresh = await res.connect({ host: "127.0.0.1", port: newPort });
    send(fresh, "/");
    expect((await readResponse(fresh)).body).toBe(`port ${newPort}`);
    // The untouched endpoint's keep-alive connection was not disturbed.
    send(keptAlive, "/again");
    expect((await readResponse(keptAlive)).body).toBe(`port ${portB}`);
  });

  it("lets an in-flight request on a removed endpoint finish, then closes that connection", async () => {
    const { server, a, ports, slowEntered, release } = await startTwo();
    const busy = await res.connect({ host: "127.0.0.1", port: ports[0]! });
    send(busy, "/slow");
    await within(3_000, slowEntered, "the slow request");
    await within(5_000, server.rebind([a], []), "rebind");
    expect(server.addresses).toEqual([`http://127.0.0.1:${ports[1]}`]);
    release();
    const response = await readResponse(busy);
    expect(response.status).toBe(200);
    expect(response.headers.connection).toBe("close");
    await closed(busy);
  });

  it("aborts connections of a removed endpoint that outlive the timeout", async () => {
    const { server, a, ports, slowEntered } = await startTwo();
    const busy = await res.connect({ host: "127.0.0.1", port: ports[0]! });
    send(busy, "/slow");
    await within(3_000, slowEntered, "the slow request");
    await server.rebind([a], [], 100);
    await closed(busy, 3_000);
    expect(busy.destroyed).toBe(true);
  });

  it("reports an endpoint it cannot bind and still binds the others", async () => {
    const { server } = await startTwo();
    const occupied = await res.occupy("127.0.0.1", 0);
    const taken = new ListenOptions(ipEndPoint("127.0.0.1", occupied), false, server.options);
    const free = new ListenOptions(ipEndPoint("127.0.0.1", 0), false, server.options);
    const failures = await server.rebind([], [taken, free]);
    expect(failures.map((f) => f.listenOptions)).toEqual([taken]);
    expect((failures[0]!.error as Error).message).toMatch(/address already in use/);
    expect(server.addresses).toHaveLength(3);
  });

  it("refuses to rebind a server that is not running", async () => {
    const server = res.server(new Server());
    await expect(server.rebind([], [])).rejects.toThrow(/while the server is running/);
  });
});
