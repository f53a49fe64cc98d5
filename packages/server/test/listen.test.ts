import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { get as httpGet, type RequestOptions } from "node:http";
import { promisify } from "node:util";
import { OptionsValidationError } from "@x/abstractions";
import { AddressInUseError } from "@x/transport-sockets";
import { afterEach, describe, expect, it } from "vitest";
import { Server, ServerOptions } from "../src/index.js";
import {
  CapturingLoggerFactory,
  canBindIPv6Loopback,
  connectError,
  freeLoopbackPort,
  get,
  hello,
  portOf,
  Resources,
  within,
} from "./helpers.js";

const hasIPv6 = await canBindIPv6Loopback();
if (!hasIPv6) console.log("Skipping IPv6 tests: this host cannot bind ::1 (IPv6 loopback unavailable).");

const execFileAsync = promisify(execFile);
const hasCurl = await execFileAsync("curl", ["--version"], { timeout: 5_000 }).then(
  () => true,
  () => false,
);
if (!hasCurl) console.log("Skipping curl tests: curl is not on PATH.");

/** One GET with node:http and a fresh connection. */
function nodeHttpGet(options: RequestOptions): Promise<{ status: number; body: string }> {
  const done = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpGet({ ...options, agent: false }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      response.on("error", reject);
    });
    req.on("error", reject);
  });
  return within(5_000, done, "node:http GET");
}

async function curl(args: string[]): Promise<string> {
  const { stdout } = await execFileAsync("curl", ["--silent", "--show-error", "--include", "--max-time", "5", ...args], { timeout: 8_000 });
  return stdout;
}

const res = new Resources();
afterEach(() => res.cleanup());

describe("listen on an IP address", () => {
  it("reports the port the OS chose for 127.0.0.1:0 and serves a request there", async () => {
    const server = res.server(new Server());
    server.options.listen("127.0.0.1", 0);
    await server.start(hello);

    expect(server.addresses).toHaveLength(1);
    expect(server.addresses[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(portOf(server.addresses[0]!)).toBeGreaterThan(0);

    const response = await get(res.client(server.addresses[0]!), "/ping");
    expect(response.status).toBe(200);
    expect(response.body).toBe("hello /ping");
    expect(response.headers.server).toBe("X");
  });

  it.skipIf(!hasIPv6)("reports an IPv6 loopback endpoint in brackets and serves IPv6 clients", async () => {
    const server = res.server(new Server());
    server.options.listen("::1", 0);
    await server.start((ctx) => ctx.response.end(`${ctx.connection.remoteAddress} -> ${ctx.connection.localAddress}`));

    expect(server.addresses[0]).toMatch(/^http:\/\/\[::1\]:\d+$/);
    const response = await get(res.client(server.addresses[0]!));
    expect(response.body).toBe("::1 -> ::1");
  });

  it.skipIf(!hasIPv6)("accepts IPv4 and IPv6 clients on listenAnyIP", async () => {
    const server = res.server(new Server());
    server.options.listenAnyIP(0);
    await server.start((ctx) => ctx.response.end(String(ctx.connection.remoteAddress)));

    expect(server.addresses[0]).toMatch(/^http:\/\/\[::\]:\d+$/);
    const port = portOf(server.addresses[0]!);
    const v4 = await get(res.client(`http://127.0.0.1:${port}`));
    // A dual-stack socket sees IPv4 peers as IPv4-mapped IPv6 addresses.
    expect(v4.body).toBe("::ffff:127.0.0.1");
    const v6 = await get(res.client(`http://[::1]:${port}`));
    expect(v6.body).toBe("::1");
  });

  it("refuses an address that is not an IP and a port out of range", () => {
    const options = new ServerOptions();
    expect(() => options.listen("example.com", 80)).toThrow(OptionsValidationError);
    expect(() => options.listen("127.0.0.1", 65_536)).toThrow(OptionsValidationError);
    expect(() => options.listen("127.0.0.1", -1)).toThrow(OptionsValidationError);
    expect(() => options.listenAnyIP(1.5)).toThrow(OptionsValidationError);
    expect(options.listenOptions).toHaveLength(0);
  });

  it("rejects start with an AddressInUseError naming the URL when the port is taken", async () => {
    const port = await res.occupy("127.0.0.1", 0);
    const server = res.server(new Server());
    server.options.listen("127.0.0.1", port);

    const error = await server.start(hello).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AddressInUseError);
    expect((error as { code?: string }).code).toBe("ERR_X_TRANSPORT_ADDRESS_IN_USE");
    expect((error as Error).message).toContain(`http://127.0.0.1:${port}`);
    expect(server.addresses).toEqual([]);
  });

  it("unbinds the endpoints it already bound when a later one fails", async () => {
    const taken = await res.occupy("127.0.0.1", 0);
    const free = await freeLoopbackPort(false);
    const server = res.server(new Server());
    server.options.listen("127.0.0.1", free).listen("127.0.0.1", taken);

    await expect(server.start(hello)).rejects.toBeInstanceOf(AddressInUseError);
    expect(await connectError({ host: "127.0.0.1", port: free })).toBe("ECONNREFUSED");
  });
});

describe("listenLocalhost", () => {
  it.skipIf(!hasIPv6)("binds both loopbacks on one port and reports http://localhost:port", async () => {
    const port = await freeLoopbackPort(true);
    const server = res.server(new Server());
    server.options.listenLocalhost(port);
    await server.start((ctx) => ctx.response.end(String(ctx.connection.localAddress)));

    expect(server.addresses).toEqual([`http://localhost:${port}`]);
    expect((await get(res.client(`http://127.0.0.1:${port}`))).body).toBe("127.0.0.1");
    expect((await get(res.client(`http://[::1]:${port}`))).body).toBe("::1");
  });

  it("refuses port 0, because the two loopbacks would get different ports (Kestrel does the same)", () => {
    const options = new ServerOptions();
    expect(() => options.listenLocalhost(0)).toThrow(OptionsValidationError);
    expect(() => options.listen("localhost", 0)).toThrow(/Dynamic port binding is not supported/);
    expect(options.listenOptions).toHaveLength(0);
  });

  it.skipIf(!hasIPv6)("fails to start when the port is taken on ::1 only, and leaves 127.0.0.1 unbound", async () => {
    const port = await freeLoopbackPort(true);
    await res.occupy("::1", port);
    const server = res.server(new Server());
    server.options.listenLocalhost(port);

    const error = await server.start(hello).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "ERR_X_TRANSPORT_ADDRESS_IN_USE" });
    expect((error as Error).message).toContain(`http://localhost:${port}`);
    expect(await connectError({ host: "127.0.0.1", port })).toBe("ECONNREFUSED");
  });

  it("fails to start when the port is taken on 127.0.0.1", async () => {
    const port = await freeLoopbackPort(hasIPv6);
    await res.occupy("127.0.0.1", port);
    const server = res.server(new Server());
    server.options.listenLocalhost(port);
    await expect(server.start(hello)).rejects.toMatchObject({ code: "ERR_X_TRANSPORT_ADDRESS_IN_USE" });
    if (hasIPv6) expect(await connectError({ host: "::1", port })).toBe("ECONNREFUSED");
  });
});

