import { type TestPki, testPki } from "@x/test-pki";
import { Agent, request } from "undici";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { type AppHost, Host } from "../src/index.js";
import { captureLogs, tempDir } from "./helpers.js";

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

/** A content root with the certificate files and an appsettings.json. */
async function site(settings: unknown): Promise<string> {
  const dir = await tempDir({
    "a.crt": pki.a.cert,
    "a.key": pki.a.key,
    "b.crt": pki.b.cert,
    "b.key": pki.b.key,
    "appsettings.json": settings,
  });
  cleanups.push(dir.cleanup);
  return dir.path;
}

function build(root: string, args: string[] = []): AppHost {
  const logs = captureLogs();
  const host = Host.createDefaultBuilder(args, {})
    .useContentRoot(root)
    .configureLogging((_, o) => {
      o.destination = logs.destination;
    })
    .configureWebHostDefaults((web) => web.configure((app) => app.run((ctx) => ctx.response.end(`${ctx.request.scheme}`))))
    .build();
  hosts.push(host);
  return host;
}

/** GETs `url` trusting the test CA, sending `servername` as SNI; returns the body and the peer's CN. */
async function get(url: string, servername: string): Promise<{ body: string; cn: string | undefined }> {
  let cn: string | undefined;
  const dispatcher = new Agent({
    connect: {
      ca: pki.ca.cert,
      servername,
      checkServerIdentity: (_host, cert) => {
        cn = String(cert.subject.CN);
        return undefined;
      },
    },
  });
  try {
    const res = await request(url, { dispatcher });
    return { body: await res.body.text(), cn };
  } finally {
    await dispatcher.close();
  }
}

describe("certificates from the Kestrel section", () => {
  it("serves https URLs with Certificates:Default (PEM Path + KeyPath, relative to the content root)", async () => {
    const root = await site({ Kestrel: { Certificates: { Default: { Path: "a.crt", KeyPath: "a.key" } } } });
    const host = build(root, ["--urls", "https://127.0.0.1:0"]);
    await host.start();
    const [url] = host.server!.addresses;
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(await get(`${url}/`, "a.test")).toEqual({ body: "https", cn: "a.test" });
  });

  it("gives an endpoint its own Certificate, with SslProtocols and ClientCertificateMode", async () => {
    const root = await site({
      Kestrel: {
        Certificates: { Default: { Path: "a.crt", KeyPath: "a.key" } },
        Endpoints: {
          Secure: { Url: "https://127.0.0.1:0", Certificate: { Path: "b.crt", KeyPath: "b.key" }, SslProtocols: ["Tls12", "Tls13"], ClientCertificateMode: "NoCertificate" },
          Plain: { Url: "http://127.0.0.1:0" },
        },
      },
    });
    const host = build(root);
    await host.start();
    const addresses = host.server!.addresses;
    const secure = addresses.find((a) => a.startsWith("https://"))!;
    const plain = addresses.find((a) => a.startsWith("http://"))!;
    expect(await get(`${secure}/`, "b.test")).toEqual({ body: "https", cn: "b.test" });
    expect(await (await request(`${plain}/`)).body.text()).toBe("http");
  });

  it("fails to start an https URL without any certificate, saying what to configure", async () => {
    const root = await site({});
    const host = build(root, ["--urls", "https://127.0.0.1:0"]);
    await expect(host.start()).rejects.toThrow(/default certificate/);
  });

  it("names the key of a certificate file that cannot be read", async () => {
    const root = await site({ Kestrel: { Endpoints: { Secure: { Url: "https://127.0.0.1:0", Certificate: { Path: "missing.pfx", Password: "x" } } } } });
    const host = build(root);
    await expect(host.start()).rejects.toThrow(/Kestrel:Endpoints:Secure:Certificate/);
  });

  it("rejects an unknown ClientCertificateMode or SslProtocols value, naming the key", async () => {
    const badMode = await site({ Kestrel: { Endpoints: { Secure: { Url: "https://127.0.0.1:0", Certificate: { Path: "a.crt", KeyPath: "a.key" }, ClientCertificateMode: "Sometimes" } } } });
    await expect(build(badMode).start()).rejects.toThrow(/Kestrel:Endpoints:Secure:ClientCertificateMode/);
    const badSsl = await site({ Kestrel: { EndpointDefaults: { SslProtocols: ["Ssl3"] }, Endpoints: { Secure: { Url: "https://127.0.0.1:0", Certificate: { Path: "a.crt", KeyPath: "a.key" } } } } });
    await expect(build(badSsl).start()).rejects.toThrow(/Kestrel:EndpointDefaults:SslProtocols/);
  });
});

describe("certificate paths given in code", () => {
  it("resolve against the content root, not the working directory (Kestrel's UseHttps(fileName))", async () => {
    const root = await site({});
    expect(process.cwd()).not.toBe(root);
    const logs = captureLogs();
    const host = Host.createDefaultBuilder([], {})
      .useContentRoot(root)
      .configureLogging((_, o) => {
        o.destination = logs.destination;
      })
      .configureWebHostDefaults((web) =>
        web
          .configureKestrel((_context, options) => {
            options.listen("127.0.0.1", 0, (lo) => lo.useHttps({ certPath: "a.crt", keyPath: "a.key" }));
          })
          .configure((app) => app.run((ctx) => ctx.response.end(ctx.request.scheme))),
      )
      .build();
    hosts.push(host);
    await host.start();
    expect(await get(`${host.server!.addresses[0]}/`, "a.test")).toEqual({ body: "https", cn: "a.test" });
  });
});
