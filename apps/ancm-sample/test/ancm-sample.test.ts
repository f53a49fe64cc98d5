import { spawn } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { get } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const appDir = fileURLToPath(new URL("..", import.meta.url));
const siteDir = join(appDir, "site");
/** The x-ancm bin of the installed @x/ancm-proxy, as `npm start` runs it. */
const cli = join(dirname(createRequire(import.meta.url).resolve("@x/ancm-proxy/package.json")), "dist", "cli.js");

interface Answer {
  greeting: string | null;
  pid: number;
  hostingModel: string;
  remoteAddress: string | null;
  remotePort: number;
  scheme: string;
  originalFor: string | null;
}

interface Response {
  readonly status: number;
  readonly body: string;
  readonly contentType: string | undefined;
  /** The port of the test's side of the connection: the client's port the app should see. */
  readonly localPort: number;
}

const temps: string[] = [];

afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

/**
 * A copy of `site/` in a temp dir, so logs and app_offline.htm stay out of the repository.
 * Its `node_modules` links to this app's, where `app.mjs` finds `@x/hosting` when it runs in place.
 */
function copySite(): string {
  const dir = mkdtempSync(join(tmpdir(), "x-ancm-sample-"));
  temps.push(dir);
  const root = join(dir, "site");
  cpSync(siteDir, root, { recursive: true, filter: (source) => !/[\\/](logs|node_modules)$|[\\/]app_offline\.htm$/.test(source) });
  symlinkSync(join(appDir, "node_modules"), join(root, "node_modules"), "dir");
  return root;
}

function startFront(siteRoot: string) {
  const child = spawn(process.execPath, [cli, siteRoot, "--urls", "http://127.0.0.1:0"], { cwd: dirname(siteRoot), stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d));
  child.stderr.on("data", (d: Buffer) => (out += d));
  const exit = new Promise<number | null>((resolve) => child.once("exit", resolve));
  return {
    child,
    exit,
    output: () => out,
    async url(): Promise<string> {
      const deadline = Date.now() + 10_000;
      for (;;) {
        for (const line of out.split("\n")) {
          if (!line.startsWith("{")) continue;
          const msg = (JSON.parse(line) as { msg?: string }).msg ?? "";
          if (msg.startsWith("Now listening on: ")) return msg.slice("Now listening on: ".length);
        }
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`x-ancm is not listening:\n${out}`);
        await delay(25);
      }
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` until it is true; fails naming `what` after `ms`. */
async function until(ms: number, check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`);
    await delay(50);
  }
}

/** One GET on a new connection (node:http, no agent). */
function request(url: string): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    const req = get(url, { agent: false }, (res) => {
      const localPort = res.socket.localPort!;
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode!, body, contentType: res.headers["content-type"], localPort }));
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("apps/ancm-sample", () => {
  it("runs site/ out-of-process behind x-ancm: one app process, forwarded client address, stdout log, app_offline.htm, graceful stop", async () => {
    expect(existsSync(cli), `${cli} is missing: build @x/ancm-proxy first`).toBe(true);
    const site = copySite();
    const front = startFront(site);
    try {
      const url = await front.url();

      // Two requests, one app process (started by the first), the web.config variable over appsettings.json.
      const first = await request(`${url}/`);
      expect(first.status, front.output()).toBe(200);
      expect(first.contentType).toBe("application/json; charset=utf-8");
      const one = JSON.parse(first.body) as Answer;
      expect(one).toMatchObject({ greeting: "Hello from behind x-ancm (set in web.config)", hostingModel: "outofprocess", remoteAddress: "127.0.0.1", scheme: "http" });
      expect(one.pid).not.toBe(front.child.pid);
      // X-Forwarded-For applied: the app sees the test's own port, not the front's loopback connection (X-Original-For).
      expect(one.remotePort).toBe(first.localPort);
      expect(one.originalFor).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(one.originalFor).not.toBe(`127.0.0.1:${first.localPort}`);

      const second = await request(`${url}/`);
      expect(second.status).toBe(200);
      const two = JSON.parse(second.body) as Answer;
      expect(two.pid).toBe(one.pid);
      expect(two.remotePort).toBe(second.localPort);
      expect(isAlive(one.pid)).toBe(true);

      // stdoutLogEnabled: the app's output in logs/stdout_{timestamp}_{pid}.log.
      const logs = join(site, "logs");
      const logOf = (pid: number) => (existsSync(logs) ? readdirSync(logs).find((name) => name.startsWith("stdout_") && name.endsWith(`_${pid}.log`)) : undefined);
      await until(3_000, () => logOf(one.pid) !== undefined && readFileSync(join(logs, logOf(one.pid)!), "utf8").includes("Now listening on: http://127.0.0.1:"), "the stdout log");

      // app_offline.htm: 503 with its content, and the app process stops.
      const offlinePage = readFileSync(join(site, "_app_offline.htm"), "utf8");
      copyFileSync(join(site, "_app_offline.htm"), join(site, "app_offline.htm"));
      let offline: Response | undefined;
      // The copy creates the file empty and then fills it: under load the front can serve the
      // empty file in between, until the change event, so wait for the content.
      await until(
        2_000,
        async () => {
          offline = await request(`${url}/`);
          return offline.status === 503 && offline.body === offlinePage;
        },
        "503 with app_offline.htm's content",
      );
      expect(offline!.body).toBe(offlinePage);
      expect(offline!.contentType).toMatch(/^text\/html/);
      await until(5_000, () => !isAlive(one.pid), "the app process stopping while offline");

      // Removed: the next request starts the app again.
      rmSync(join(site, "app_offline.htm"));
      let back: Response | undefined;
      await until(2_000, async () => (back = await request(`${url}/`)).status === 200, "200 after removing app_offline.htm");
      const three = JSON.parse(back!.body) as Answer;
      expect(three.pid).not.toBe(one.pid);
      expect(isAlive(three.pid)).toBe(true);

      // SIGTERM: the front stops gracefully, exits 0, and takes the app with it.
      front.child.kill("SIGTERM");
      expect(await front.exit).toBe(0);
      await until(5_000, () => !isAlive(three.pid), "the app process exiting with the front");
    } finally {
      front.child.kill("SIGKILL");
    }
  });

  it("runs the same app.mjs in-process when web.config says hostingModel=\"inprocess\"", async () => {
    const site = copySite();
    const webConfig = join(site, "web.config");
    writeFileSync(webConfig, readFileSync(webConfig, "utf8").replace('hostingModel="outofprocess"', 'hostingModel="inprocess"'));
    const front = startFront(site);
    try {
      const url = await front.url();
      const res = await request(`${url}/`);
      expect(res.status, front.output()).toBe(200);
      const answer = JSON.parse(res.body) as Answer;
      expect(answer).toMatchObject({ greeting: "Hello from behind x-ancm (set in web.config)", hostingModel: "inprocess", pid: front.child.pid, remotePort: res.localPort });
      front.child.kill("SIGTERM");
      expect(await front.exit).toBe(0);
    } finally {
      front.child.kill("SIGKILL");
    }
  });
});
