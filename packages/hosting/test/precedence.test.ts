import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { type AppHost, bind, ConfigurationBindingError, ConfigurationErrorCode, Host, parseTimeSpan, type WebHostBuilder } from "../src/index.js";
import { captureLogs, freePort, isPortFree, tempDir } from "./helpers.js";

const hosts: AppHost[] = [];
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  // stop() also disposes configuration (and its appsettings.json watchers) of hosts never started.
  await Promise.allSettled(hosts.splice(0).map((h) => h.stop()));
  await Promise.allSettled(cleanups.splice(0).map((c) => c()));
});

const hello = (web: WebHostBuilder) => web.configure((app) => app.run((ctx) => ctx.response.end("hi")));

async function root(files: Record<string, unknown> = {}) {
  const dir = await tempDir(files);
  cleanups.push(dir.cleanup);
  return dir.path;
}

interface BuildOptions {
  args?: string[];
  env?: NodeJS.ProcessEnv;
  files?: Record<string, unknown>;
  memory?: Record<string, string>;
  web?: boolean;
}

async function build(options: BuildOptions = {}) {
  const dir = await root(options.files);
  const logs = captureLogs();
  let builder = Host.createDefaultBuilder(options.args ?? [], options.env ?? {})
    .useContentRoot(dir)
    .configureLogging((_, o) => {
      o.destination = logs.destination;
      o.format = "json";
    });
  if (options.memory !== undefined) {
    const memory = options.memory;
    builder = builder.configureAppConfiguration((_, b) => b.addInMemoryCollection(memory));
  }
  if (options.web ?? true) builder = builder.configureWebHostDefaults(hello);
  const host = builder.build();
  hosts.push(host);
  return { host, logs, dir };
}

// Every source createDefaultBuilder reads, lowest precedence first, plus an
// in-memory source the app adds in code (after the defaults, so it wins).
// `ASPNETCORE_ENVIRONMENT=Staging` is set for every case, so the environment
// file is appsettings.Staging.json.
type Source = { name: string; apply(o: Required<Pick<BuildOptions, "args" | "env" | "files" | "memory">>, key: string, value: string): void };

const envName = (key: string) => key.replaceAll(":", "__");
const mergeFile = (files: Record<string, unknown>, name: string, key: string, value: string) => {
  // Nested JSON objects, as appsettings.json is usually written.
  const file = (files[name] ??= {}) as Record<string, unknown>;
  const segments = key.split(":");
  let node = file;
  for (const s of segments.slice(0, -1)) node = (node[s] ??= {}) as Record<string, unknown>;
  node[segments.at(-1)!] = value;
};

const SOURCES: Source[] = [
  { name: "DOTNET_ environment variables", apply: (o, k, v) => void (o.env[`DOTNET_${envName(k)}`] = v) },
  { name: "ASPNETCORE_ environment variables", apply: (o, k, v) => void (o.env[`ASPNETCORE_${envName(k)}`] = v) },
  { name: "appsettings.json", apply: (o, k, v) => mergeFile(o.files, "appsettings.json", k, v) },
  { name: "appsettings.Staging.json", apply: (o, k, v) => mergeFile(o.files, "appsettings.Staging.json", k, v) },
  { name: "unprefixed environment variables", apply: (o, k, v) => void (o.env[envName(k)] = v) },
  { name: "the command line", apply: (o, k, v) => void o.args.push(`--${k}`, v) },
  { name: "an in-memory source added in code", apply: (o, k, v) => void (o.memory[k] = v) },
];

const PAIRS = SOURCES.flatMap((low, i) => SOURCES.slice(i + 1).map((high) => [low.name, high.name, low, high] as const));

