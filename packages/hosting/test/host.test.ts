import { ServerAddressesFeature } from "@x/abstractions";
import { ServerOptions } from "@x/server";
import { once } from "node:events";
import { connect } from "node:net";
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { type AppHost, Host } from "../src/index.js";
import { captureLogs, freePort, tempDir } from "./helpers.js";

const hosts: AppHost[] = [];
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  await Promise.allSettled(hosts.splice(0).map((h) => h.stop()));
  await Promise.allSettled(cleanups.splice(0).map((c) => c()));
});

const hello = (web: import("../src/index.js").WebHostBuilder) => web.configure((app) => app.run((ctx) => ctx.response.end("hi")));

function build(args: string[], env: NodeJS.ProcessEnv, contentRoot: string, configure = hello) {
  const logs = captureLogs();
  const host = Host.createDefaultBuilder(args, env)
    .useContentRoot(contentRoot)
    .configureLogging((_, o) => {
      o.destination = logs.destination;
    })
    .configureWebHostDefaults(configure)
    .build();
  hosts.push(host);
  return { host, logs };
}

async function root(files: Record<string, unknown> = {}) {
  const dir = await tempDir(files);
  cleanups.push(dir.cleanup);
  return dir.path;
}

describe("configuration precedence", () => {
  it("reads appsettings.json, then appsettings.{Environment}.json, then environment variables, then the command line", async () => {
    const dir = await root({
      "appsettings.json": { A: "file", B: "file", C: "file", D: "file" },
      "appsettings.Staging.json": { B: "env-file", C: "env-file", D: "env-file" },
    });
    const { host } = build(["--D", "cmd"], { ASPNETCORE_ENVIRONMENT: "Staging", C: "env", D: "env" }, dir);
    expect(host.environment.environmentName).toBe("Staging");
    expect(host.configuration.get("a")).toBe("file");
    expect(host.configuration.get("b")).toBe("env-file");
    expect(host.configuration.get("c")).toBe("env");
    expect(host.configuration.get("d")).toBe("cmd");
  });

  it("defaults the environment to Production and maps __ in variable names to sections", async () => {
    const dir = await root();
    const { host } = build([], { Logging__LogLevel__Default: "Warning", DOTNET_X__Y: "z" }, dir);
    expect(host.environment.isProduction()).toBe(true);
    expect(host.configuration.get("Logging:LogLevel:Default")).toBe("Warning");
    expect(host.configuration.get("x:y")).toBe("z");
  });
});

