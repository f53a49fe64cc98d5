import type { Socket } from "node:net";
import { OptionsValidationError } from "@x/abstractions";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Server, ServerOptions } from "../src/index.js";
import { closed, get, hello, portOf, readResponse, readToClose, Resources } from "./helpers.js";

const res = new Resources();
afterEach(() => res.cleanup());

function send(socket: Socket, path: string): void {
  socket.write(`GET ${path} HTTP/1.1\r\nHost: test\r\n\r\n`);
}

async function startServer(configure: (options: ServerOptions) => void = () => {}): Promise<{ server: Server; port: number }> {
  const options = new ServerOptions();
  configure(options);
  const server = res.server(new Server(options));
  server.options.listen("127.0.0.1", 0);
  await server.start(hello);
  return { server, port: portOf(server.addresses[0]!) };
}

describe("bad requests", () => {
  it("answers 400 and closes a malformed request while another client is served normally", async () => {
    const { server, port } = await startServer();
    const bad = await res.connect({ host: "127.0.0.1", port });
    bad.write("GET / HTTP/1.1\r\nHost: test\r\n");
    const good = res.client(server.addresses[0]!);

    const fine = await get(good, "/fine");
    bad.write("this is not a header line\r\n\r\n");
    const answer = await readToClose(bad);
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(answer).toContain("\r\nconnection: close\r\n");
    expect(answer).toContain("\r\ncontent-length: 0\r\n");

    expect(fine.status).toBe(200);
    expect((await get(good, "/still-fine")).body).toBe("hello /still-fine");
  });
});

describe("maxConcurrentConnections", () => {
  it("closes a connection over the limit at once and admits a new one after a slot frees", async () => {
    const { server, port } = await startServer((o) => {
      o.limits.maxConcurrentConnections = 1;
    });
    const first = await res.connect({ host: "127.0.0.1", port });
    send(first, "/one");
    expect((await readResponse(first)).body).toBe("hello /one");

    const second = await res.connect({ host: "127.0.0.1", port });
    expect(await readToClose(second)).toBe("");

    // The first connection is untouched.
    send(first, "/again");
    expect((await readResponse(first)).body).toBe("hello /again");

    first.end();
    await closed(first);
    await vi.waitFor(() => expect(server.connectionCount).toBe(0), { timeout: 3_000 });
    const third = await res.connect({ host: "127.0.0.1", port });
    send(third, "/three");
    expect((await readResponse(third)).body).toBe("hello /three");
  });
});

describe("limits from ServerOptions", () => {
  it("answers 414 for a request line longer than maxRequestLineSize", async () => {
    const { port } = await startServer((o) => {
      o.limits.maxRequestLineSize = 64;
    });
    const client = await res.connect({ host: "127.0.0.1", port });
    send(client, `/${"a".repeat(100)}`);
    expect(await readToClose(client)).toMatch(/^HTTP\/1\.1 414 URI Too Long\r\n/);

    const ok = await res.connect({ host: "127.0.0.1", port });
    send(ok, "/short");
    expect((await readResponse(ok)).status).toBe(200);
  });

  it("answers 431 for headers larger than maxRequestHeadersTotalSize", async () => {
    const { port } = await startServer((o) => {
      o.limits.maxRequestHeadersTotalSize = 128;
    });
    const client = await res.connect({ host: "127.0.0.1", port });
    client.write(`GET / HTTP/1.1\r\nHost: test\r\nx-big: ${"b".repeat(200)}\r\n\r\n`);
    expect(await readToClose(client)).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
  });

  it("omits the Server header when addServerHeader is false", async () => {
    const { port } = await startServer((o) => {
      o.addServerHeader = false;
    });
    const client = await res.connect({ host: "127.0.0.1", port });
    send(client, "/");
    const response = await readResponse(client);
    expect(response.headers.server).toBeUndefined();
    expect(response.headers.date).toBeDefined();
  });

  it("rejects start() with an OptionsValidationError naming the invalid limit, binding nothing", async () => {
    const server = res.server(new Server());
    server.options.limits.maxRequestLineSize = -1;
    server.options.listen("127.0.0.1", 0);

    const error = await server.start(hello).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OptionsValidationError);
    expect((error as OptionsValidationError).key).toBe("Limits:MaxRequestLineSize");
    expect(server.addresses).toEqual([]);
    await expect(server.stop()).resolves.toBeUndefined();
  });

  it("snapshots the limits at start, so later changes to the options have no effect", async () => {
    const { server, port } = await startServer((o) => {
      o.limits.maxRequestLineSize = 64;
    });
    server.options.limits.maxRequestLineSize = 8192;
    const client = await res.connect({ host: "127.0.0.1", port });
    send(client, `/${"a".repeat(100)}`);
    expect(await readToClose(client)).toMatch(/^HTTP\/1\.1 414 /);
  });
});
