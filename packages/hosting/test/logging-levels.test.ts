import { writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { type AppHost, Host, LogLevelRules, type WebHostBuilder } from "../src/index.js";
import { captureLogs, type LogLine, startNode, tempDir } from "./helpers.js";

const hosts: AppHost[] = [];
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  await Promise.allSettled(hosts.splice(0).map((h) => h.stop()));
  await Promise.allSettled(cleanups.splice(0).map((c) => c()));
});

const hello = (web: WebHostBuilder) => web.configure((app) => app.run((ctx) => ctx.response.end("hi")));
const webApp = fileURLToPath(new URL("./fixtures/web-app.mjs", import.meta.url));

async function root(files: Record<string, unknown> = {}) {
  const dir = await tempDir(files);
  cleanups.push(dir.cleanup);
  return dir.path;
}

/** A host whose log lines are captured as JSON; `logging` becomes appsettings.json's Logging section. */
async function build(logging: Record<string, unknown>, options: { args?: string[]; env?: NodeJS.ProcessEnv; settings?: Record<string, unknown> } = {}) {
  const dir = await root({ "appsettings.json": { ...options.settings, Logging: logging } });
  const logs = captureLogs();
  const host = Host.createDefaultBuilder(options.args ?? [], options.env ?? {})
    .useContentRoot(dir)
    .configureLogging((_, o) => {
      o.destination = logs.destination;
      o.format = "json";
    })
    .configureWebHostDefaults(hello)
    .build();
  hosts.push(host);
  return { host, logs, dir };
}

const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;
const PINO_NUMBER = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;

/** Emits one line per level with a unique tag and returns the levels that were written. */
function emitted(host: AppHost, lines: LogLine[], category: string, tag = category): string[] {
  const logger = host.loggerFactory.createLogger(category);
  for (const level of LEVELS) logger[level](`${tag} ${level}`);
  return lines
    .filter((l) => l.category === category && typeof l.msg === "string" && l.msg.startsWith(`${tag} `))
    .map((l) => {
      const level = l.msg.slice(tag.length + 1);
      expect(l.level).toBe(PINO_NUMBER[level as keyof typeof PINO_NUMBER]);
      return level;
    });
}

