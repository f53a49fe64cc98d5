/**
 * `Kestrel:Endpoints:{Name}:Sni`, code hooks for named endpoints, another
 * configuration section, certificate reload from configuration, and the
 * development certificate, through `Host.createDefaultBuilder`.
 */
import { rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as tls from "node:tls";
import { createDevelopmentCertificate } from "@x/https-sni";
import type { ServerOptions } from "@x/server";
import { type TestPki, testPki } from "@x/test-pki";
import { Agent, request } from "undici";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type AppHost, Host, type WebHostBuilderContext } from "../src/index.js";
import { captureLogs, isPortFree, type LogLine, tempDir } from "./helpers.js";

let pki: TestPki;
const hosts: AppHost[] = [];
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  pki = await testPki();
});

afterEach(async () => {
  await Promise.allSettled(hosts.splice(0).map((h) => h.stop()));
  await Promise.allSettled(cleanups.splice(0).map((c) => c()));
});

async function site(settings: unknown): Promise<string> {
  const files: Record<string, unknown> = { "appsettings.json": settings };
  for (const name of ["a", "b", "wild", "fallback", "ca"] as const) {
    files[`${name}.crt`] = pki[name].cert;
    files[`${name}.key`] = pki[name].key;
  }
  const dir = await tempDir(files);
  cleanups.push(dir.cleanup);
  return dir.path;
}

type Kestrel = (context: WebHostBuilderContext, options: ServerOptions) => void;

function build(root: string, options: { args?: string[]; env?: NodeJS.ProcessEnv; kestrel?: Kestrel } = {}): { host: AppHost; logs: LogLine[] } {
  const logs = captureLogs();
  const host = Host.createDefaultBuilder(options.args ?? [], options.env ?? {})
    .useContentRoot(root)
    .configureLogging((_, o) => {
      o.destination = logs.destination;
      o.format = "json";
    })
    .configureWebHostDefaults((web) => {
      if (options.kestrel) web.configureKestrel(options.kestrel);
      web.configure((app) => app.run((ctx) => ctx.response.end(ctx.request.scheme)));
    })
    .build();
  hosts.push(host);
  return { host, logs: logs.lines };
}

interface Handshake {
  readonly cn: string | null;
  readonly protocol: string | null;
  readonly alpn: string | false | null;
  readonly error: string | null;
}

/** A TLS handshake to `port` with `servername` (null: no SNI), trusting the test CA. */
function handshake(port: number, servername: string | null, extra: tls.ConnectionOptions = {}): Promise<Handshake> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: "127.0.0.1",
      port,
      ca: pki.ca.cert,
      ...(servername === null ? {} : { servername }),
      checkServerIdentity: () => undefined,
      ALPNProtocols: ["h2", "http/1.1"],
      ...extra,
    });
    const timer = setTimeout(() => socket.destroy(new Error("timed out")), 5_000);
    socket.once("secureConnect", () => {
      const cn = socket.getPeerCertificate().subject?.CN;
      resolve({ cn: Array.isArray(cn) ? cn[0]! : (cn ?? null), protocol: socket.getProtocol(), alpn: socket.alpnProtocol, error: null });
      clearTimeout(timer);
      socket.destroy();
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      resolve({ cn: null, protocol: null, alpn: null, error: error.message });
    });
  });
}

const portOf = (url: string) => Number(new URL(url).port);

