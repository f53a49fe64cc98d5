/**
 * The release, end to end, against a real registry: Verdaccio on loopback
 * (storage in a temp dir, everything else proxied to the npm registry this
 * machine uses), every package published by the `release` script from a
 * clone of the workspace, then two scratch projects outside the workspace
 * that install from that registry with plain npm:
 *
 * - one installs only `@x/hosting` and runs a host (ESM and CommonJS) from
 *   `appsettings.json`: HTTP/1.1 and HTTPS with two SNI names;
 * - one installs only `@x/transport-sockets` and `@x/http1` (with the
 *   contracts of `@x/abstractions`) and composes a bare server.
 *
 * The clone takes the committed workspace (what CI checks); uncommitted
 * changes are not part of it. Skips, saying why, when Verdaccio cannot be
 * installed (Verdaccio 4: the 5.x and 6.x releases do not install from the
 * registry this machine reaches).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { testPki } from "@x/test-pki";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const FIXTURES = fileURLToPath(new URL("./fixtures", import.meta.url));
const VERDACCIO = "verdaccio@4.13.2";
const PNPM = "pnpm@10.34.9";
const children: ChildProcess[] = [];
let work = "";
let registry = "";
let unavailable: string | null = null;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * The environment without the npm/pnpm settings of whatever runs the tests
 * (`pnpm run test` exports its own `npm_config_*`): every command here gets
 * its registry from the scratch `.npmrc` or from `extra`, never by accident.
 */
const CLEAN_ENV: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(npm_|pnpm_)/i.test(name)));

function run(command: string, args: string[], cwd: string, extra: NodeJS.ProcessEnv = {}): string {
  return execFileSync(command, args, { cwd, env: { ...CLEAN_ENV, ...extra }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 300_000 });
}

/** Starts `node file` in `cwd`; resolves with its output once `pattern` matched `count` times. */
function start(file: string, cwd: string, pattern: RegExp, count: number): Promise<{ child: ChildProcess; matches: string[] }> {
  const child = spawn(process.execPath, [file], { cwd, env: CLEAN_ENV, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let out = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} did not start:\n${out}`)), 20_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const matches = [...out.matchAll(new RegExp(pattern, "g"))].map((m) => m[1]!);
      if (matches.length >= count) {
        clearTimeout(timer);
        resolve({ child, matches });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${file} exited with ${code}:\n${out}`));
    });
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.removeAllListeners("exit");
    child.once("exit", (code) => resolve(code));
    child.kill("SIGTERM");
  });
}

function httpsGet(url: string, servername: string, ca: string): Promise<{ body: string; subject: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { servername, ca, headers: { host: servername } }, (res) => {
      const subject = (res.socket as import("node:tls").TLSSocket).getPeerCertificate().subject?.CN ?? "";
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => {
        body += d;
      });
      res.on("end", () => resolve({ body, subject: String(subject) }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** A project outside the workspace whose npm uses only the local registry. */
function scratch(name: string, packages: string[], type: "module" | "commonjs" = "module"): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, version: "0.0.0", private: true, type }));
  writeFileSync(join(dir, ".npmrc"), `registry=${registry}\n`);
  run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", ...packages], dir);
  return dir;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "x-release-registry-"));
  const port = await freePort();
  registry = `http://127.0.0.1:${port}/`;
  const uplink = run("npm", ["config", "get", "registry"], work).trim();
  const config = join(work, "verdaccio.yaml");
  writeFileSync(
    config,
    [
      `storage: ${join(work, "storage")}`,
      "auth:",
      "  htpasswd:",
      `    file: ${join(work, "htpasswd")}`,
      "uplinks:",
      "  upstream:",
      `    url: ${uplink}`,
      "packages:",
      "  '@x/*':",
      "    access: $all",
      "    publish: $authenticated",
      "  '**':",
      "    access: $all",
      "    proxy: upstream",
      "logs:",
      "  - { type: stdout, format: pretty, level: warn }",
      "",
    ].join("\n"),
  );
  try {
    run("npx", ["-y", VERDACCIO, "--version"], work);
  } catch (error) {
    unavailable = `${VERDACCIO} could not be installed: ${(error as Error).message.split("\n")[0]}`;
    return;
  }
  const verdaccio = spawn("npx", ["-y", VERDACCIO, "--config", config, "--listen", `127.0.0.1:${port}`], { cwd: work, env: CLEAN_ENV, stdio: "ignore", detached: true });
  children.push(verdaccio);
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const ping = await request(`${registry}-/ping`);
      await ping.body.dump();
      if (ping.statusCode === 200) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error("Verdaccio did not start");
    await new Promise((r) => setTimeout(r, 250));
  }
  const user = await request(`${registry}-/user/org.couchdb.user:release`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "release", password: "release-password", email: "release@example.invalid" }),
  });
  const { token } = (await user.body.json()) as { token: string };

  // The release, as a maintainer runs it, on a clone (it rewrites versions and changelogs).
  const repo = join(work, "repo");
  run("git", ["clone", "-q", ROOT, repo], work);
  const auth = `registry=${registry}\n${registry.replace(/^http:/, "")}:_authToken=${token}\n`;
  writeFileSync(join(repo, ".npmrc"), auth);
  const env = { TURBO_TELEMETRY_DISABLED: "1", npm_config_registry: registry };
  run("npx", ["-y", PNPM, "install", "--frozen-lockfile", "--prefer-offline"], repo, env);
  run("git", ["-c", "user.email=release@example.invalid", "-c", "user.name=release", "commit", "-qam", "registry for the release test", "--allow-empty"], repo);
  run("npx", ["-y", PNPM, "run", "release"], repo, env);
}, 600_000);