async function waitUntil(what: string, condition: () => boolean, timeoutMs = 8_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("Logging:LogLevel level names", () => {
  it.each([
    ["Trace", ["trace", "debug", "info", "warn", "error", "fatal"]],
    ["Debug", ["debug", "info", "warn", "error", "fatal"]],
    ["Information", ["info", "warn", "error", "fatal"]],
    ["Warning", ["warn", "error", "fatal"]],
    ["Error", ["error", "fatal"]],
    ["Critical", ["fatal"]],
    ["None", []],
  ])("Default = %s", async (name, expected) => {
    const { host, logs } = await build({ LogLevel: { Default: name } });
    expect(emitted(host, logs.lines, "Some.Category")).toEqual(expected);
  });

  it("accepts level names in any case", async () => {
    const { host, logs } = await build({ LogLevel: { Default: "wARNING", "Some.Other": "critical" } });
    expect(emitted(host, logs.lines, "Some.Category")).toEqual(["warn", "error", "fatal"]);
    expect(emitted(host, logs.lines, "Some.Other")).toEqual(["fatal"]);
  });

  it("defaults to Information without any Logging section", async () => {
    const { host, logs } = await build({});
    expect(emitted(host, logs.lines, "Some.Category")).toEqual(["info", "warn", "error", "fatal"]);
  });

  it("rejects an unknown level, naming the key and the value", async () => {
    const dir = await root({ "appsettings.json": { Logging: { LogLevel: { Default: "Information", "X.Server": "Loud" } } } });
    const builder = Host.createDefaultBuilder([], {})
      .useContentRoot(dir)
      .configureLogging((_, o) => {
        o.destination = captureLogs().destination;
        o.format = "json";
      })
      .configureWebHostDefaults(hello);
    let error: unknown;
    try {
      hosts.push(builder.build());
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain("Logging:LogLevel:X.Server");
    expect((error as Error).message).toContain("'Loud'");
    expect((error as { key?: string }).key).toBe("Logging:LogLevel:X.Server");
  });
});

describe("per-category levels", () => {
  it("applies the longest matching category prefix, else Default", async () => {
    const { host, logs } = await build({
      LogLevel: { Default: "Error", "X.Server": "Debug", "X.Server.AccessLog": "Warning", "X.Server.AccessLog.Verbose": "Trace" },
    });
    expect(emitted(host, logs.lines, "X.Server")).toEqual(["debug", "info", "warn", "error", "fatal"]);
    expect(emitted(host, logs.lines, "X.Server.Connections")).toEqual(["debug", "info", "warn", "error", "fatal"]);
    expect(emitted(host, logs.lines, "X.Server.AccessLog")).toEqual(["warn", "error", "fatal"]);
    expect(emitted(host, logs.lines, "X.Server.AccessLog.Verbose")).toEqual(LEVELS.slice());
    expect(emitted(host, logs.lines, "X")).toEqual(["error", "fatal"]);
    expect(emitted(host, logs.lines, "Other.Category")).toEqual(["error", "fatal"]);
  });

  it("matches categories ignoring case, from any source (an environment variable over the file)", async () => {
    const { host, logs } = await build(
      { LogLevel: { Default: "Warning", "x.server": "Error" } },
      { env: { "Logging__LogLevel__X.SERVER": "Debug" } },
    );
    expect(emitted(host, logs.lines, "X.Server.Kestrel")).toEqual(["debug", "info", "warn", "error", "fatal"]);
    expect(emitted(host, logs.lines, "App")).toEqual(["warn", "error", "fatal"]);
  });

  it("X.Server.AccessLog at Information shows access lines while X.Server is at Warning; the reverse hides them (real socket)", async () => {
    async function accessLines(levels: Record<string, string>) {
      const { host, logs } = await build({ LogLevel: { Default: "Warning", ...levels } }, { args: ["--urls", "http://127.0.0.1:0"], settings: { AccessLog: { Enabled: true } } });
      await host.start();
      const { port } = new URL(host.server!.addresses[0]!);
      // Connection: close, and the server logs the access line before it closes: once the socket ends, the line is written.
      const response = await new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), "127.0.0.1");
        let data = "";
        socket.on("data", (d) => (data += d.toString("latin1")));
        socket.on("error", reject);
        socket.on("close", () => resolve(data));
        socket.write("GET /probe HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
      });
      expect(response.startsWith("HTTP/1.1 200")).toBe(true);
      return logs.lines.filter((l) => l.category === "X.Server.AccessLog");
    }
    const shown = await accessLines({ "X.Server": "Warning", "X.Server.AccessLog": "Information" });
    expect(shown.map((l) => l.msg)).toEqual(["GET /probe HTTP/1.1 200"]);
    expect(shown[0]!.level).toBe(30);
    const hidden = await accessLines({ "X.Server": "Information", "X.Server.AccessLog": "Warning" });
    expect(hidden).toEqual([]);
  });
});

