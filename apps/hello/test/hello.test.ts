import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Agent, request } from "undici";
import { describe, expect, it } from "vitest";

const main = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const cwd = fileURLToPath(new URL("..", import.meta.url));
/** The x-dev-certs bin of the installed @x/https-sni, as `pnpm exec x-dev-certs` runs it. */
const devCertsCli = join(dirname(createRequire(import.meta.url).resolve("@x/https-sni/package.json")), "dist", "dev-certs-cli.js");

function start(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [main, ...args], { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d));
  child.stderr.on("data", (d: Buffer) => (out += d));
  const exit = new Promise<number | null>((resolve) => child.once("exit", resolve));
  return {
    child,
    exit,
    output: () => out,
    async urls(count: number): Promise<string[]> {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const found = [...out.matchAll(/Now listening on: ([^\s"]+)/g)].map((m) => m[1]!);
        if (found.length >= count) return found;
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`not listening:\n${out}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
  };
}

describe("apps/hello", () => {
  it("answers Hello, World! as text/plain on / and 404 elsewhere, on the URLs from --urls", async () => {
    const app = start(["--urls", "http://127.0.0.1:0;http://[::1]:0"]);
    try {
      const urls = await app.urls(2);
      for (const url of urls) {
        const res = await request(`${url}/`);
        expect(res.statusCode).toBe(200);
        expect(res.headers["content-type"]).toBe("text/plain; charset=utf-8");
        expect(await res.body.text()).toBe("Hello, World!");
      }
      const missing = await request(`${urls[0]}/nope`);
      expect(missing.statusCode).toBe(404);
      await missing.body.dump();
      app.child.kill("SIGINT");
      expect(await app.exit).toBe(0);
    } finally {
      app.child.kill("SIGKILL");
    }
  });

  it("listens where Kestrel__Endpoints__Name__Url says", async () => {
    const app = start([], { Kestrel__Endpoints__Web__Url: "http://127.0.0.1:0" });
    try {
      const [url] = await app.urls(1);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(await (await request(`${url}/`)).body.text()).toBe("Hello, World!");
      app.child.kill("SIGTERM");
      expect(await app.exit).toBe(0);
    } finally {
      app.child.kill("SIGKILL");
    }
  });

  it("serves HTTPS with the development certificate in Development, as its README says", async () => {
    const home = mkdtempSync(join(tmpdir(), "x-hello-devcert-"));
    try {
      const created = spawnSync(process.execPath, [devCertsCli, "https"], { env: { ...process.env, X_DEV_CERTS_HOME: home }, encoding: "utf8", timeout: 60_000 });
      expect(created.status, created.stderr).toBe(0);
      const check = spawnSync(process.execPath, [devCertsCli, "https", "--check"], { env: { ...process.env, X_DEV_CERTS_HOME: home }, encoding: "utf8", timeout: 30_000 });
      expect(check.status, check.stderr).toBe(0);
      const app = start(["--urls", "https://127.0.0.1:0"], { ASPNETCORE_ENVIRONMENT: "Development", X_DEV_CERTS_HOME: home });
      try {
        const [url] = await app.urls(1);
        expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
        // Trust only the development certificate, and check it names 127.0.0.1.
        const dispatcher = new Agent({ connect: { ca: readFileSync(join(home, "localhost.pem")) } });
        try {
          const res = await request(`${url}/`, { dispatcher });
          expect(await res.body.text()).toBe("Hello, World!");
        } finally {
          await dispatcher.close();
        }
        app.child.kill("SIGTERM");
        expect(await app.exit).toBe(0);
      } finally {
        app.child.kill("SIGKILL");
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it("runs with the appsettings.json the root README shows, byte for byte", () => {
    const readme = readFileSync(join(cwd, "..", "..", "README.md"), "utf8");
    const settings = readFileSync(join(cwd, "appsettings.json"), "utf8");
    const section = readme.slice(readme.indexOf("## Configuration, as in ASP.NET Core"));
    const block = /```json\n([\s\S]*?)\n```/.exec(section)?.[1];
    expect(block).toBe(settings.trimEnd());
    const parsed = JSON.parse(settings);
    expect(Object.keys(parsed)).toEqual(expect.arrayContaining(["Logging", "AllowedHosts", "Kestrel"]));
  });

  it("applies that file: AllowedHosts answers 400 to another Host, Kestrel:Limits answer 431, and --AccessLog:Enabled=true logs both", async () => {
    const app = start(["--urls", "http://127.0.0.1:0", "--AccessLog:Enabled=true"]);
    try {
      const [url] = await app.urls(1);
      const ok = await request(`${url}/`);
      expect(ok.statusCode).toBe(200);
      await ok.body.dump();
      const wrongHost = await request(`${url}/`, { headers: { host: "evil.example" } });
      expect(wrongHost.statusCode).toBe(400);
      expect(await wrongHost.body.text()).toContain("Invalid Hostname");
      // Kestrel:Limits:MaxRequestHeaderCount is 100 in the file.
      const headers: Record<string, string> = {};
      for (let i = 0; i < 101; i++) headers[`x-h${i}`] = "v";
      const tooMany = await request(`${url}/`, { headers });
      expect(tooMany.statusCode).toBe(431);
      await tooMany.body.dump();
      const deadline = Date.now() + 5_000;
      let statuses: number[] = [];
      while (Date.now() < deadline) {
        statuses = app
          .output()
          .split("\n")
          .filter((line) => line.includes('"category":"X.Server.AccessLog"'))
          .map((line) => (JSON.parse(line) as { status: number }).status);
        if (statuses.length >= 3) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(statuses).toEqual([200, 400, 431]);
      app.child.kill("SIGTERM");
      expect(await app.exit).toBe(0);
    } finally {
      app.child.kill("SIGKILL");
    }
  });
});