describe("listenUnixSocket", () => {
  it("serves requests on a Unix domain socket and reports http://unix:/path", async () => {
    const path = res.socketPath();
    const server = res.server(new Server());
    server.options.listenUnixSocket(path);
    await server.start((ctx) => ctx.response.end(`unix ${ctx.request.path} ${ctx.connection.remoteAddress}`));

    expect(server.addresses).toEqual([`http://unix:${path}`]);
    const response = await get(res.client("http://localhost", path), "/over-unix");
    expect(response.status).toBe(200);
    // A Unix socket peer has no IP address.
    expect(response.body).toBe("unix /over-unix null");
  });

  it("removes the socket file when the server stops", async () => {
    const path = res.socketPath();
    const server = res.server(new Server());
    server.options.listenUnixSocket(path);
    await server.start(hello);
    expect(existsSync(path)).toBe(true);
    await within(5_000, server.stop(1_000), "stop");
    expect(existsSync(path)).toBe(false);
  });

  it("refuses an empty path", () => {
    expect(() => new ServerOptions().listenUnixSocket("")).toThrow(OptionsValidationError);
  });
});

describe("real clients", () => {
  it("serves several undici requests on one keep-alive connection", async () => {
    const server = res.server(new Server());
    server.options.listen("127.0.0.1", 0);
    await server.start(hello);
    const client = res.client(server.addresses[0]!);
    for (const path of ["/a", "/b", "/c"]) expect((await get(client, path)).body).toBe(`hello ${path}`);
    expect(server.connectionCount).toBe(1);
  });

  it("serves node:http clients over TCP and over a Unix socket", async () => {
    const path = res.socketPath();
    const server = res.server(new Server());
    server.options.listen("127.0.0.1", 0).listenUnixSocket(path);
    await server.start(hello);
    const port = portOf(server.addresses[0]!);
    expect(await nodeHttpGet({ host: "127.0.0.1", port, path: "/tcp" })).toEqual({ status: 200, body: "hello /tcp" });
    expect(await nodeHttpGet({ socketPath: path, path: "/unix" })).toEqual({ status: 200, body: "hello /unix" });
  });

  it.skipIf(!hasCurl)("answers curl over TCP", async () => {
    const server = res.server(new Server());
    server.options.listen("127.0.0.1", 0);
    await server.start(hello);
    const out = await curl([`${server.addresses[0]}/from-curl`]);
    expect(out).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(out).toMatch(/\r\n\r\nhello \/from-curl$/);
  });

  it.skipIf(!hasCurl)("answers curl over a Unix domain socket", async () => {
    const path = res.socketPath();
    const server = res.server(new Server());
    server.options.listenUnixSocket(path);
    await server.start(hello);
    const out = await curl(["--unix-socket", path, "http://localhost/curl-unix"]);
    expect(out).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(out).toMatch(/\r\n\r\nhello \/curl-unix$/);
  });

  it("logs nothing above debug for a normal request", async () => {
    const logs = new CapturingLoggerFactory();
    const server = res.server(new Server(new ServerOptions(), { loggerFactory: logs }));
    server.options.listen("127.0.0.1", 0);
    await server.start(hello);
    await get(res.client(server.addresses[0]!));
    expect(logs.entries.filter((e) => e.level !== "debug" && e.level !== "trace")).toEqual([]);
  });
});
