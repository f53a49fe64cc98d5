import { X509Certificate } from "node:crypto";
import { fileURLToPath } from "node:url";
import { TlsConnectionFeature } from "@x/https-sni";
import { testPki } from "@x/test-pki";
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { type AppHost, Host, IIS_HEADERS, IIS_SHUTDOWN_PATH, type ServerOptions, type WebHostBuilder } from "../src/index.js";
import { captureLogs, freePort, isPortFree, type LogLine, startNode, tempDir } from "./helpers.js";

const webApp = fileURLToPath(new URL("./fixtures/web-app.mjs", import.meta.url));
const TOKEN = "f3a9c2e1-pairing-token";

const hosts: AppHost[] = [];
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  await Promise.allSettled(hosts.splice(0).map((h) => h.stop()));
  await Promise.allSettled(cleanups.splice(0).map((c) => c()));
});

interface Seen {
  path: string;
  pathBase: string;
  remoteAddress: string | null;
  scheme: string;
  originalFor: string | null;
  token: string | null;
  clientCertHeader: string | null;
  clientCertSubject: string | null;
  bodyBytes: number;
}

/** The app: reports what it saw of the request (after the IIS middleware). */
const echo = (calls: string[]) => (web: WebHostBuilder) =>
  web.configure((app) =>
    app.run(async (ctx) => {
      calls.push(`${ctx.request.method} ${ctx.request.pathBase}${ctx.request.path}`);
      let bodyBytes = 0;
      for await (const chunk of ctx.request.body) bodyBytes += chunk.length;
      const cert = ctx.features.get(TlsConnectionFeature)?.clientCertificate ?? null;
      const seen: Seen = {
        path: ctx.request.path,
        pathBase: ctx.request.pathBase,
        remoteAddress: ctx.connection.remoteAddress,
        scheme: ctx.request.scheme,
        originalFor: ctx.request.headers.get("x-original-for") ?? null,
        token: ctx.request.headers.get(IIS_HEADERS.token) ?? null,
        clientCertHeader: ctx.request.headers.get(IIS_HEADERS.clientCert) ?? null,
        clientCertSubject: cert?.subject ?? null,
        bodyBytes,
      };
      ctx.response.contentType = "application/json";
      await ctx.response.end(JSON.stringify(seen));
    }),
  );

interface StartOptions {
  env?: NodeJS.ProcessEnv;
  args?: string[];
  settings?: Record<string, unknown>;
  web?: (web: WebHostBuilder) => void;
  run?: boolean;
}

/** A host as the front starts it: ASPNETCORE_PORT (a free port), plus whatever `env` adds. */
async function startIisHost(options: StartOptions = {}) {
  const port = await freePort();
  const dir = await tempDir({ "appsettings.json": options.settings ?? {} });
  cleanups.push(dir.cleanup);
  const logs = captureLogs();
  const calls: string[] = [];
  const host = Host.createDefaultBuilder(options.args ?? [], { ASPNETCORE_PORT: String(port), ...options.env })
    .useContentRoot(dir.path)
    .configureLogging((_, o) => {
      o.destination = logs.destination;
      o.format = "json";
    })
    .configureWebHostDefaults((web) => {
      echo(calls)(web);
      options.web?.(web);
    })
    .build();
  hosts.push(host);
  let running: Promise<void> | undefined;
  if (options.run) {
    running = host.run();
    await new Promise<void>((resolve, reject) => {
      host.lifetime.onStarted(() => resolve());
      running!.catch(reject);
    });
  } else {
    await host.start();
  }
  return { host, logs, calls, port, origin: `http://127.0.0.1:${port}`, running };
}

async function send(url: string, init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}) {
  const res = await request(url, { method: (init.method ?? "GET") as "GET", headers: init.headers, body: init.body });
  const text = await res.body.text();
  return { status: res.statusCode, text, seen: () => JSON.parse(text) as Seen };
}

const tokenHeader = { [IIS_HEADERS.token]: TOKEN };
const shutdownHeaders = { ...tokenHeader, [IIS_HEADERS.event]: "shutdown" };
const errors = (lines: LogLine[]) => lines.filter((l) => l.level === 50).map((l) => l.msg);

