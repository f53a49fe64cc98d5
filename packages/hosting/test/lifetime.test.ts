import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import { Agent, request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { type AppHost, Host, type WebHostBuilder } from "../src/index.js";
import { captureLogs, type Child, type LogLine, startNode, tempDir } from "./helpers.js";

const hosts: AppHost[] = [];
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  await Promise.allSettled(hosts.splice(0).map((h) => h.stop()));
  await Promise.allSettled(cleanups.splice(0).map((c) => c()));
});

const hello = (web: WebHostBuilder) => web.configure((app) => app.run((ctx) => ctx.response.end("hi")));
const webApp = fileURLToPath(new URL("./fixtures/web-app.mjs", import.meta.url));
const webAppThrowingListener = fileURLToPath(new URL("./fixtures/web-app-throwing-listener.mjs", import.meta.url));

async function root(files: Record<string, unknown> = {}) {
  const dir = await tempDir(files);
  cleanups.push(dir.cleanup);
  return dir.path;
}

async function build(options: { files?: Record<string, unknown>; configure?: (web: WebHostBuilder) => void } = {}) {
  const dir = await root(options.files);
  const logs = captureLogs();
  const host = Host.createDefaultBuilder(["--urls", "http://127.0.0.1:0"], {})
    .useContentRoot(dir)
    .configureLogging((_, o) => {
      o.destination = logs.destination;
      o.format = "json";
    })
    .configureWebHostDefaults(options.configure ?? hello)
    .build();
  hosts.push(host);
  return { host, logs };
}

function recordEvents(host: AppHost): string[] {
  const events: string[] = [];
  host.lifetime.applicationStarted.addEventListener("abort", () => events.push("started"));
  host.lifetime.applicationStopping.addEventListener("abort", () => events.push("stopping"));
  host.lifetime.applicationStopped.addEventListener("abort", () => events.push("stopped"));
  return events;
}

/** True when a TCP connection to the port is refused. */
function refused(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "ECONNREFUSED"));
  });
}