afterAll(async () => {
  for (const child of children.splice(0)) {
    if (child.pid !== undefined && child.spawnargs.includes("--listen")) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // gone
      }
    } else child.kill("SIGKILL");
  }
  if (work !== "") rmSync(work, { recursive: true, force: true });
});

describe("the release, through a local registry", () => {
  it("publishes every package with the release script", async (context) => {
    if (unavailable !== null) {
      console.warn(`skipped: ${unavailable}`);
      context.skip();
    }
    for (const name of ["abstractions", "transport-sockets", "http1", "http2", "https-sni", "server", "host-filtering", "forwarded-headers", "hosting", "ancm-proxy"]) {
      const view = JSON.parse(run("npm", ["view", `@x/${name}`, "--json", "--registry", registry], work)) as { name: string; version: string; dependencies?: Record<string, string> };
      expect(view.name).toBe(`@x/${name}`);
      expect(view.version).toMatch(/^\d+\.\d+\.\d+$/);
      // pnpm turned the workspace ranges into real semver ranges.
      for (const range of Object.values(view.dependencies ?? {})) expect(range, `@x/${name}`).not.toMatch(/^workspace:/);
    }
  });

  it("a project that installs only @x/hosting serves HTTP/1.1 and HTTPS with two SNI names from appsettings.json, as ESM and CommonJS", async (context) => {
    if (unavailable !== null) {
      console.warn(`skipped: ${unavailable}`);
      context.skip();
    }
    const dir = scratch("scratch-host", ["@x/hosting"]);
    const pki = await testPki();
    for (const [name, cert] of [
      ["a", pki.a],
      ["b", pki.b],
    ] as const) {
      writeFileSync(join(dir, `${name}.pem`), cert.cert);
      writeFileSync(join(dir, `${name}.key`), cert.key);
    }
    const sni = (name: string) => ({ Certificate: { Path: `${name}.pem`, KeyPath: `${name}.key` } });
    writeFileSync(
      join(dir, "appsettings.json"),
      JSON.stringify({
        Logging: { LogLevel: { Default: "Warning", "X.Hosting.Lifetime": "Information" } },
        Kestrel: {
          Endpoints: {
            Http: { Url: "http://127.0.0.1:0" },
            Https: { Url: "https://127.0.0.1:0", Sni: { "a.test": sni("a"), "b.test": sni("b") } },
          },
        },
      }),
    );
    copyFileSync(join(FIXTURES, "host-app.mjs"), join(dir, "app.mjs"));
    copyFileSync(join(FIXTURES, "host-app.cjs"), join(dir, "app.cjs"));
    for (const file of ["app.mjs", "app.cjs"]) {
      const { child, matches } = await start(file, dir, /Now listening on: ([^\s"]+)/, 2);
      const http = matches.find((u) => u.startsWith("http:"))!;
      const https = matches.find((u) => u.startsWith("https:"))!;
      const plain = await request(`${http}/`);
      expect(await plain.body.text()).toMatch(/^hello http 127\.0\.0\.1:\d+$/);
      for (const [host, cn] of [
        ["a.test", "a.test"],
        ["b.test", "b.test"],
      ]) {
        const answer = await httpsGet(`${https}/`, host, pki.ca.cert);
        expect(answer.subject, file).toBe(cn);
        expect(answer.body).toBe(`hello https ${host}`);
      }
      expect(await stop(child), file).toBe(0);
    }
    // Only what @x/hosting pulls in was installed.
    const installed = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    expect(Object.keys(installed.dependencies)).toEqual(["@x/hosting"]);
  });

  it("a project that installs only @x/transport-sockets and @x/http1 composes a bare server, as ESM and CommonJS", async (context) => {
    if (unavailable !== null) {
      console.warn(`skipped: ${unavailable}`);
      context.skip();
    }
    const dir = scratch("scratch-bare", ["@x/transport-sockets", "@x/http1", "@x/abstractions"]);
    copyFileSync(join(FIXTURES, "bare-server.mjs"), join(dir, "server.mjs"));
    writeFileSync(
      join(dir, "server.cjs"),
      readFileSync(join(FIXTURES, "bare-server.mjs"), "utf8")
        .replace(/^import \{([^}]+)\} from "([^"]+)";$/gm, 'const {$1} = require("$2");')
        .replace("const listener = await", "(async () => { const listener = await")
        .replace(
          'process.on("SIGTERM", () => void listener.unbind().then(() => { service.close(); process.exit(0); }));',
          'process.on("SIGTERM", () => void listener.unbind().then(() => { service.close(); process.exit(0); })); })();',
        ),
    );
    for (const file of ["server.mjs", "server.cjs"]) {
      const { child, matches } = await start(file, dir, /listening (\d+)/, 1);
      const res = await request(`http://127.0.0.1:${matches[0]}/bare/path`);
      expect(res.statusCode, file).toBe(200);
      expect(await res.body.text()).toBe("bare GET /bare/path");
      // createServiceContext's heartbeat keeps the Date header current.
      expect(Math.abs(Date.parse(String(res.headers.date)) - Date.now()), file).toBeLessThan(3_000);
      expect(await stop(child), file).toBe(0);
    }
  });
});