describe("Kestrel:Endpoints:{Name}:Sni", () => {
  it("serves exact names, the longest wildcard and '*' their own certificates on one endpoint", async () => {
    const root = await site({
      Kestrel: {
        Endpoints: {
          Sites: {
            Url: "https://127.0.0.1:0",
            Sni: {
              "a.test": { Certificate: { Path: "a.crt", KeyPath: "a.key" } },
              "*.wild.test": { Certificate: { Path: "wild.crt", KeyPath: "wild.key" } },
              "*": { Certificate: { Path: "fallback.crt", KeyPath: "fallback.key" } },
            },
          },
        },
      },
    });
    const { host } = build(root);
    await host.start();
    const port = portOf(host.server!.addresses[0]!);
    expect((await handshake(port, "A.TEST")).cn).toBe("a.test");
    expect((await handshake(port, "x.wild.test")).cn).toBe("*.wild.test");
    expect((await handshake(port, "elsewhere.test")).cn).toBe("default.test");
    expect((await handshake(port, null)).cn).toBe("default.test");
  });

  it("refuses a name that matches no entry when there is no '*', and keeps serving", async () => {
    const root = await site({
      Kestrel: { Endpoints: { Sites: { Url: "https://127.0.0.1:0", Sni: { "a.test": { Certificate: { Path: "a.crt", KeyPath: "a.key" } } } } } },
    });
    const { host } = build(root);
    await host.start();
    const port = portOf(host.server!.addresses[0]!);
    expect((await handshake(port, "b.test")).error).not.toBeNull();
    expect((await handshake(port, "a.test")).cn).toBe("a.test");
  });

  it("applies each entry's SslProtocols, Protocols and ClientCertificateMode, and falls back to the endpoint's Certificate", async () => {
    const root = await site({
      Kestrel: {
        Endpoints: {
          Sites: {
            Url: "https://127.0.0.1:0",
            Certificate: { Path: "fallback.crt", KeyPath: "fallback.key" },
            SslProtocols: ["Tls12", "Tls13"],
            Sni: {
              "a.test": { Certificate: { Path: "a.crt", KeyPath: "a.key" }, SslProtocols: ["Tls12"], Protocols: "Http1" },
              "b.test": { Certificate: { Path: "b.crt", KeyPath: "b.key" }, ClientCertificateMode: "RequireCertificate" },
              "c.test": {},
            },
          },
        },
      },
    });
    const { host } = build(root);
    await host.start();
    const port = portOf(host.server!.addresses[0]!);
    const a = await handshake(port, "a.test");
    expect(a).toMatchObject({ cn: "a.test", protocol: "TLSv1.2", alpn: "http/1.1" });
    expect((await handshake(port, "a.test", { minVersion: "TLSv1.3" })).error).not.toBeNull();
    // RequireCertificate: a client without a certificate never gets a working connection.
    const b = await new Promise<string>((resolve) => {
      const socket = tls.connect({ host: "127.0.0.1", port, servername: "b.test", ca: pki.ca.cert, checkServerIdentity: () => undefined, maxVersion: "TLSv1.2" });
      socket.on("error", (e) => resolve(`error: ${e.message}`));
      socket.on("secureConnect", () => socket.write("GET / HTTP/1.1\r\nHost: b.test\r\n\r\n"));
      socket.on("data", () => resolve("answered"));
      socket.on("close", () => resolve("closed"));
    });
    expect(b).not.toBe("answered");
    expect((await handshake(port, "c.test")).cn).toBe("default.test");
  });

  it("names the key of an invalid SNI entry", async () => {
    const root = await site({
      Kestrel: { Endpoints: { Sites: { Url: "https://127.0.0.1:0", Sni: { "a.test": { Certificate: { Path: "a.crt", KeyPath: "a.key" }, Protocols: "Http3" } } } } },
    });
    await expect(build(root).host.start()).rejects.toThrow(/Kestrel:Endpoints:Sites:Sni:a\.test:Protocols/);
  });

  it("warns that Sni on an http endpoint is ignored", async () => {
    const root = await site({ Kestrel: { Endpoints: { Plain: { Url: "http://127.0.0.1:0", Sni: { "*": {} } } } } });
    const { host, logs } = build(root);
    await host.start();
    expect(logs.some((l) => l.msg.includes("Kestrel:Endpoints:Plain") && l.msg.includes("ignored"))).toBe(true);
  });
});

describe("options.configure().endpoint(name, ...)", () => {
  it("runs the hook for the named endpoint (case-insensitive) after its defaults and before TLS, and warns about unknown names", async () => {
    const root = await site({
      Kestrel: {
        Certificates: { Default: { Path: "a.crt", KeyPath: "a.key" } },
        Endpoints: { Public: { Url: "https://127.0.0.1:0", Protocols: "Http1" }, Other: { Url: "http://127.0.0.1:0" } },
      },
    });
    const seen: Array<{ name: string; isHttps: boolean; protocols: string }> = [];
    const { host, logs } = build(root, {
      kestrel: (_context, options) => {
        options
          .configure()
          .endpoint("public", (listenOptions, endpoint) => {
            seen.push({ name: endpoint.name, isHttps: endpoint.isHttps, protocols: listenOptions.protocols });
            endpoint.httpsOptions.serverCertificate = { cert: pki.b.cert, key: pki.b.key };
            endpoint.httpsOptions.sslProtocols = ["Tls13"];
          })
          .endpoint("Missing", () => {});
      },
    });
    await host.start();
    expect(seen).toEqual([{ name: "Public", isHttps: true, protocols: "Http1" }]);
    const https = host.server!.addresses.find((u) => u.startsWith("https://"))!;
    expect(await handshake(portOf(https), "b.test")).toMatchObject({ cn: "b.test", protocol: "TLSv1.3" });
    expect((await handshake(portOf(https), "b.test", { maxVersion: "TLSv1.2" })).error).not.toBeNull();
    expect(logs.some((l) => l.msg.includes('endpoint("Missing")') && l.msg.includes("matches no endpoint"))).toBe(true);
  });

  it("reads endpoints and Certificates:Default from the section given to configure(section)", async () => {
    const root = await site({
      Kestrel: { Endpoints: { Ignored: { Url: "http://127.0.0.1:0" } } },
      Edge: {
        Certificates: { Default: { Path: "b.crt", KeyPath: "b.key" } },
        Endpoints: { Secure: { Url: "https://127.0.0.1:0" } },
      },
    });
    const { host } = build(root, { kestrel: (context, options) => void options.configure(context.configuration.getSection("Edge")) });
    await host.start();
    const addresses = host.server!.addresses;
    expect(addresses).toHaveLength(1);
    expect(addresses[0]).toMatch(/^https:/);
    expect((await handshake(portOf(addresses[0]!), "b.test")).cn).toBe("b.test");
  });
});