describe("reloading appsettings.json", () => {
  it("applies new levels to loggers created before the change, and to new ones", async () => {
    const { host, logs, dir } = await build({ LogLevel: { Default: "Warning", "X.Server": "Error" } });
    const app = host.loggerFactory.createLogger("Some.Category");
    const server = host.loggerFactory.createLogger("X.Server.Connections");
    app.debug("before debug");
    server.warn("before warn");
    expect(logs.lines.filter((l) => l.msg.startsWith("before"))).toEqual([]);

    await writeFile(join(dir, "appsettings.json"), JSON.stringify({ Logging: { LogLevel: { Default: "Debug", "X.Server": "None" } } }));
    let probe = 0;
    await waitUntil("the new Default level to apply", () => {
      app.debug(`probe ${++probe}`);
      return logs.lines.some((l) => l.category === "Some.Category" && l.msg.startsWith("probe "));
    });
    expect(logs.lines.find((l) => l.msg.startsWith("probe "))!.level).toBe(20);
    expect(app.isLevelEnabled("trace")).toBe(false);
    // The X.Server rule was re-applied in the same reload: None silences everything.
    expect(emitted(host, logs.lines, "X.Server.Connections", "after")).toEqual([]);
    expect(server.isLevelEnabled("fatal")).toBe(false);
    expect(emitted(host, logs.lines, "Created.Later")).toEqual(["debug", "info", "warn", "error", "fatal"]);
  });

  it("keeps the previous levels, with a warning naming the key, when the new level is invalid", async () => {
    const { host, logs, dir } = await build({ LogLevel: { Default: "Warning" } });
    const app = host.loggerFactory.createLogger("Some.Category");
    await writeFile(join(dir, "appsettings.json"), JSON.stringify({ Logging: { LogLevel: { Default: "Verbose" } } }));
    await waitUntil("the warning about the invalid level", () => logs.lines.some((l) => l.msg.includes("Ignoring invalid Logging:LogLevel")));
    const warning = logs.lines.find((l) => l.msg.includes("Ignoring invalid Logging:LogLevel"))!;
    expect(warning.level).toBe(40);
    expect(JSON.stringify(warning.err)).toContain("Logging:LogLevel:Default");
    expect(JSON.stringify(warning.err)).toContain("Verbose");
    expect(app.isLevelEnabled("info")).toBe(false);
    expect(app.isLevelEnabled("warn")).toBe(true);
  });
});

/** A destination that keeps what pino writes, as text: a Writable stream, or (plain) only an object with write(). */
function rawCapture(kind: "stream" | "plain" = "stream") {
  const chunks: string[] = [];
  const destination =
    kind === "plain"
      ? { write: (s: string) => void chunks.push(s) }
      : new Writable({
          write(chunk: Buffer | string, _encoding, callback) {
            chunks.push(chunk.toString());
            callback();
          },
        });
  return { chunks, text: () => chunks.join(""), destination };
}

function isJsonLine(line: string): boolean {
  try {
    const value = JSON.parse(line) as unknown;
    return typeof value === "object" && value !== null;
  } catch {
    return false;
  }
}

describe("Logging:Console:FormatterName", () => {
  async function formatted(env: NodeJS.ProcessEnv, logging: Record<string, unknown>, kind: "stream" | "plain" = "stream") {
    const dir = await root({ "appsettings.json": { Logging: logging } });
    const raw = rawCapture(kind);
    const host = Host.createDefaultBuilder([], env)
      .useContentRoot(dir)
      .configureLogging((_, o) => {
        o.destination = raw.destination;
      })
      .configureWebHostDefaults(hello)
      .build();
    hosts.push(host);
    host.loggerFactory.createLogger("Format.Probe").warn("format probe");
    await waitUntil("the probe line", () => raw.text().includes("format probe"));
    return raw.text().split("\n").filter((l) => l.trim() !== "");
  }

  it("json writes JSON lines, even in Development", async () => {
    const lines = await formatted({ ASPNETCORE_ENVIRONMENT: "Development" }, { Console: { FormatterName: "json" } });
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(isJsonLine(line)).toBe(true);
    const probe = JSON.parse(lines.find((l) => l.includes("format probe"))!) as LogLine;
    expect(probe).toMatchObject({ level: 40, category: "Format.Probe", msg: "format probe" });
  });

  it("simple writes readable lines with the category before the message, even in Production", async () => {
    const lines = await formatted({}, { Console: { FormatterName: "Simple" } });
    const probe = lines.find((l) => l.includes("format probe"))!;
    expect(isJsonLine(probe)).toBe(false);
    expect(probe).toContain("Format.Probe: format probe");
    expect(probe).toMatch(/WARN/);
  });

  it("defaults to readable lines in Development and JSON lines otherwise", async () => {
    const dev = await formatted({ ASPNETCORE_ENVIRONMENT: "Development" }, {});
    expect(dev.some((l) => l.includes("Format.Probe: format probe"))).toBe(true);
    expect(dev.some(isJsonLine)).toBe(false);
    const prod = await formatted({}, {});
    expect(prod.every(isJsonLine)).toBe(true);
  });

  it("writes readable lines to a destination that is only { write() } (pino.DestinationStream, as the option is typed)", async () => {
    const lines = await formatted({ ASPNETCORE_ENVIRONMENT: "Development" }, {}, "plain");
    expect(lines.some((l) => l.includes("Format.Probe: format probe"))).toBe(true);
    expect(lines.some(isJsonLine)).toBe(false);
  });

  it("rejects an unknown formatter, naming the key", async () => {
    const dir = await root({ "appsettings.json": { Logging: { Console: { FormatterName: "fancy" } } } });
    const builder = Host.createDefaultBuilder([], {}).useContentRoot(dir).configureWebHostDefaults(hello);
    expect(() => hosts.push(builder.build())).toThrow(/Logging:Console:FormatterName/);
  });
});