describe("the pairing token (ASPNETCORE_TOKEN)", () => {
  it("rejects a request whose MS-ASPNETCORE-TOKEN differs or is missing with 400, without calling the app", async () => {
    const { origin, calls, logs } = await startIisHost({ env: { ASPNETCORE_TOKEN: TOKEN } });
    const wrong = await send(`${origin}/x`, { headers: { [IIS_HEADERS.token]: `${TOKEN}x` } });
    const missing = await send(`${origin}/x`);
    const sameLength = await send(`${origin}/x`, { headers: { [IIS_HEADERS.token]: TOKEN.replace("f", "e") } });
    expect([wrong.status, missing.status, sameLength.status]).toEqual([400, 400, 400]);
    expect(calls).toEqual([]);
    const logged = errors(logs.lines).filter((m) => m.includes("'MS-ASPNETCORE-TOKEN' does not match the expected pairing token"));
    expect(logged).toHaveLength(3);
    // The expected token is a secret: never logged.
    expect(JSON.stringify(logs.lines)).not.toContain(TOKEN);
  });

  it("lets a request with the right token through to the app, header kept", async () => {
    const { origin, calls } = await startIisHost({ env: { ASPNETCORE_TOKEN: TOKEN } });
    const res = await send(`${origin}/hello`, { headers: tokenHeader });
    expect(res.status).toBe(200);
    expect(res.seen()).toMatchObject({ path: "/hello", token: TOKEN });
    expect(calls).toEqual(["GET /hello"]);
  });

  it("checks nothing when no token is configured", async () => {
    const { origin, calls } = await startIisHost();
    expect((await send(`${origin}/a`)).status).toBe(200);
    expect((await send(`${origin}/b`, { headers: { [IIS_HEADERS.token]: "anything" } })).status).toBe(200);
    expect(calls).toEqual(["GET /a", "GET /b"]);
  });
});

describe("the shutdown event", () => {
  it("answers 202 and stops the host gracefully (POST {APPL_PATH}/iisintegration, case-insensitive)", async () => {
    const { host, origin, calls, running } = await startIisHost({ env: { ASPNETCORE_TOKEN: TOKEN, ASPNETCORE_APPL_PATH: "/app/" }, run: true });
    const stopped = new Promise<void>((resolve) => host.lifetime.onStopped(() => resolve()));
    const res = await send(`${origin}/APP/IISIntegration`, { method: "POST", headers: { ...tokenHeader, [IIS_HEADERS.event]: "Shutdown" } });
    expect(res.status).toBe(202);
    await running;
    await stopped;
    expect(host.lifetime.applicationStopped.aborted).toBe(true);
    expect(calls).toEqual([]);
  });

  it("is refused with 400 without the token or with a wrong one, and the host keeps running", async () => {
    const { host, origin, calls } = await startIisHost({ env: { ASPNETCORE_TOKEN: TOKEN } });
    const path = `${origin}/${IIS_SHUTDOWN_PATH}`;
    expect((await send(path, { method: "POST", headers: { [IIS_HEADERS.event]: "shutdown" } })).status).toBe(400);
    expect((await send(path, { method: "POST", headers: { [IIS_HEADERS.event]: "shutdown", [IIS_HEADERS.token]: "nope" } })).status).toBe(400);
    expect(host.lifetime.applicationStopping.aborted).toBe(false);
    expect((await send(`${origin}/still-here`, { headers: tokenHeader })).status).toBe(200);
    expect(calls).toEqual(["GET /still-here"]);
  });

  it("falls through to the app on another path, another method, or without the event", async () => {
    const { host, origin, calls } = await startIisHost({ env: { ASPNETCORE_TOKEN: TOKEN, ASPNETCORE_APPL_PATH: "/app" } });
    const responses = [
      await send(`${origin}/app/other`, { method: "POST", headers: shutdownHeaders }),
      await send(`${origin}/iisintegration`, { method: "POST", headers: shutdownHeaders }), // outside APPL_PATH
      await send(`${origin}/app/iisintegration/x`, { method: "POST", headers: shutdownHeaders }),
      await send(`${origin}/app/iisintegration`, { method: "GET", headers: shutdownHeaders }),
      await send(`${origin}/app/iisintegration`, { method: "POST", headers: { ...tokenHeader, [IIS_HEADERS.event]: "restart" } }),
      await send(`${origin}/app/iisintegration`, { method: "POST", headers: tokenHeader }),
    ];
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(calls).toEqual([
      "POST /app/other",
      "POST /iisintegration",
      "POST /app/iisintegration/x",
      "GET /app/iisintegration",
      "POST /app/iisintegration",
      "POST /app/iisintegration",
    ]);
    expect(host.lifetime.applicationStopping.aborted).toBe(false);
  });

  it("is not honoured without a configured token: nothing would authenticate it", async () => {
    const { host, origin, calls } = await startIisHost();
    const res = await send(`${origin}/iisintegration`, { method: "POST", headers: { [IIS_HEADERS.event]: "shutdown" } });
    expect(res.status).toBe(200);
    expect(calls).toEqual(["POST /iisintegration"]);
    expect(host.lifetime.applicationStopping.aborted).toBe(false);
  });

  it("makes the app's process exit 0 (a real process run by the front)", async () => {
    const port = await freePort();
    const dir = await tempDir();
    cleanups.push(dir.cleanup);
    const app = startNode(webApp, [], { cwd: dir.path, env: { ASPNETCORE_ENVIRONMENT: "Production", ASPNETCORE_PORT: String(port), ASPNETCORE_TOKEN: TOKEN } });
    cleanups.push(() => void app.process.kill("SIGKILL"));
    expect(await app.listening()).toEqual([`http://127.0.0.1:${port}`]);
    const hello = await send(`http://127.0.0.1:${port}/`, { headers: tokenHeader });
    expect(hello).toMatchObject({ status: 200, text: "hello" });
    const res = await send(`http://127.0.0.1:${port}/iisintegration`, { method: "POST", headers: shutdownHeaders });
    expect(res.status).toBe(202);
    expect(await app.exit()).toBe(0);
    expect(app.output()).toContain("Application is shutting down");
  });
});

