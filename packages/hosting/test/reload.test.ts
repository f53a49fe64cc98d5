import { once } from "node:events";
import { writeFile } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type AppHost, Host, type WebHostBuilder } from "../src/index.js";
import { captureLogs, freePort, tempDir } from "./helpers.js";

const hosts: AppHost[] = [];
const sockets: Socket[] = [];
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.allSettled(hosts.splice(0).map((h) => h.stop()));
  await Promise.allSettled(cleanups.splice(0).map((c) => c()));
});

const echoPort = (web: WebHostBuilder) => web.configure((app) => app.run((ctx) => ctx.response.end(`port ${ctx.connection.localPort}`)));

async function startHost(settings: unknown, env: NodeJS.ProcessEnv = {}) {
  const dir = await tempDir({ "appsettings.json": settings });
  cleanups.push(dir.cleanup);
  const logs = captureLogs();
  const host = Host.createDefaultBuilder([], env)
    .useContentRoot(dir.path)
    .configureLogging((_, o) => {
      o.destination = logs.destination;
      o.format = "json";
    })
    .configureWebHostDefaults(echoPort)
    .build();
  hosts.push(host);
  await host.start();
  const write = (next: unknown) => writeFile(join(dir.path, "appsettings.json"), JSON.stringify(next));
  return { host, logs, write };
}

async function open(port: number): Promise<Socket> {
  const socket = connect({ host: "127.0.0.1", port });
  sockets.push(socket);
  socket.on("error", () => {});
  await once(socket, "connect");
  return socket;
}

/** One request on `socket`; resolves with the status line and body. */
function ask(socket: Socket, path: string, host = "localhost"): Promise<{ status: number; body: string; close: boolean }> {
  return new Promise((resolve, reject) => {
    let buffer = "";
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString("latin1");
      const end = buffer.indexOf("\r\n\r\n");
      if (end === -1) return;
      const length = Number(/content-length: (\d+)/i.exec(buffer.slice(0, end))?.[1] ?? "0");
      if (buffer.length < end + 4 + length) return;
      socket.off("data", onData);
      resolve({ status: Number(buffer.split(" ")[1]), body: buffer.slice(end + 4, end + 4 + length), close: /connection: close/i.test(buffer.slice(0, end)) });
    };
    socket.on("data", onData);
    socket.once("close", () => reject(new Error(`closed: ${buffer}`)));
    socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
  });
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.destroy();
      resolve(false);
    });
    s.once("error", () => resolve(true));
  });
}

const endpoints = (list: Record<string, Record<string, string>>) => ({ Kestrel: { Endpoints: list } });

describe("Kestrel:Endpoints reload", () => {
  it("stops removed endpoints, binds new ones, and keeps unchanged ones serving their open connections", async () => {
    const [a, b, c] = [await freePort(), await freePort(), await freePort()];
    const { host, write, logs } = await startHost(endpoints({ A: { Url: `http://127.0.0.1:${a}` }, B: { Url: `http://127.0.0.1:${b}` } }));
    expect(host.server!.addresses).toEqual([`http://127.0.0.1:${a}`, `http://127.0.0.1:${b}`]);
    const keptAlive = await open(b);
    expect((await ask(keptAlive, "/")).body).toBe(`port ${b}`);

    await write(endpoints({ B: { Url: `http://127.0.0.1:${b}` }, C: { Url: `http://127.0.0.1:${c}` } }));
    await vi.waitFor(() => expect(host.server!.addresses).toContain(`http://127.0.0.1:${c}`), { timeout: 8_000, interval: 50 });
    await host.endpointsSettled;
    expect(host.server!.addresses).not.toContain(`http://127.0.0.1:${a}`);
    expect(await refused(a)).toBe(true);
    expect((await ask(await open(c), "/")).body).toBe(`port ${c}`);
    // B was not touched: the same keep-alive connection still answers.
    const again = await ask(keptAlive, "/again");
    expect(again).toMatchObject({ status: 200, body: `port ${b}`, close: false });
    expect(logs.lines.some((l) => /endpoint configuration changed: stopping 1 endpoint\(s\), starting 1/.test(l.msg))).toBe(true);
  });

  it("rebinds an endpoint whose settings changed: its open connection finishes with Connection: close, new ones get the new settings", async () => {
    const port = await freePort();
    const { host, write } = await startHost(endpoints({ Api: { Url: `http://127.0.0.1:${port}`, Protocols: "Http1" } }));
    const before = await open(port);
    expect((await ask(before, "/")).status).toBe(200);

    await write(endpoints({ Api: { Url: `http://127.0.0.1:${port}`, Protocols: "Http1AndHttp2" } }));
    await vi.waitFor(() => expect(before.destroyed || before.readableEnded).toBe(true), { timeout: 8_000, interval: 50 });
    await host.endpointsSettled;
    // The new endpoint speaks HTTP/2 with prior knowledge (preface detection on Http1AndHttp2).
    const h2 = await open(port);
    h2.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00");
    const [first] = (await once(h2, "data")) as [Buffer];
    expect(first[3]).toBe(0x04); // a SETTINGS frame
  });

  it("keeps the current endpoints when the new configuration is invalid, and logs the key at fault", async () => {
    const port = await freePort();
    const { host, write, logs } = await startHost(endpoints({ Api: { Url: `http://127.0.0.1:${port}` } }));
    await write(endpoints({ Api: { Url: `http://127.0.0.1:${port}` }, Broken: { Protocols: "Http1" } }));
    await vi.waitFor(() => expect(logs.lines.some((l) => l.key === "Kestrel:Endpoints:Broken:Url")).toBe(true), { timeout: 8_000, interval: 50 });
    expect(host.server!.addresses).toEqual([`http://127.0.0.1:${port}`]);
    expect((await ask(await open(port), "/")).status).toBe(200);
  });
});

describe("AllowedHosts", () => {
  it("filters by Host, answers 400 with the HTML message, and follows changes to appsettings.json without a restart", async () => {
    const port = await freePort();
    const { write } = await startHost({ AllowedHosts: "example.com;*.example.net", Kestrel: { Endpoints: { Api: { Url: `http://127.0.0.1:${port}` } } } });
    const socket = await open(port);
    expect((await ask(socket, "/", "example.com")).status).toBe(200);
    expect((await ask(socket, "/", "a.example.net:8080")).status).toBe(200);
    const rejected = await ask(socket, "/", "evil.test");
    expect(rejected.status).toBe(400);
    expect(rejected.body).toContain("Bad Request - Invalid Hostname");

    await write({ AllowedHosts: "evil.test", Kestrel: { Endpoints: { Api: { Url: `http://127.0.0.1:${port}` } } } });
    await vi.waitFor(async () => expect((await ask(await open(port), "/", "evil.test")).status).toBe(200), { timeout: 8_000, interval: 100 });
    expect((await ask(await open(port), "/", "example.com")).status).toBe(400);
  });

  it("is off when AllowedHosts is '*' or absent", async () => {
    const port = await freePort();
    await startHost({ Kestrel: { Endpoints: { Api: { Url: `http://127.0.0.1:${port}` } } } });
    expect((await ask(await open(port), "/", "anything.test")).status).toBe(200);
  });
});