describe("configuration precedence, source by source", () => {
  it.each(PAIRS)("%s < %s", async (_l, _h, low, high) => {
    const o = { args: [] as string[], env: { ASPNETCORE_ENVIRONMENT: "Staging" } as NodeJS.ProcessEnv, files: {}, memory: {} };
    low.apply(o, "Precedence:Value", "low");
    high.apply(o, "Precedence:Value", "high");
    // A second key only the lower source sets: it must still be visible.
    low.apply(o, "Precedence:OnlyLow", "low-only");
    const { host } = await build(o);
    expect(host.environment.environmentName).toBe("Staging");
    expect(host.configuration.get("Precedence:Value")).toBe("high");
    expect(host.configuration.get("precedence:onlylow")).toBe("low-only");
  });

  it("layers all sources: each key comes from the highest source that sets it", async () => {
    const o = { args: [] as string[], env: { ASPNETCORE_ENVIRONMENT: "Staging" } as NodeJS.ProcessEnv, files: {}, memory: {} };
    // Key i is set by sources 0..i; source i must win it.
    SOURCES.forEach((_, i) => {
      for (let j = 0; j <= i; j++) SOURCES[j]!.apply(o, `All:Key${i}`, `from-${j}`);
    });
    const { host } = await build(o);
    const section = host.configuration.getSection("All");
    const seen = Object.fromEntries(section.getChildren().map((c) => [c.key, c.value]));
    expect(seen).toEqual(Object.fromEntries(SOURCES.map((_, i) => [`Key${i}`, `from-${i}`])));
  });
});

describe("host configuration", () => {
  it("takes the environment from DOTNET_ENVIRONMENT, and ASPNETCORE_ENVIRONMENT wins over it", async () => {
    const files = { "appsettings.Staging.json": { Which: "staging" }, "appsettings.Testing.json": { Which: "testing" } };
    const { host: dotnet } = await build({ env: { DOTNET_ENVIRONMENT: "Testing" }, files });
    expect(dotnet.environment.environmentName).toBe("Testing");
    expect(dotnet.configuration.get("Which")).toBe("testing");
    const { host: both } = await build({ env: { DOTNET_ENVIRONMENT: "Testing", ASPNETCORE_ENVIRONMENT: "Staging" }, files });
    expect(both.environment.environmentName).toBe("Staging");
    expect(both.configuration.get("Which")).toBe("staging");
  });

  it("reads ASPNETCORE_ variables only for a web host; a plain generic host reads DOTNET_ only", async () => {
    const env = { DOTNET_ENVIRONMENT: "Testing", ASPNETCORE_ENVIRONMENT: "Staging" };
    const { host } = await build({ env, web: false });
    expect(host.environment.environmentName).toBe("Testing");
  });

  it("takes --environment from the command line over both environment variables, and useEnvironment in code over all", async () => {
    const files = { "appsettings.Staging.json": { Which: "staging" }, "appsettings.Testing.json": { Which: "testing" } };
    const env = { DOTNET_ENVIRONMENT: "Development", ASPNETCORE_ENVIRONMENT: "Development" };
    const { host } = await build({ args: ["--environment", "Testing"], env, files });
    expect(host.environment.environmentName).toBe("Testing");
    expect(host.configuration.get("Which")).toBe("testing");

    const dir = await root(files);
    const coded = Host.createDefaultBuilder(["--environment", "Testing"], env).useContentRoot(dir).useEnvironment("Staging").configureWebHostDefaults(hello).build();
    hosts.push(coded);
    expect(coded.environment.environmentName).toBe("Staging");
    expect(coded.configuration.get("Which")).toBe("staging");
  });

  it("reads appsettings.json from the content root given by ASPNETCORE_CONTENTROOT, or by --contentRoot over it", async () => {
    const [fromEnv, fromArgs] = [await root({ "appsettings.json": { Which: "env" } }), await root({ "appsettings.json": { Which: "args" } })];
    const env = Host.createDefaultBuilder([], { ASPNETCORE_CONTENTROOT: fromEnv }).configureWebHostDefaults(hello).build();
    hosts.push(env);
    expect(env.environment.contentRootPath).toBe(fromEnv);
    expect(env.configuration.get("Which")).toBe("env");
    const args = Host.createDefaultBuilder(["--contentRoot", fromArgs], { ASPNETCORE_CONTENTROOT: fromEnv }).configureWebHostDefaults(hello).build();
    hosts.push(args);
    expect(args.environment.contentRootPath).toBe(fromArgs);
    expect(args.configuration.get("Which")).toBe("args");
  });

  it("defaults to Production and treats both appsettings files as optional", async () => {
    const { host: none } = await build();
    expect(none.environment.environmentName).toBe("Production");
    expect(none.configuration.get("Anything")).toBeUndefined();
    // An environment without its own file: appsettings.json alone applies.
    const { host } = await build({ env: { ASPNETCORE_ENVIRONMENT: "NoSuchFile" }, files: { "appsettings.json": { A: "base" }, "appsettings.Production.json": { A: "prod" } } });
    expect(host.environment.environmentName).toBe("NoSuchFile");
    expect(host.configuration.get("A")).toBe("base");
  });
});