describe("the path base (ASPNETCORE_APPL_PATH)", () => {
  it("moves the application path to pathBase, on a segment boundary, ignoring case", async () => {
    const { origin } = await startIisHost({ env: { ASPNETCORE_APPL_PATH: "/app" } });
    expect((await send(`${origin}/app/x?q=1`)).seen()).toMatchObject({ pathBase: "/app", path: "/x" });
    expect((await send(`${origin}/App/x/y`)).seen()).toMatchObject({ pathBase: "/App", path: "/x/y" });
    expect((await send(`${origin}/app`)).seen()).toMatchObject({ pathBase: "/app", path: "/" });
    expect((await send(`${origin}/application`)).seen()).toMatchObject({ pathBase: "", path: "/application" });
    expect((await send(`${origin}/other/app/x`)).seen()).toMatchObject({ pathBase: "", path: "/other/app/x" });
  });

  it("leaves the path alone for APPL_PATH '/'", async () => {
    const { origin } = await startIisHost({ env: { ASPNETCORE_APPL_PATH: "/" } });
    expect((await send(`${origin}/app/x`)).seen()).toMatchObject({ pathBase: "", path: "/app/x" });
  });
});

describe("the endpoint", () => {
  it("listens only on 127.0.0.1:{ASPNETCORE_PORT}, whatever --urls, Kestrel:Endpoints and listen() say, and logs what it ignored", async () => {
    const [urlPort, configPort, codePort] = await Promise.all([freePort(), freePort(), freePort()]);
    const { host, port, origin, logs } = await startIisHost({
      args: ["--urls", `http://127.0.0.1:${urlPort}`],
      env: { ASPNETCORE_URLS: `http://127.0.0.1:${urlPort}` },
      settings: { Kestrel: { Endpoints: { Api: { Url: `http://127.0.0.1:${configPort}` } } } },
      web: (web) => web.configureKestrel((o: ServerOptions) => o.listen("127.0.0.1", codePort)),
    });
    expect(host.server!.addresses).toEqual([`http://127.0.0.1:${port}`]);
    expect((await send(`${origin}/`)).status).toBe(200);
    expect(await Promise.all([isPortFree(urlPort), isPortFree(configPort), isPortFree(codePort)])).toEqual([true, true, true]);
    const info = logs.lines.find((l) => l.level === 30 && l.msg.startsWith("ASPNETCORE_PORT is set"))?.msg;
    expect(info).toContain(`listening only on http://127.0.0.1:${port}`);
    expect(info).toContain(`http://127.0.0.1:${codePort}`);
    expect(info).toContain(`Api (http://127.0.0.1:${configPort})`);
    expect(info).toContain(`http://127.0.0.1:${urlPort}`);
    expect(logs.lines.filter((l) => l.msg.startsWith("Now listening on:")).map((l) => l.msg)).toEqual([`Now listening on: http://127.0.0.1:${port}`]);
  });

  it.each(["0", "70000", "abc", "80x"])("fails the start naming ASPNETCORE_PORT for %j", async (value) => {
    const dir = await tempDir();
    cleanups.push(dir.cleanup);
    const logs = captureLogs();
    const host = Host.createDefaultBuilder([], { ASPNETCORE_PORT: value })
      .useContentRoot(dir.path)
      .configureLogging((_, o) => {
        o.destination = logs.destination;
        o.format = "json";
      })
      .configureWebHostDefaults((web) => web.configure((app) => app.run((ctx) => ctx.response.end("x"))))
      .build();
    hosts.push(host);
    await expect(host.start()).rejects.toMatchObject({ key: "ASPNETCORE_PORT", message: expect.stringContaining("ASPNETCORE_PORT") });
    expect(logs.lines.find((l) => l.level === 60)?.msg).toContain("ASPNETCORE_PORT");
  });

  it("stays off without the web defaults, and for a --PORT on the command line", async () => {
    const [port, iisPort] = await Promise.all([freePort(), freePort()]);
    const dir = await tempDir();
    cleanups.push(dir.cleanup);
    const plain = Host.createDefaultBuilder(["--urls", `http://127.0.0.1:${port}`], { ASPNETCORE_PORT: String(iisPort) })
      .useContentRoot(dir.path)
      .configureLogging((_, o) => void (o.destination = captureLogs().destination))
      .configureWebHost((web) => web.configure((app) => app.run((ctx) => ctx.response.end("x"))))
      .build();
    hosts.push(plain);
    await plain.start();
    expect(plain.server!.addresses).toEqual([`http://127.0.0.1:${port}`]);
    await plain.stop();

    const cli = Host.createDefaultBuilder(["--urls", `http://127.0.0.1:${port}`, "--PORT", String(iisPort)], {})
      .useContentRoot(dir.path)
      .configureLogging((_, o) => void (o.destination = captureLogs().destination))
      .configureWebHostDefaults((web) => web.configure((app) => app.run((ctx) => ctx.response.end("x"))))
      .build();
    hosts.push(cli);
    await cli.start();
    expect(cli.server!.addresses).toEqual([`http://127.0.0.1:${port}`]);
  });
});