async function waitUntil(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const messages = (lines: LogLine[]) => lines.map((l) => l.msg);

describe("lifetime events", () => {
  it("fire started, stopping, stopped in order around start() and stop(), for an embedded host", async () => {
    const { host, logs } = await build();
    const events = recordEvents(host);
    expect(host.lifetime.applicationStarted.aborted).toBe(false);
    await host.start();
    expect(events).toEqual(["started"]);
    // Started fires once the server listens: a request is answered.
    const res = await request(`${host.server!.addresses[0]}/`);
    expect(await res.body.text()).toBe("hi");
    await host.stop();
    expect(events).toEqual(["started", "stopping", "stopped"]);
    expect(host.lifetime.applicationStopped.aborted).toBe(true);
    const logged = messages(logs.lines);
    const started = logged.indexOf("Application started. Press Ctrl+C to shut down.");
    const stopping = logged.indexOf("Application is shutting down...");
    expect(started).toBeGreaterThan(logged.findIndex((m) => m.startsWith("Now listening on: ")));
    expect(stopping).toBeGreaterThan(started);
  });

  it("stopApplication() makes run() return after a stop, with the events in order", async () => {
    const { host } = await build();
    const events = recordEvents(host);
    let served = "";
    host.lifetime.applicationStarted.addEventListener("abort", () => {
      // Serve one real request, then ask the host to stop.
      void request(`${host.server!.addresses[0]}/`)
        .then((r) => r.body.text())
        .then((text) => {
          served = text;
          host.lifetime.stopApplication();
        });
    });
    await host.run();
    expect(served).toBe("hi");
    expect(events).toEqual(["started", "stopping", "stopped"]);
    const { port } = new URL(host.server!.addresses[0]!);
    expect(await refused(Number(port))).toBe(true);
  });

  it("stopApplication() before run() still starts, then stops at once", async () => {
    const { host } = await build();
    const events = recordEvents(host);
    host.lifetime.stopApplication();
    host.lifetime.stopApplication();
    await host.run();
    expect(events).toEqual(["started", "stopping", "stopped"]);
  });

  it("stop() is idempotent: concurrent and later calls share one shutdown", async () => {
    const { host, logs } = await build();
    let stopping = 0;
    host.lifetime.applicationStopping.addEventListener("abort", () => stopping++);
    await host.start();
    const first = host.stop();
    const second = host.stop();
    expect(second).toBe(first);
    await Promise.all([first, second]);
    await host.stop();
    expect(stopping).toBe(1);
    expect(messages(logs.lines).filter((m) => m === "Application is shutting down...")).toHaveLength(1);
    await expect(host.start()).rejects.toThrow(/already been started/);
  });

  it("stop() before start() resolves, fires nothing, and the host cannot start afterwards", async () => {
    const { host } = await build();
    const events = recordEvents(host);
    await host.stop();
    await host.stop();
    expect(events).toEqual([]);
    await expect(host.start()).rejects.toThrow(/already been started/);
    expect(host.server).toBeNull();
  });

  it("stop() while start() is still binding: the events stay in order and nothing listens afterwards", async () => {
    const { host, logs } = await build();
    const events = recordEvents(host);
    const started = host.start().then(
      () => "resolved",
      () => "rejected",
    );
    const stopped = host.stop();
    await Promise.all([started, stopped]);
    // Either the stop waits for the start (started, stopping, stopped) or the start is cancelled (stopping, stopped);
    // "started" after "stopping" tells the app it is running when it is shutting down.
    for (const url of host.server?.addresses ?? []) expect(await refused(Number(new URL(url).port))).toBe(true);
    expect(events.join(",")).toMatch(/^(started,stopping,stopped|stopping,stopped)$/);
    const logged = messages(logs.lines);
    const startedLog = logged.indexOf("Application started. Press Ctrl+C to shut down.");
    if (startedLog !== -1) expect(startedLog).toBeLessThan(logged.indexOf("Application is shutting down..."));
  });

  it("start() twice rejects the second call and keeps the first server", async () => {
    const { host } = await build();
    await host.start();
    await expect(host.start()).rejects.toThrow(/already been started/);
    const res = await request(`${host.server!.addresses[0]}/`);
    expect(res.statusCode).toBe(200);
    await res.body.dump();
  });
});

describe("ShutdownTimeoutSeconds", () => {
  it("bounds how long stop() waits for a request that never completes, then aborts it", async () => {
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    let aborted = false;
    let release!: () => void;
    const never = new Promise<void>((r) => (release = r));
    cleanups.push(() => release());
    const { host, logs } = await build({
      files: { "appsettings.json": { ShutdownTimeoutSeconds: "1" } },
      configure: (web) =>
        web.configure((app) =>
          app.run(async (ctx) => {
            ctx.requestAborted.addEventListener("abort", () => (aborted = true));
            await ctx.response.write("partial");
            entered();
            await never;
          }),
        ),
    });
    expect(host.shutdownTimeoutMs).toBe(1000);
    await host.start();
    const url = host.server!.addresses[0]!;
    const res = await request(`${url}/`);
    expect(res.statusCode).toBe(200);
    const body = res.body.text();
    await inside;
    const events = recordEvents(host);
    // Well above the 1 s timeout and far below the 30 s default: stop() returning inside it is the assertion.
    const outcome = await Promise.race([host.stop().then(() => "stopped"), new Promise((r) => setTimeout(() => r("still waiting"), 10_000))]);
    expect(outcome).toBe("stopped");
    expect(events).toEqual(["stopping", "stopped"]);
    // The client saw the connection closed before the response completed.
    await expect(body).rejects.toThrow();
    expect(aborted).toBe(true);
    expect(logs.lines.some((l) => l.level === 40 && l.msg.includes("failed to close gracefully"))).toBe(true);
    expect(await refused(Number(new URL(url).port))).toBe(true);
  });

  it("fails to start, naming the key, when ShutdownTimeoutSeconds is not a number", async () => {
    const { host } = await build({ files: { "appsettings.json": { ShutdownTimeoutSeconds: "soon" } } });
    await expect(host.start()).rejects.toThrow(/shutdownTimeoutSeconds/i);
    expect(host.server?.addresses ?? []).toEqual([]);
  });

  it("still closes the listener when ShutdownTimeoutSeconds becomes invalid while running", async () => {
    const { host } = await build();
    await host.start();
    const server = host.server!;
    cleanups.push(() => server.stop(0));
    const { port } = new URL(server.addresses[0]!);
    host.configuration.set("ShutdownTimeoutSeconds", "soon");
    await host.stop();
    expect(host.lifetime.applicationStopped.aborted).toBe(true);
    expect(await refused(Number(port))).toBe(true);
  });
});

describe("the shutdown timeout setting", () => {
  it("is 30 s by default, and useShutdownTimeout(ms) in code sets it", async () => {
    const { host } = await build();
    expect(host.shutdownTimeoutMs).toBe(30_000);
    const { host: coded } = await build({ configure: (web) => hello(web).useShutdownTimeout(2500) });
    expect(coded.shutdownTimeoutMs).toBe(2500);
  });
});

describe("signals (child process)", () => {
  function start(file = webApp): Child {
    const app = startNode(file, ["--urls", "http://127.0.0.1:0"], { env: { ASPNETCORE_ENVIRONMENT: "Production" } });
    cleanups.push(() => void app.process.kill("SIGKILL"));
    return app;
  }

  const received = (app: Child) => app.output().includes('"msg":"Fixture received /slow"');

  it.each(["SIGTERM", "SIGINT"] as const)("%s lets the in-flight request finish, then exits 0", async (signal) => {
    const app = start();
    const [url] = await app.listening();
    // A fresh connection of its own, so nothing else shares it.
    const agent = new Agent({ pipelining: 0 });
    cleanups.push(() => agent.close());
    const pending = request(`${url}/slow?ms=500`, { dispatcher: agent });
    await waitUntil("the app to receive /slow", () => received(app) || app.process.exitCode !== null);
    expect(app.process.kill(signal)).toBe(true);
    const res = await pending;
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-length"]).toBe("9");
    expect(await res.body.text()).toBe("slow done");
    expect(await app.exit()).toBe(0);
    const lines = app
      .output()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as LogLine);
    const logged = messages(lines);
    expect(logged).toContain(`${signal} received; shutting down`);
    expect(logged).toContain("Application is shutting down...");
    expect(logged.indexOf("Application is shutting down...")).toBeGreaterThan(logged.indexOf("Fixture received /slow"));
  });

  it("exits soon after ShutdownTimeoutSeconds even when the app's work is still pending (requests aborted and logged)", async () => {
    const app = startNode(webApp, ["--urls", "http://127.0.0.1:0", "--ShutdownTimeoutSeconds", "1"], { env: { ASPNETCORE_ENVIRONMENT: "Production" } });
    cleanups.push(() => void app.process.kill("SIGKILL"));
    const [url] = await app.listening();
    const pending = request(`${url}/slow?ms=20000`).then(
      () => "answered",
      () => "connection lost",
    );
    await waitUntil("the app to receive /slow", () => received(app) || app.process.exitCode !== null);
    const signalled = Date.now();
    app.process.kill("SIGTERM");
    expect(await app.exit()).toBe(0);
    // 1 s of shutdown timeout, up to 1 s to abort, 2 s of grace: well under the app's 20 s.
    expect(Date.now() - signalled).toBeLessThan(6_000);
    expect(await pending).toBe("connection lost");
    expect(app.output()).toContain("Some connections failed to close gracefully during server shutdown; aborting them");
    expect(app.output()).toContain("still had work pending");
  });

  it("an applicationStopping listener that throws does not cut the graceful shutdown short", async () => {
    const app = start(webAppThrowingListener);
    const [url] = await app.listening();
    const pending = request(`${url}/slow?ms=500`);
    await waitUntil("the app to receive /slow", () => received(app) || app.process.exitCode !== null);
    app.process.kill("SIGTERM");
    const res = await pending;
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe("slow done");
    expect(await app.exit()).toBe(0);
    expect(app.output()).toContain("cleanup failed in an applicationStopping listener");
  });

  it("a second SIGTERM stops waiting for the in-flight request and terminates the process", async () => {
    const app = start();
    const [url] = await app.listening();
    const pending = request(`${url}/slow?ms=8000`).then(
      () => "answered",
      () => "connection lost",
    );
    await waitUntil("the app to receive /slow", () => received(app) || app.process.exitCode !== null);
    app.process.kill("SIGTERM");
    await waitUntil("the shutdown to begin", () => app.output().includes("Application is shutting down...") || app.process.exitCode !== null);
    app.process.kill("SIGTERM");
    const code = await app.exit();
    expect(code).toBeNull();
    expect(app.process.signalCode).toBe("SIGTERM");
    expect(await pending).toBe("connection lost");
  });

  it("refuses new connections after SIGTERM while an in-flight request is still running", async () => {
    const app = start();
    const [url] = await app.listening();
    const port = Number(new URL(url!).port);
    let settled = false;
    const pending = request(`${url}/slow?ms=2500`).finally(() => (settled = true));
    await waitUntil("the app to receive /slow", () => received(app) || app.process.exitCode !== null);
    app.process.kill("SIGTERM");
    // Poll (bounded) until a new connection is refused; the listener closes before the in-flight request ends.
    let wasRefused = false;
    for (let i = 0; i < 100 && !settled && !wasRefused; i++) {
      wasRefused = await refused(port);
      if (!wasRefused) await new Promise((r) => setTimeout(r, 20));
    }
    expect(wasRefused).toBe(true);
    expect(settled).toBe(false);
    expect(app.process.exitCode).toBeNull();
    const res = await pending;
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe("slow done");
    expect(await app.exit()).toBe(0);
  });
});