describe("keys", () => {
  it("compare case-insensitively across sources: one section per key whatever the spelling", async () => {
    const { host } = await build({
      files: { "appsettings.json": { Shared: { Mixed: "file", Other: "file" } } },
      env: { SHARED__MIXED: "env" },
      args: ["--shared:OTHER", "cmd"],
    });
    expect(host.configuration.get("shared:mixed")).toBe("env");
    expect(host.configuration.get("SHARED:OTHER")).toBe("cmd");
    const children = host.configuration.getSection("Shared").getChildren();
    // The command line is also part of the host configuration, the first source, so its spelling may name the key.
    expect(children.map((c) => c.key.toLowerCase())).toEqual(["mixed", "other"]);
    expect(children.map((c) => c.value)).toEqual(["env", "cmd"]);
  });

  it("turn __ in environment variable names into : (at any depth, with and without a prefix)", async () => {
    const { host } = await build({ env: { A__B__C__D: "deep", ASPNETCORE_Host__Key: "host", DOTNET_Other__Key: "other" } });
    expect(host.configuration.get("A:B:C:D")).toBe("deep");
    expect(host.configuration.getSection("A").getSection("B:C").get("D")).toBe("deep");
    expect(host.configuration.get("Host:Key")).toBe("host");
    expect(host.configuration.get("Other:Key")).toBe("other");
  });
});

describe("the command line", () => {
  it("accepts --key value, --key=value, /key value, /key=value and key=value, each over the environment", async () => {
    const env = { Cli__A: "env", Cli__B: "env", Cli__C: "env", Cli__D: "env", Cli__E: "env" };
    const { host } = await build({ env, args: ["--Cli:A", "a", "--Cli:B=b", "/Cli:C", "c", "/Cli:D=d", "Cli:E=e"] });
    expect(["A", "B", "C", "D", "E"].map((k) => host.configuration.get(`Cli:${k}`))).toEqual(["a", "b", "c", "d", "e"]);
  });

  it("lets the last occurrence of a key win, and keeps values containing '=' whole", async () => {
    const { host } = await build({ args: ["--Cli:A", "first", "--cli:a=second", "--Cli:Conn=Server=x;Port=1"] });
    expect(host.configuration.get("Cli:A")).toBe("second");
    expect(host.configuration.get("Cli:Conn")).toBe("Server=x;Port=1");
  });

  it("binds --urls over urls from appsettings.json and ASPNETCORE_URLS (real socket)", async () => {
    const [fromFile, fromEnv] = [await freePort(), await freePort()];
    const { host } = await build({
      args: ["--urls", "http://127.0.0.1:0"],
      env: { ASPNETCORE_URLS: `http://127.0.0.1:${fromEnv}` },
      files: { "appsettings.json": { urls: `http://127.0.0.1:${fromFile}` } },
    });
    await host.start();
    const [url] = host.server!.addresses;
    expect(host.server!.addresses).toHaveLength(1);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(new URL(url!).port).not.toBe(String(fromFile));
    expect(new URL(url!).port).not.toBe(String(fromEnv));
    const res = await request(`${url}/`);
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe("hi");
  });

  it("applies the winning Kestrel:Limits value to the running server (env over file, command line over env)", async () => {
    const long = `/${"a".repeat(200)}`;
    const files = { "appsettings.json": { Kestrel: { Limits: { MaxRequestLineSize: 64 } } } };
    const env = { Kestrel__Limits__MaxRequestLineSize: "8192" };
    const { host: envWins } = await build({ args: ["--urls", "http://127.0.0.1:0"], files, env });
    await envWins.start();
    const ok = await request(`${envWins.server!.addresses[0]}${long}`);
    expect(ok.statusCode).toBe(200);
    await ok.body.dump();

    const { host: cmdWins } = await build({ args: ["--urls", "http://127.0.0.1:0", "--Kestrel:Limits:MaxRequestLineSize=64"], files, env });
    await cmdWins.start();
    const tooLong = await request(`${cmdWins.server!.addresses[0]}${long}`);
    expect(tooLong.statusCode).toBe(414);
    await tooLong.body.dump();
  });
});

class Nested {
  name = "default";
  retries = 0;
}

class AppOptions {
  port = 0;
  ratio = 0;
  enabled = false;
  title = "";
  timeout = 0;
  hosts: string[] = [];
  ports: number[] = [0];
  nested = new Nested();
  untouched = "kept";
}