describe("what the front forwards", () => {
  it("applies X-Forwarded-For and X-Forwarded-Proto from the loopback front, keeping X-Original-For", async () => {
    const { origin } = await startIisHost({ env: { ASPNETCORE_TOKEN: TOKEN } });
    const seen = (await send(`${origin}/`, { headers: { ...tokenHeader, "x-forwarded-for": "203.0.113.9:51000", "x-forwarded-proto": "https" } })).seen();
    expect(seen).toMatchObject({ remoteAddress: "203.0.113.9", scheme: "https" });
    expect(seen.originalFor).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it("exposes MS-ASPNETCORE-CLIENTCERT as the client certificate and removes the header", async () => {
    const { client } = await testPki();
    const der = new X509Certificate(client.cert).raw.toString("base64");
    const { origin } = await startIisHost();
    const seen = (await send(`${origin}/`, { headers: { [IIS_HEADERS.clientCert]: der } })).seen();
    expect(seen.clientCertSubject).toContain("CN=client.test");
    expect(seen.clientCertHeader).toBeNull();
  });

  it("ignores (and removes) a client certificate header that is not base64 DER, logging at debug", async () => {
    const { origin, logs } = await startIisHost({ env: { Logging__LogLevel__Default: "Debug" } });
    for (const bad of ["not base64!", Buffer.from("not a certificate").toString("base64")]) {
      const seen = (await send(`${origin}/`, { headers: { [IIS_HEADERS.clientCert]: bad } })).seen();
      expect(seen).toMatchObject({ clientCertSubject: null, clientCertHeader: null });
    }
    expect(logs.lines.filter((l) => l.level === 20 && l.msg.includes("MS-ASPNETCORE-CLIENTCERT"))).toHaveLength(2);
  });
});

describe("the request body size", () => {
  it("accepts a body over Kestrel's default 30,000,000-byte limit (the front enforces its own)", async () => {
    const { origin } = await startIisHost();
    const body = Buffer.alloc(31 * 1024 * 1024, 0x61);
    const res = await send(`${origin}/upload`, { method: "POST", body });
    expect(res.status).toBe(200);
    expect(res.seen().bodyBytes).toBe(body.length);
  });

  it("still lets configureKestrel set a limit", async () => {
    const { origin } = await startIisHost({ web: (web) => web.configureKestrel((o: ServerOptions) => void (o.limits.maxRequestBodySize = 1000)) });
    expect((await send(`${origin}/upload`, { method: "POST", body: Buffer.alloc(2000) })).status).toBe(413);
  });
});