describe("URLs", () => {
  it("binds both URLs given with --urls and logs each", async () => {
    const dir = await root();
    const { host, logs } = build(["--urls", "http://127.0.0.1:0;http://[::1]:0"], {}, dir);
    await host.start();
    const addresses = host.server!.addresses;
    expect(addresses).toHaveLength(2);
    expect(addresses[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(addresses[1]).toMatch(/^http:\/\/\[::1\]:\d+$/);
    for (const url of addresses) expect(await (await request(`${url}/`)).body.text()).toBe("hi");
    const listening = logs.lines.filter((l) => l.msg.startsWith("Now listening on: ")).map((l) => l.msg.slice(18));
    expect(listening).toEqual(addresses);
  });

  it("takes ASPNETCORE_URLS, and --urls wins over it", async () => {
    const dir = await root();
    const [a, b] = [await freePort(), await freePort()];
    const { host } = build([], { ASPNETCORE_URLS: `http://127.0.0.1:${a}` }, dir);
    await host.start();
    expect(host.server!.addresses).toEqual([`http://127.0.0.1:${a}`]);
    const { host: second } = build(["--urls", `http://127.0.0.1:${b}`], { ASPNETCORE_URLS: `http://127.0.0.1:${a}` }, dir);
    await second.start();
    expect(second.server!.addresses).toEqual([`http://127.0.0.1:${b}`]);
  });

  it("takes urls from appsettings.json and useUrls from code", async () => {
    const port = await freePort();
    const dir = await root({ "appsettings.json": { urls: `http://127.0.0.1:${port}` } });
    const { host } = build([], {}, dir);
    await host.start();
    expect(host.server!.addresses).toEqual([`http://127.0.0.1:${port}`]);
    const other = await freePort();
    const { host: second } = build([], {}, await root(), (web) => hello(web).useUrls(`http://127.0.0.1:${other}`));
    await second.start();
    expect(second.server!.addresses).toEqual([`http://127.0.0.1:${other}`]);
  });

  it("lets endpoints configured in code override URLs, with a warning", async () => {
    const dir = await root();
    const { host, logs } = build(["--urls", "http://127.0.0.1:0"], {}, dir, (web) =>
      hello(web).configureKestrel((options: ServerOptions) => {
        options.listen("::1", 0);
      }),
    );
    await host.start();
    expect(host.server!.addresses).toHaveLength(1);
    expect(host.server!.addresses[0]).toMatch(/^http:\/\/\[::1\]:/);
    expect(logs.lines.some((l) => l.level === 40 && l.msg.includes("Overriding address(es)"))).toBe(true);
    expect(host.server!.features.get(ServerAddressesFeature)!.addresses).toEqual(host.server!.addresses);
  });

  it("binds configuration endpoints and code endpoints together, instead of the URLs; endpoint names are case-insensitive", async () => {
    const dir = await root({ "appsettings.json": { Kestrel: { Endpoints: { Web: { Url: "http://127.0.0.1:0" } } } } });
    const { host } = build(["--urls", "http://[::1]:0"], { Kestrel__Endpoints__WEB__Protocols: "Http1" }, dir, (web) =>
      hello(web).configureKestrel((options: ServerOptions) => {
        options.listen("127.0.0.1", 0);
      }),
    );
    await host.start();
    const addresses = host.server!.addresses;
    // One endpoint from configuration ("Web" and "WEB" are the same), one from code; the URL is not bound.
    expect(addresses).toHaveLength(2);
    for (const url of addresses) {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(await (await request(`${url}/`)).body.text()).toBe("hi");
    }
  });

  it("binds Kestrel:Endpoints from environment variables instead of the URLs", async () => {
    const port = await freePort();
    const dir = await root();
    const { host } = build(["--urls", "http://127.0.0.1:0"], { Kestrel__Endpoints__Web__Url: `http://127.0.0.1:${port}` }, dir);
    await host.start();
    expect(host.server!.addresses).toEqual([`http://127.0.0.1:${port}`]);
  });

  it("fails to start, naming the key, when an endpoint has no Url", async () => {
    const dir = await root({ "appsettings.json": { Kestrel: { Endpoints: { Web: { Protocols: "Http1" } } } } });
    const { host, logs } = build([], {}, dir);
    await expect(host.start()).rejects.toThrow(/Kestrel:Endpoints:Web:Url/);
    expect(logs.lines.some((l) => l.level === 60 && String(l.msg).includes("Unable to start the host"))).toBe(true);
  });
});

describe("the Kestrel section", () => {
  it("applies Kestrel:Limits from configuration (a long request line gets 414)", async () => {
    const dir = await root({ "appsettings.json": { Kestrel: { Limits: { MaxRequestLineSize: 64 } } } });
    const { host } = build(["--urls", "http://127.0.0.1:0"], {}, dir);
    await host.start();
    const res = await request(`${host.server!.addresses[0]}/${"a".repeat(100)}`);
    expect(res.statusCode).toBe(414);
    await res.body.dump();
  });

  it("rejects a limit that cannot be converted, naming the key", async () => {
    const dir = await root({ "appsettings.json": { Kestrel: { Limits: { KeepAliveTimeout: "soon" } } } });
    const { host } = build(["--urls", "http://127.0.0.1:0"], {}, dir);
    await expect(host.start()).rejects.toThrow(/Kestrel:Limits:KeepAliveTimeout/);
  });

  it("applies EndpointDefaults to every endpoint, --urls and code listen() included, before the code's defaults", async () => {
    const dir = await root({ "appsettings.json": { Kestrel: { EndpointDefaults: { Protocols: "Http2" } } } });
    const seen: string[] = [];
    const { host } = build(["--urls", "http://127.0.0.1:0"], {}, dir, (web) =>
      hello(web).configureKestrel((options: ServerOptions) => {
        options.configureEndpointDefaults((lo) => seen.push(lo.protocols));
      }),
    );
    await host.start();
    expect(seen).toEqual(["Http2"]);
    // An Http2-only cleartext endpoint speaks HTTP/2 with prior knowledge: its first frame is SETTINGS.
    const socket = connect({ host: "127.0.0.1", port: Number(new URL(host.server!.addresses[0]!).port) });
    cleanups.push(async () => void socket.destroy());
    socket.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00");
    const [first] = (await once(socket, "data")) as [Buffer];
    expect(first[3]).toBe(0x04);
  });

  it("rejects an invalid EndpointDefaults value, naming the key", async () => {
    const dir = await root({ "appsettings.json": { Kestrel: { EndpointDefaults: { Protocols: "Http4" } } } });
    const { host } = build(["--urls", "http://127.0.0.1:0"], {}, dir);
    await expect(host.start()).rejects.toThrow(/Kestrel:EndpointDefaults:Protocols/);
  });

  it("lets configureKestrel code override the configuration", async () => {
    const dir = await root({ "appsettings.json": { Kestrel: { Limits: { MaxRequestBodySize: 5 } } } });
    let seen: number | null = 0;
    const { host } = build(["--urls", "http://127.0.0.1:0"], {}, dir, (web) =>
      hello(web).configureKestrel((ctx, options) => {
        expect(ctx.hostingEnvironment.environmentName).toBe("Production");
        seen = options.limits.maxRequestBodySize;
        options.limits.maxRequestBodySize = null;
      }),
    );
    await host.start();
    expect(seen).toBe(5);
  });

  it("gives both configureKestrel forms what they expect, unannotated under strict, whatever their parameters declare", async () => {
    const dir = await root();
    const seen: string[] = [];
    const { host } = build([], {}, dir, (web) =>
      hello(web)
        // (options): inferred as the options; no annotation needed.
        .configureKestrel((options) => {
          options.listen("127.0.0.1", 0);
          options.limits.maxRequestBodySize = 7;
        })
        // (context, options = ...): declares one parameter, and still gets the context and the options.
        .configureKestrel((context, options = new ServerOptions()) => {
          seen.push(context.hostingEnvironment.environmentName);
          options.addServerHeader = false;
        })
        // (...args): declares none.
        .configureKestrel((...args) => {
          seen.push(String(args[0].configuration.get("ASPNETCORE_NOPE") ?? "none"));
          args[1].limits.maxRequestHeaderCount = 20;
        })
        // The one-argument form writes through to the options too.
        .configureKestrel((options) => {
          seen.push(String(options.limits.maxRequestBodySize));
        }),
    );
    await host.start();
    expect(seen).toEqual(["Production", "none", "7"]);
    const options = host.server!.options;
    expect(host.server!.addresses).toHaveLength(1);
    expect(options.limits.maxRequestBodySize).toBe(7);
    expect(options.addServerHeader).toBe(false);
    expect(options.limits.maxRequestHeaderCount).toBe(20);
  });
});

describe("logging", () => {
  it("filters by Logging:LogLevel with per-category overrides", async () => {
    const dir = await root({ "appsettings.json": { Logging: { LogLevel: { Default: "Warning", "X.Hosting.Lifetime": "Information" } } } });
    const { host, logs } = build(["--urls", "http://127.0.0.1:0"], {}, dir);
    expect(host.loggerFactory.createLogger("X.Server").isLevelEnabled("info")).toBe(false);
    expect(host.loggerFactory.createLogger("X.Hosting.Lifetime.Sub").isLevelEnabled("info")).toBe(true);
    await host.start();
    expect(logs.lines.some((l) => l.category === "X.Hosting.Lifetime" && l.msg.startsWith("Now listening on"))).toBe(true);
  });
});

describe("lifetime", () => {
  it("raises started, stopping and stopped in order, and stopApplication ends run()", async () => {
    const dir = await root();
    const { host } = build(["--urls", "http://127.0.0.1:0"], {}, dir);
    const events: string[] = [];
    host.lifetime.applicationStarted.addEventListener("abort", () => {
      events.push("started");
      host.lifetime.stopApplication();
    });
    host.lifetime.applicationStopping.addEventListener("abort", () => events.push("stopping"));
    host.lifetime.applicationStopped.addEventListener("abort", () => events.push("stopped"));
    await host.run();
    expect(events).toEqual(["started", "stopping", "stopped"]);
  });

  it("lets an in-flight request finish when the host stops, then refuses connections", async () => {
    const dir = await root();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const { host } = build(["--urls", "http://127.0.0.1:0"], {}, dir, (web) =>
      web.configure((app) =>
        app.run(async (ctx) => {
          entered();
          await gate;
          await ctx.response.end("done");
        }),
      ),
    );
    await host.start();
    const url = host.server!.addresses[0]!;
    const pending = request(`${url}/`);
    await inside;
    const stopped = host.stop();
    setTimeout(release, 50);
    const res = await pending;
    expect(await res.body.text()).toBe("done");
    await stopped;
    const { port } = new URL(url);
    const refused = await new Promise<boolean>((resolve) => {
      const s = connect(Number(port), "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve(false);
      });
      s.once("error", () => resolve(true));
    });
    expect(refused).toBe(true);
  });
});

describe("app.serverFeatures (ASP.NET Core's app.ServerFeatures)", () => {
  it("shows configure(app => ...) the server's features: ServerAddresses, with the bound port once started", async () => {
    const dir = await root();
    let features: import("@x/abstractions").FeatureCollection | undefined;
    const { host } = build(["--urls", "http://127.0.0.1:0"], {}, dir, (web) =>
      web.configure((app) => {
        features = app.serverFeatures;
        app.run((ctx) => ctx.response.end(features!.get(ServerAddressesFeature)!.addresses.join(",")));
      }),
    );
    await host.start();
    const addresses = features!.get(ServerAddressesFeature)!.addresses;
    expect(addresses).toHaveLength(1);
    expect(addresses[0]).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
    expect(addresses).toEqual(host.server!.addresses);
    const res = await request(addresses[0]!);
    expect(await res.body.text()).toBe(addresses[0]);
  });
});
