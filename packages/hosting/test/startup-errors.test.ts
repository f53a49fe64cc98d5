import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { Host } from "../src/index.js";
import { captureLogs, freePort, isPortFree, type LogLine, startNode, tempDir } from "./helpers.js";

const webApp = fileURLToPath(new URL("./fixtures/web-app.mjs", import.meta.url));
const webAppCatch = fileURLToPath(new URL("./fixtures/web-app-catch.mjs", import.meta.url));

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  await Promise.allSettled(cleanups.splice(0).map((c) => c()));
});

async function root(files: Record<string, unknown> = {}) {
  const dir = await tempDir(files);
  cleanups.push(dir.cleanup);
  return dir.path;
}

/** Occupies a port on 127.0.0.1 with a plain TCP server, as another process would. */
async function occupyPort(): Promise<number> {
  const server: Server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as { port: number }).port;
}

/** Runs a fixture to its exit; it must exit by itself (bounded by startNode's exit timeout). */
async function runToExit(file: string, args: string[], env: NodeJS.ProcessEnv, files: Record<string, unknown> = {}) {
  const cwd = await root(files);
  const app = startNode(file, args, { cwd, env: { ASPNETCORE_ENVIRONMENT: "Production", ...env } });
  cleanups.push(() => void app.process.kill("SIGKILL"));
  const code = await app.exit();
  const output = app.output();
  const json = output
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as LogLine);
  return { code, output, json, cwd };
}

const fatalOf = (json: LogLine[]) => json.find((l) => l.level === 60 && l.msg.startsWith("Unable to start the host"));

describe("an address already in use", () => {
  it("exits non-zero and logs the cause (await host.run() at the top level)", async () => {
    const port = await occupyPort();
    const { code, output, json } = await runToExit(webApp, ["--urls", `http://127.0.0.1:${port}`], {});
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(output).toContain("address already in use");
    expect(output).toContain(`127.0.0.1:${port}`);
    expect(fatalOf(json)?.msg).toContain("address already in use");
    expect(output).not.toContain("Now listening on");
    expect(output).not.toContain("Application started");
  });

  it("exits with code 1 from process.exitCode when the app catches run()'s rejection", async () => {
    const port = await occupyPort();
    const { code, output } = await runToExit(webAppCatch, ["--urls", `http://127.0.0.1:${port}`], {});
    expect(code).toBe(1);
    expect(output).toContain("address already in use");
  });

  it("names the key Kestrel:Endpoints:Api:Url in Development", async () => {
    const port = await occupyPort();
    const { code, output } = await runToExit(webApp, [], { ASPNETCORE_ENVIRONMENT: "Development", Kestrel__Endpoints__Api__Url: `http://127.0.0.1:${port}` });
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(output).toContain("address already in use");
    // The readable hint is Development only; the key also travels as a field.
    expect(output).toContain("(check the configuration key 'Kestrel:Endpoints:Api:Url')");
  });

  it("carries the key as a field of the JSON line in Production", async () => {
    const port = await occupyPort();
    const { code, json } = await runToExit(webApp, [], {}, { "appsettings.json": { Kestrel: { Endpoints: { Api: { Url: `http://127.0.0.1:${port}` } } } } });
    expect(code).not.toBe(0);
    const fatal = fatalOf(json);
    expect(fatal?.msg).toContain("address already in use");
    expect(fatal?.msg).not.toContain("check the configuration key");
    expect(fatal?.key).toBe("Kestrel:Endpoints:Api:Url");
  });
});

describe("a bad certificate path", () => {
  it("exits non-zero, naming the file and (Development) the key Kestrel:Certificates:Default:Path", async () => {
    const { code, output, cwd } = await runToExit(webApp, ["--urls", "http://127.0.0.1:0"], {
      ASPNETCORE_ENVIRONMENT: "Development",
      Kestrel__Certificates__Default__Path: "certs/missing-cert.pfx",
    });
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    // Relative paths start at the content root (the working directory).
    expect(output).toContain(join(cwd, "certs", "missing-cert.pfx"));
    expect(output).toContain("(check the configuration key 'Kestrel:Certificates:Default:Path')");
    expect(output).not.toContain("Now listening on");
  });

  it("exits non-zero in Production too, the JSON line naming the file and carrying the key", async () => {
    const { code, json, cwd } = await runToExit(webApp, ["--urls", "http://127.0.0.1:0"], {}, {
      "appsettings.json": { Kestrel: { Certificates: { Default: { Path: "missing-cert.pfx", Password: "x" } } } },
    });
    expect(code).not.toBe(0);
    const fatal = fatalOf(json);
    expect(fatal?.msg).toContain(join(cwd, "missing-cert.pfx"));
    expect(fatal?.key).toBe("Kestrel:Certificates:Default:Path");
  });
});

describe("an invalid Kestrel:Limits value", () => {
  it("exits non-zero and names Kestrel:Limits:MaxRequestBodySize and the value", async () => {
    const { code, output, json } = await runToExit(webApp, ["--urls", "http://127.0.0.1:0", "--Kestrel:Limits:MaxRequestBodySize", "ten"], {});
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(output).toContain("Kestrel:Limits:MaxRequestBodySize");
    const fatal = fatalOf(json);
    expect(fatal?.msg).toContain("Kestrel:Limits:MaxRequestBodySize");
    expect(fatal?.msg).toContain("'ten'");
    expect(fatal?.key).toBe("Kestrel:Limits:MaxRequestBodySize");
    expect(output).not.toContain("Now listening on");
  });

  it("names the key in Development as well, from appsettings.Development.json", async () => {
    const { code, output } = await runToExit(webAppCatch, ["--urls", "http://127.0.0.1:0"], { ASPNETCORE_ENVIRONMENT: "Development" }, {
      "appsettings.Development.json": { Kestrel: { Limits: { MaxRequestBodySize: "-" } } },
    });
    expect(code).toBe(1);
    expect(output).toContain("check the configuration key 'Kestrel:Limits:MaxRequestBodySize'");
  });
});

describe("in-process start() failures", () => {
  function build(args: string[]) {
    const logs = captureLogs();
    const host = Host.createDefaultBuilder(args, {})
      .configureLogging((_, o) => {
        o.destination = logs.destination;
        o.format = "json";
      })
      .configureWebHostDefaults((web) => web.configure((app) => app.run((ctx) => ctx.response.end("hi"))))
      .build();
    cleanups.push(() => host.stop());
    return { host, logs };
  }

  it("releases the addresses already bound when a later one is in use", async () => {
    const taken = await occupyPort();
    const free = await freePort();
    const { host, logs } = build(["--urls", `http://127.0.0.1:${free};http://127.0.0.1:${taken}`]);
    await expect(host.start()).rejects.toThrow(/address already in use/);
    expect(await isPortFree(free)).toBe(true);
    expect(logs.lines.filter((l) => l.msg.startsWith("Now listening on"))).toEqual([]);
    expect(host.lifetime.applicationStarted.aborted).toBe(false);
  });

  it.each(["notaurl", "http://127.0.0.1:99999"])("rejects --urls %s, naming the key urls", async (url) => {
    const { host, logs } = build(["--urls", url]);
    await expect(host.start()).rejects.toThrow(url);
    expect(logs.lines.find((l) => l.level === 60)?.key).toBe("urls");
  });
});