describe("console output of a child process", () => {
  async function run(environment: string) {
    const cwd = await root();
    const app = startNode(webApp, ["--urls", "http://127.0.0.1:0"], { cwd, env: { ASPNETCORE_ENVIRONMENT: environment } });
    try {
      await waitUntil("Now listening on", () => /Now listening on: http:\/\/127\.0\.0\.1:\d+/.test(app.output()) || app.process.exitCode !== null, 10_000);
      const url = /Now listening on: (http:\/\/127\.0\.0\.1:\d+)/.exec(app.output())![1]!;
      const res = await request(`${url}/`);
      expect(await res.body.text()).toBe("hello");
      app.process.kill("SIGTERM");
      expect(await app.exit()).toBe(0);
      return app.output().split("\n").filter((l) => l.trim() !== "");
    } finally {
      app.process.kill("SIGKILL");
    }
  }

  it("writes readable (non-JSON) lines in Development", async () => {
    const lines = await run("Development");
    expect(lines.some((l) => l.includes("Now listening on: http://127.0.0.1:"))).toBe(true);
    expect(lines.some((l) => l.includes("Hosting environment: Development"))).toBe(true);
    expect(lines.filter(isJsonLine)).toEqual([]);
    // Not a terminal: no colour codes.
    expect(lines.join("\n")).not.toContain("\u001b[");
  });

  it("writes JSON lines in Production", async () => {
    const lines = await run("Production");
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(isJsonLine(line)).toBe(true);
    const parsed = lines.map((l) => JSON.parse(l) as LogLine);
    expect(parsed.some((l) => l.category === "X.Hosting.Lifetime" && l.msg.startsWith("Now listening on: http://127.0.0.1:"))).toBe(true);
    expect(parsed.some((l) => l.msg === "Hosting environment: Production")).toBe(true);
  });
});

describe("category rules, as .NET's LoggerRuleSelector", () => {
  it("match by prefix ignoring case, allow one '*', and let the longest matching rule win", () => {
    const rules = new LogLevelRules(
      [
        ["X.Server", "warn"],
        ["x.server.http1", "debug"],
        ["X.*.Https", "error"],
      ],
      "info",
    );
    expect(rules.levelFor("X.Server.Http1.Parser")).toBe("debug");
    expect(rules.levelFor("X.Server.Http2")).toBe("warn");
    expect(rules.levelFor("X.ServerFoo")).toBe("warn");
    expect(rules.levelFor("X.Server.Https")).toBe("error");
    expect(rules.levelFor("X.Proxy.Https")).toBe("error");
    expect(rules.levelFor("Y.Other")).toBe("info");
  });
});
