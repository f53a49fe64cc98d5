import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request as httpsRequest, type RequestOptions } from "node:https";
import { connect as http2Connect } from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ConnectionOptions, connect as tlsConnect, type TLSSocket } from "node:tls";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const appDir = fileURLToPath(new URL("..", import.meta.url));
const main = join(appDir, "dist", "main.js");
const certsCli = join(appDir, "dist", "certs-cli.js");

interface Answer {
  host: string;
  sni: string | null;
  protocol: string;
  alpn: string | null;
  tls: string | null;
}

interface Served {
  readonly status: number;
  readonly body: string;
  readonly subjectCN: string | undefined;
  readonly alpn: string | false | null;
}

/** A content root like the app's folder: its appsettings.json and the certificates `npm run certs` writes. */
let root: string;
let ca: Record<string, Buffer>;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "x-https-sni-sample-"));
  copyFileSync(join(appDir, "appsettings.json"), join(root, "appsettings.json"));
  // What `npm run certs` runs, from the content root: writes certs/<name>.pem|.key.
  const certs = spawnSync(process.execPath, [certsCli], { cwd: root, encoding: "utf8", timeout: 30_000 });
  expect(certs.status, certs.stderr).toBe(0);
  ca = {
    "a.localhost": readFileSync(join(root, "certs", "a.localhost.pem")),
    "b.localhost": readFileSync(join(root, "certs", "b.localhost.pem")),
  };
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function start(args: string[]) {
  const child = spawn(process.execPath, [main, ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d));
  child.stderr.on("data", (d: Buffer) => (out += d));
  const exit = new Promise<number | null>((resolve) => child.once("exit", resolve));
  return {
    child,
    exit,
    async port(): Promise<number> {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const found = /Now listening on: (https:\/\/[^\s"]+)/.exec(out);
        if (found) return Number(new URL(found[1]!).port);
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`not listening:\n${out}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
  };
}

/** The subject CN of the certificate the server presented. */
function commonName(socket: TLSSocket): string | undefined {
  const cn = socket.getPeerCertificate().subject?.CN;
  return Array.isArray(cn) ? cn.join(",") : cn;
}

/** GET / over node:https (HTTP/1.1) to 127.0.0.1, sending `servername` as SNI (none when null). */
function getHttps(port: number, servername: string | null, host = servername ?? "127.0.0.1"): Promise<Served> {
  return new Promise<Served>((resolve, reject) => {
    const options: RequestOptions & ConnectionOptions = {
      host: "127.0.0.1",
      port,
      path: "/",
      agent: false,
      headers: { host: `${host}:${port}` },
      ALPNProtocols: ["http/1.1"],
      ...(servername === null
        ? { rejectUnauthorized: false } // no SNI: the "*" entry's certificate, which names a.localhost, not 127.0.0.1
        : { servername, ca: ca[servername] }), // trust only that name's certificate, and check it names the host
    };
    const req = httpsRequest(options, (res) => {
      const socket = res.socket as TLSSocket;
      const subjectCN = commonName(socket);
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode!, body, subjectCN, alpn: socket.alpnProtocol }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** GET / over node:http2 (ALPN h2) to 127.0.0.1 with SNI `servername`. */
function getHttp2(port: number, servername: string): Promise<Served> {
  return new Promise<Served>((resolve, reject) => {
    let socket: TLSSocket | undefined;
    const session = http2Connect(`https://${servername}:${port}`, {
      createConnection: () => {
        socket = tlsConnect({ host: "127.0.0.1", port, servername, ca: ca[servername], ALPNProtocols: ["h2"] });
        return socket;
      },
    });
    session.on("error", reject);
    const stream = session.request({ ":path": "/" });
    let status = 0;
    let body = "";
    stream.setEncoding("utf8");
    stream.on("response", (headers) => (status = Number(headers[":status"])));
    stream.on("data", (d: string) => (body += d));
    stream.on("end", () => {
      const subjectCN = socket === undefined ? undefined : commonName(socket);
      const alpn = socket?.alpnProtocol ?? null;
      session.close();
      resolve({ status, body, subjectCN, alpn });
    });
    stream.on("error", reject);
    stream.end();
  });
}

describe("apps/https-sni-sample", () => {
  it("serves each SNI name its own certificate, HTTP/1.1 and HTTP/2 on one endpoint, as appsettings.json says", async () => {
    const app = start(["--Kestrel:Endpoints:Https:Url", "https://127.0.0.1:0"]);
    try {
      const port = await app.port();

      const a1 = await getHttps(port, "a.localhost");
      const b1 = await getHttps(port, "b.localhost");
      expect(a1).toMatchObject({ status: 200, subjectCN: "a.localhost", alpn: "http/1.1" });
      expect(b1).toMatchObject({ status: 200, subjectCN: "b.localhost", alpn: "http/1.1" });
      expect(JSON.parse(a1.body) as Answer).toMatchObject({ host: `a.localhost:${port}`, sni: "a.localhost", protocol: "HTTP/1.1", alpn: "http/1.1" });
      expect(JSON.parse(b1.body) as Answer).toMatchObject({ host: `b.localhost:${port}`, sni: "b.localhost", protocol: "HTTP/1.1", alpn: "http/1.1" });

      const a2 = await getHttp2(port, "a.localhost");
      const b2 = await getHttp2(port, "b.localhost");
      expect(a2).toMatchObject({ status: 200, subjectCN: "a.localhost", alpn: "h2" });
      expect(b2).toMatchObject({ status: 200, subjectCN: "b.localhost", alpn: "h2" });
      expect(JSON.parse(a2.body) as Answer).toMatchObject({ host: `a.localhost:${port}`, sni: "a.localhost", protocol: "HTTP/2", alpn: "h2" });
      expect(JSON.parse(b2.body) as Answer).toMatchObject({ host: `b.localhost:${port}`, sni: "b.localhost", protocol: "HTTP/2", alpn: "h2" });

      // No SNI (an IP address in the URL): the "*" entry, a.localhost's certificate.
      const none = await getHttps(port, null);
      expect(none).toMatchObject({ status: 200, subjectCN: "a.localhost" });
      expect(JSON.parse(none.body) as Answer).toMatchObject({ host: `127.0.0.1:${port}`, sni: null, protocol: "HTTP/1.1" });

      // AllowedHosts: a Host the file does not list gets 400.
      const evil = await getHttps(port, "a.localhost", "evil.example");
      expect(evil.status).toBe(400);

      app.child.kill("SIGTERM");
      expect(await app.exit).toBe(0);
    } finally {
      app.child.kill("SIGKILL");
    }
  });

  it("has the endpoint the README shows, byte for byte: https://127.0.0.1:5443, Http1AndHttp2, a.localhost, b.localhost and *", () => {
    const settings = readFileSync(join(appDir, "appsettings.json"), "utf8");
    const readme = readFileSync(join(appDir, "README.md"), "utf8");
    const block = /```json\n([\s\S]*?)\n```/.exec(readme.slice(readme.indexOf("## appsettings.json")))?.[1];
    expect(block).toBe(settings.trimEnd());
    const https = JSON.parse(settings).Kestrel.Endpoints.Https;
    expect(https.Url).toBe("https://127.0.0.1:5443");
    expect(https.Protocols).toBe("Http1AndHttp2");
    expect(Object.keys(https.Sni)).toEqual(["a.localhost", "b.localhost", "*"]);
  });
});