describe("lifetime callbacks (onStarted, onStopping, onStopped)", () => {
  it("run in order; async stopping callbacks finish while the server still serves; a throwing one is logged and the stop goes on", async () => {
    const { host, logs } = await build();
    const order: string[] = [];
    host.lifetime.onStarted(() => void order.push("started"));
    host.lifetime.onStopping(() => {
      throw new Error("cleanup failed");
    });
    let servedDuringStopping = 0;
    host.lifetime.onStopping(async () => {
      order.push("stopping");
      // Deregistering from a load balancer, say: the server still answers meanwhile.
      const res = await request(`${host.server!.addresses[0]}/`);
      servedDuringStopping = res.statusCode;
      await res.body.dump();
    });
    const off = host.lifetime.onStopped(() => void order.push("never"));
    off();
    host.lifetime.onStopped(() => void order.push("stopped"));
    await host.start();
    await host.stop();
    expect(order).toEqual(["started", "stopping", "stopped"]);
    expect(servedDuringStopping).toBe(200);
    expect(logs.lines.some((l) => l.msg === "An error occurred in an application stopping callback" && (l.err as { message: string }).message === "cleanup failed")).toBe(true);
    // Registered after the event: runs at once.
    let late = false;
    host.lifetime.onStopped(() => {
      late = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(late).toBe(true);
  });
});
