import { ServerAddressesFeature } from "@x/abstractions";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_URL, Server, ServerOptions } from "../src/index.js";
import { CapturingLoggerFactory, canBindIPv6Loopback, get, hello, isFreeOnLoopbacks, portOf, Resources } from "./helpers.js";

const hasIPv6 = await canBindIPv6Loopback();
if (!hasIPv6) console.log("Skipping IPv6 tests: this host cannot bind ::1 (IPv6 loopback unavailable).");
const port5000Free = await isFreeOnLoopbacks(5000, hasIPv6);
if (!port5000Free) console.log("Skipping the default-URL test: port 5000 is in use on a loopback interface.");

const res = new Resources();
afterEach(() => res.cleanup());

describe("hosting URLs", () => {
  it.skipIf(!hasIPv6)("binds every URL put in addresses before start and reports the real ports", async () => {
    const server = res.server(new Server());
    server.addresses.push("http://127.0.0.1:0", "http://[::1]:0");
    await server.start(hello);

    expect(server.addresses).toHaveLength(2);
    expect(server.addresses[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.addresses[1]).toMatch(/^http:\/\/\[::1\]:\d+$/);
    expect(portOf(server.addresses[0]!)).toBeGreaterThan(0);
    for (const url of server.addresses) expect((await get(res.client(url), "/u")).body).toBe("hello /u");
  });

  it("exposes the same addresses through ServerAddressesFeature", async () => {
    const server = res.server(new Server());
    const feature = server.features.get(ServerAddressesFeature)!;
    feature.addresses.push("http://127.0.0.1:0");
    await server.start(hello);
    expect(feature.addresses).toBe(server.addresses);
    expect(feature.addresses[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("binds the endpoints from code instead of the URLs, with a warning", async () => {
    const logs = new CapturingLoggerFactory();
    const socketPath = res.socketPath();
    const server = res.server(new Server(new ServerOptions(), { loggerFactory: logs }));
    server.options.listen("127.0.0.1", 0);
    server.addresses.push(`http://unix:${socketPath}`);
    await server.start(hello);

    expect(server.addresses).toHaveLength(1);
    expect(server.addresses[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const warnings = logs.at("warn");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toContain(`Overriding address(es) 'http://unix:${socketPath}'`);
    expect((await get(res.client(server.addresses[0]!))).status).toBe(200);
  });

  it("binds the URLs instead of the endpoints from code when preferHostingUrls is set", async () => {
    const logs = new CapturingLoggerFactory();
    const socketPath = res.socketPath();
    const server = res.server(new Server(new ServerOptions(), { loggerFactory: logs }));
    server.options.listen("127.0.0.1", 0);
    const feature = server.features.get(ServerAddressesFeature)!;
    feature.preferHostingUrls = true;
    feature.addresses.push(`http://unix:${socketPath}`);
    await server.start(hello);

    expect(server.addresses).toEqual([`http://unix:${socketPath}`]);
    expect(logs.at("warn")).toEqual([]);
    expect((await get(res.client("http://localhost", socketPath), "/pref")).body).toBe("hello /pref");
  });

  it("applies the endpoint defaults to endpoints made from URLs", async () => {
    const server = res.server(new Server());
    const seen: string[] = [];
    server.options.configureEndpointDefaults((lo) => {
      lo.use((connection, next) => {
        seen.push(connection.id);
        return next(connection);
      });
    });
    server.addresses.push("http://127.0.0.1:0");
    await server.start(hello);
    await get(res.client(server.addresses[0]!));
    expect(seen).toHaveLength(1);
  });

  it("refuses a localhost URL with port 0 and leaves the server stopped", async () => {
    const server = res.server(new Server());
    server.addresses.push("http://localhost:0");
    await expect(server.start(hello)).rejects.toThrow(/Dynamic port binding is not supported/);
    expect(server.addresses).toEqual(["http://localhost:0"]);
    await expect(server.stop()).resolves.toBeUndefined();
  });

  it("refuses an https URL, since no certificate is configured", async () => {
    const server = res.server(new Server());
    server.addresses.push("https://127.0.0.1:0");
    await expect(server.start(hello)).rejects.toThrow(/HTTPS/);
  });

  it.skipIf(!port5000Free)("binds http://localhost:5000 when nothing is configured, as Kestrel does", async () => {
    const server = res.server(new Server());
    await server.start(hello);
    expect(DEFAULT_URL).toBe("http://localhost:5000");
    expect(server.addresses).toEqual(["http://localhost:5000"]);
    expect((await get(res.client("http://127.0.0.1:5000"), "/default")).body).toBe("hello /default");
    if (hasIPv6) expect((await get(res.client("http://[::1]:5000"), "/default6")).body).toBe("hello /default6");
  });
});