const bindApp = (host: AppHost) => bind(host.configuration.getSection("App"), new AppOptions(), { converters: { timeout: parseTimeSpan } });

function bindError(fn: () => unknown): ConfigurationBindingError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationBindingError);
    return error as ConfigurationBindingError;
  }
  throw new Error("expected a ConfigurationBindingError");
}

describe("binding", () => {
  it("binds numbers, booleans, strings, time spans, arrays and nested sections merged from every source", async () => {
    const { host } = await build({
      files: {
        "appsettings.json": {
          App: { Port: 80, Ratio: "0.5", Enabled: false, Title: "file", Timeout: "00:00:30", Hosts: ["a", "b", "c"], Ports: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], Nested: { Name: "file" } },
        },
      },
      env: { APP__ENABLED: "TRUE", App__Hosts__1: "B", App__Nested__Retries: "3" },
      args: ["--App:Port=8080", "--App:Timeout", "1.02:03:04.5"],
      memory: { "App:Title": "memory" },
    });
    const options = bindApp(host);
    expect(options).toBeInstanceOf(AppOptions);
    expect(options.port).toBe(8080);
    expect(options.ratio).toBe(0.5);
    expect(options.enabled).toBe(true);
    expect(options.title).toBe("memory");
    expect(options.timeout).toBe(93_784_500);
    // Element 1 comes from the environment, the rest from the file.
    expect(options.hosts).toEqual(["a", "B", "c"]);
    // Numeric keys sort as numbers: 10 after 9, not after 1.
    expect(options.ports).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(options.nested).toBeInstanceOf(Nested);
    expect(options.nested).toEqual({ name: "file", retries: 3 });
    expect(options.untouched).toBe("kept");
  });

  it('converts "00:00:30" to 30000 ms with parseTimeSpan as a converter', async () => {
    const { host } = await build({ env: { App__Timeout: "00:00:30" } });
    expect(bindApp(host).timeout).toBe(30_000);
  });

  it.each([
    ["a number", { App__Port: "eighty" }, [], "App:Port", "eighty"],
    ["a boolean", {}, ["--App:Enabled=yes"], "App:Enabled", "yes"],
    ["a nested number", { App__Nested__Retries: "1e" }, [], "App:Nested:Retries", "1e"],
    ["an array element", {}, ["--App:Ports:0=1", "--App:Ports:1=two"], "App:Ports:1", "two"],
    ["a time span (minutes out of range)", { App__Timeout: "1:99:00" }, [], "App:Timeout", "1:99:00"],
  ] as const)("names the full key and the value of %s that does not convert", async (_what, env, args, key, value) => {
    const { host } = await build({ env: { ...env }, args: [...args] });
    const error = bindError(() => bindApp(host));
    expect(error.code).toBe(ConfigurationErrorCode.BINDING);
    expect(error.key).toBe(key);
    expect(error.value).toBe(value);
    expect(error.message).toContain(`'${key}'`);
    expect(error.message).toContain(`'${value}'`);
  });
});

describe("Kestrel limits that do not convert fail start()", () => {
  it.each([
    ["Http2:MaxStreamsPerConnection", { Http2: { MaxStreamsPerConnection: "abc" } }, "abc"],
    ["KeepAliveTimeout", { KeepAliveTimeout: "1:99:00" }, "1:99:00"],
    ["MaxRequestBodySize", { MaxRequestBodySize: "10KB" }, "10KB"],
  ] as const)("Kestrel:Limits:%s", async (name, limits, value) => {
    const port = await freePort();
    const { host, logs } = await build({ args: ["--urls", `http://127.0.0.1:${port}`], files: { "appsettings.json": { Kestrel: { Limits: limits } } } });
    const error = await host.start().then(
      () => {
        throw new Error("start() resolved");
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigurationBindingError);
    expect((error as ConfigurationBindingError).key).toBe(`Kestrel:Limits:${name}`);
    expect((error as ConfigurationBindingError).value).toBe(value);
    expect((error as Error).message).toContain(`Kestrel:Limits:${name}`);
    const fatal = logs.lines.find((l) => l.level === 60);
    expect(fatal?.msg).toContain(`Kestrel:Limits:${name}`);
    expect(fatal?.key).toBe(`Kestrel:Limits:${name}`);
    expect(host.server).toBeNull();
    expect(await isPortFree(port)).toBe(true);
  });
});
