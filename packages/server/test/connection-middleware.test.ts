import type { Socket } from "node:net";
import { type ConnectionContext, featureKey } from "@x/abstractions";
import { afterEach, describe, expect, it } from "vitest";
import { Server, ServerOptions } from "../src/index.js";
import { closed, portOf, readResponse, readToClose, Resources, within } from "./helpers.js";

const res = new Resources();
afterEach(() => res.cleanup());

function send(socket: Socket, path: string): void {
  socket.write(`GET ${path} HTTP/1.1\r\nHost: test\r\n\r\n`);
}

const TagFeature = featureKey<string>("Tag");

describe("ListenOptions.use connection middleware", () => {
  it("runs in the order added, once per connection, before the protocol handler", async () => {
    const log: string[] = [];
    const server = res.server(new Server());
    server.options.listen("127.0.0.1", 0, (lo) =>
      lo
        .use(async (connection, next) => {
          log.push(`a ${connection.id}`);
          await next(connection);
          log.push(`a done ${connection.id}`);
        })
        .use(async (connection, next) => {
          log.push(`b ${connection.id}`);
          connection.features.set(TagFeature, `tagged ${connection.id}`);
          await next(connection);
        }),
    );
    await server.start((ctx) => ctx.response.end(ctx.features.get(TagFeature) ?? "untagged"));
    const port = portOf(server.addresses[0]!);

    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const client = await res.connect({ host: "127.0.0.1", port });
      send(client, "/");
      const body = (await readResponse(client)).body;
      ids.push(body.replace("tagged ", ""));
      // A second request on the same connection does not run the middleware again.
      send(client, "/");
      expect((await readResponse(client)).body).toBe(body);
      client.end();
      await closed(client);
    }
    await within(3_000, server.stop(1_000), "stop");
    expect(new Set(ids).size).toBe(2);
    for (const id of ids) {
      expect(log.filter((line) => line.endsWith(id))).toEqual([`a ${id}`, `b ${id}`, `a done ${id}`]);
    }
  });

  it("can reject a connection by aborting it while other connections are served", async () => {
    let seen = 0;
    const server = res.server(new Server());
    server.options.listen("127.0.0.1", 0, (lo) =>
      lo.use(async (connection: ConnectionContext, next) => {
        seen++;
        if (seen === 2) {
          connection.abort();
          return;
        }
        await next(connection);
      }),
    );
    await server.start((ctx) => ctx.response.end("served"));
    const port = portOf(server.addresses[0]!);

    const first = await res.connect({ host: "127.0.0.1", port });
    send(first, "/");
    expect((await readResponse(first)).body).toBe("served");

    const rejected = await res.connect({ host: "127.0.0.1", port });
    send(rejected, "/");
    expect(await readToClose(rejected)).toBe("");

    const third = await res.connect({ host: "127.0.0.1", port });
    send(third, "/");
    expect((await readResponse(third)).body).toBe("served");
    send(first, "/");
    expect((await readResponse(first)).body).toBe("served");
  });

  it("closes a connection whose middleware finishes without calling next", async () => {
    const server = res.server(new Server());
    server.options.listen("127.0.0.1", 0, (lo) => lo.use(async () => {}));
    await server.start((ctx) => ctx.response.end("never"));
    const client = await res.connect({ host: "127.0.0.1", port: portOf(server.addresses[0]!) });
    send(client, "/");
    expect(await readToClose(client)).toBe("");
  });

  it("releases the connection slot when a middleware throws, synchronously or not", async () => {
    const options = new ServerOptions();
    options.limits.maxConcurrentConnections = 1;
    let seen = 0;
    const server = res.server(new Server(options));
    server.options.listen("127.0.0.1", 0, (lo) =>
      lo.use((connection, next) => {
        seen++;
        if (seen === 1) throw new Error("middleware bug (sync)");
        if (seen === 2) return Promise.reject(new Error("middleware bug (async)"));
        return next(connection);
      }),
    );
    await server.start((ctx) => ctx.response.end("served"));
    const port = portOf(server.addresses[0]!);

    for (let i = 0; i < 2; i++) {
      const failing = await res.connect({ host: "127.0.0.1", port });
      expect(await readToClose(failing)).toBe("");
    }
    const client = await res.connect({ host: "127.0.0.1", port });
    send(client, "/");
    expect((await readResponse(client)).body).toBe("served");
    client.end();
    await closed(client);
    await within(3_000, server.stop(5_000), "stop");
  });
});