describe("certificates from configuration that change on disk", () => {
  it("serves new connections the new certificate, and keeps the old one when the new file is invalid", async () => {
    const root = await site({ Kestrel: { Endpoints: { Secure: { Url: "https://127.0.0.1:0", Certificate: { Path: "site.pem" } } } } });
    await writeFile(join(root, "site.pem"), `${pki.a.cert}\n${pki.a.key}`);
    const { host, logs } = build(root);
    await host.start();
    const port = portOf(host.server!.addresses[0]!);
    expect((await handshake(port, "a.test")).cn).toBe("a.test");
    await writeFile(join(root, "site.pem.tmp"), "not a certificate");
    await rename(join(root, "site.pem.tmp"), join(root, "site.pem"));
    await vi.waitFor(() => expect(logs.some((l) => l.msg.includes("previous certificate stays in use"))).toBe(true), { timeout: 5_000, interval: 50 });
    expect((await handshake(port, "a.test")).cn).toBe("a.test");
    await writeFile(join(root, "site.pem.tmp"), `${pki.b.cert}\n${pki.b.key}`);
    await rename(join(root, "site.pem.tmp"), join(root, "site.pem"));
    await vi.waitFor(async () => expect((await handshake(port, "b.test")).cn).toBe("b.test"), { timeout: 5_000, interval: 100 });
  });
});

describe("the development certificate", () => {
  /** Points X_DEV_CERTS_HOME at a new folder, with a development certificate in it unless `create` is false. */
  const withDevCert = async (create = true) => {
    const dir = await tempDir();
    cleanups.push(dir.cleanup);
    if (create) await createDevelopmentCertificate({ directory: dir.path });
    const previous = process.env.X_DEV_CERTS_HOME;
    process.env.X_DEV_CERTS_HOME = dir.path;
    cleanups.push(async () => {
      if (previous === undefined) delete process.env.X_DEV_CERTS_HOME;
      else process.env.X_DEV_CERTS_HOME = previous;
    });
  };

  it("serves https URLs with it in Development when no default certificate is configured", async () => {
    await withDevCert();
    const root = await site({});
    const { host } = build(root, { args: ["--urls", "https://127.0.0.1:0"], env: { ASPNETCORE_ENVIRONMENT: "Development" } });
    await host.start();
    expect((await handshake(portOf(host.server!.addresses[0]!), "localhost", { rejectUnauthorized: false })).cn).toBe("localhost");
  });

  it("is not used outside Development, and the error says that is why (not to create it)", async () => {
    await withDevCert();
    const root = await site({});
    const { host } = build(root, { args: ["--urls", "https://127.0.0.1:0"], env: { ASPNETCORE_ENVIRONMENT: "Production" } });
    const error = await host.start().then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.message).toContain("A development certificate exists (x-dev-certs), but it is used only in the Development environment, and this host runs in Production.");
    expect(error?.message).toContain("ASPNETCORE_ENVIRONMENT=Development");
    expect(error?.message).not.toContain("create the development certificate");
  });

  it("tells the user to create it when there is none", async () => {
    await withDevCert(false);
    const root = await site({});
    const { host } = build(root, { args: ["--urls", "https://127.0.0.1:0"], env: { ASPNETCORE_ENVIRONMENT: "Production" } });
    await expect(host.start()).rejects.toThrow(/create the development certificate with `npx x-dev-certs https`/);
  });

  it("binds https://localhost:5001 next to http://localhost:5000 in Development when nothing is configured", async (context) => {
    if (!((await isPortFree(5000)) && (await isPortFree(5001)))) {
      process.stdout.write("skipped: ports 5000/5001 are in use on this machine\n");
      context.skip();
    }
    await withDevCert();
    const root = await site({});
    const { host } = build(root, { env: { ASPNETCORE_ENVIRONMENT: "Development" } });
    await host.start();
    expect(host.server!.addresses).toEqual(["http://localhost:5000", "https://localhost:5001"]);
    const dispatcher = new Agent({ connect: { rejectUnauthorized: false } });
    try {
      const response = await request("https://127.0.0.1:5001/", { dispatcher });
      expect(await response.body.text()).toBe("https");
    } finally {
      await dispatcher.close();
    }
  });
});
