import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { request } from "undici";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type AppHost, Host, type WebHostBuilder } from "../src/index.js";
import { captureLogs, freePort, tempDir } from "./helpers.js";

const hosts: AppHost[] = [];
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  await Promise.allSettled(hosts.splice(0).map((h) => h.stop()));
  await Promise.allSettled(cleanups.splice(0).map((c) => c()));
});

const echo = (web: WebHostBuilder) =>
  web.configure((app) =>
    app.run((ctx) =>
      ctx.response.end(
        JSON.stringify({
          remoteAddress: ctx.connection.remoteAddress,
          scheme: ctx.request.scheme,
          originalFor: ctx.request.headers.get("x-original-for") ?? null,
          forwardedFor: ctx.request.headers.get("x-forwarded-for") ?? null,
        }),
      ),
    ),
  );

async function startHost(settings: Record<string, unknown>, env: NodeJS.ProcessEnv = {}, configure: (web: WebHostBuilder) => void = echo) {
  const port = await freePort();
  const dir = await tempDir({ "appsettings.json": { ...settings, Kestrel: { Endpoints: { Api: { Url: `http://127.0.0.1:${port}` } } } } });
  cleanups.push(dir.cleanup);
  const logs = captureLogs();
  const host = Host.createDefaultBuilder([], env)
    .useContentRoot(dir.path)
    .configureLogging((_, o) => {
      o.destination = logs.destination;
      o.format = "json";
    })
    .configureWebHostDefaults(configure)
    .build();
  hosts.push(host);
  await host.start();
  const write = (next: Record<string, unknown>) =>
    writeFile(join(dir.path, "appsettings.json"), JSON.stringify({ ...next, Kestrel: { Endpoints: { Api: { Url: `http://127.0.0.1:${port}` } } } }));
  return { host, logs, write, origin: `http://127.0.0.1:${port}` };
}

async function get(origin: string, headers: Record<string, string> = {}) {
  const res = await request(`${origin}/`, { headers });
  return { status: res.statusCode, body: await res.body.text() };
}

describe("forwarded headers from ASPNETCORE_FORWARDEDHEADERS_ENABLED", () => {
  const forwarded = { "x-forwarded-for": "203.0.113.7, 198.51.100.1", "x-forwarded-proto": "https" };

  it("applies X-Forwarded-For and X-Forwarded-Proto when the variable is true, keeping the originals", async () => {
    const { origin } = await startHost({}, { ASPNETCORE_FORWARDEDHEADERS_ENABLED: "true" });
    const seen = JSON.parse((await get(origin, forwarded)).body);
    // forwardLimit 1: only the rightmost entry is consumed; the rest stays in the header.
    expect(seen).toMatchObject({ remoteAddress: "198.51.100.1", scheme: "https", forwardedFor: "203.0.113.7" });
    expect(seen.originalFor).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it("leaves the request alone when the variable is absent", async () => {
    const { origin } = await startHost({});
    const seen = JSON.parse((await get(origin, forwarded)).body);
    expect(seen).toMatchObject({ remoteAddress: "127.0.0.1", scheme: "http", originalFor: null });
  });

  it("lets code narrow the trusted proxies again (configureForwardedHeaders)", async () => {
    const { origin } = await startHost({}, { ASPNETCORE_FORWARDEDHEADERS_ENABLED: "TRUE" }, (web) =>
      echo(web).configureForwardedHeaders((o) => {
        o.knownNetworks = ["10.0.0.0/8"];
      }),
    );
    // 127.0.0.1 is not in 10.0.0.0/8: a spoofed header from it is ignored.
    expect(JSON.parse((await get(origin, forwarded)).body)).toMatchObject({ remoteAddress: "127.0.0.1", scheme: "http" });
  });

  it("runs after host filtering, which sees the Host the client sent", async () => {
    const { origin } = await startHost({ AllowedHosts: "localhost" }, { ASPNETCORE_FORWARDEDHEADERS_ENABLED: "true" });
    expect((await get(origin, { ...forwarded, host: "localhost" })).status).toBe(200);
    expect((await get(origin, { ...forwarded, host: "elsewhere.test" })).status).toBe(400);
  });
});

describe("the access log from configuration", () => {
  const accessLines = (logs: ReturnType<typeof captureLogs>) => logs.lines.filter((l) => l.category === "X.Server.AccessLog");

  it("is off by default", async () => {
    const { origin, logs } = await startHost({});
    await get(origin);
    expect(accessLines(logs)).toEqual([]);
  });

  it("writes one structured line per request, including a 431 the server answers itself, and follows reloads", async () => {
    const { origin, logs, write } = await startHost({ AccessLog: { Enabled: true }, Kestrel: {} });
    await get(`${origin}`);
    const big = await get(origin, { "x-big": "x".repeat(40_000) });
    expect(big.status).toBe(431);
    await vi.waitFor(() => expect(accessLines(logs)).toHaveLength(2), { timeout: 3_000 });
    const [ok, rejected] = accessLines(logs);
    expect(ok).toMatchObject({ method: "GET", path: "/", status: 200, protocol: "HTTP/1.1", rejected: false, msg: "GET / HTTP/1.1 200" });
    expect(ok!.bytes).toBeGreaterThan(0);
    expect(typeof ok!.durationMs).toBe("number");
    expect(rejected).toMatchObject({ method: "GET", path: "/", status: 431, rejected: true, bytes: 0 });

    await write({ AccessLog: { Enabled: false } });
    await vi.waitFor(
      async () => {
        const before = accessLines(logs).length;
        await get(origin);
        expect(accessLines(logs)).toHaveLength(before);
      },
      { timeout: 8_000, interval: 100 },
    );
  });

  it("fails to start, naming the key, when AccessLog:Enabled is not a boolean", async () => {
    await expect(startHost({ AccessLog: { Enabled: "sometimes" } })).rejects.toThrow(/AccessLog:Enabled/);
  });
});
