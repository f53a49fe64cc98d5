/**
 * Plumbing for the end-to-end tests: fixture sites written into temp dirs
 * (with `node_modules` links to the workspace's `@x/hosting`,
 * `@x/abstractions` and `ws`), the `x-ancm` front run as a child process with
 * its JSON log parsed, bounded waits, process checks and HTTP helpers.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { get as httpGet, type IncomingHttpHeaders } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Agent, request } from "undici";

const HERE = dirname(fileURLToPath(import.meta.url));
export const PACKAGE_DIR = resolve(HERE, "../..");
/** The built front (`pnpm turbo run build --filter @x/ancm-proxy...`); `X_ANCM_E2E_CLI` runs the suite against another build. */
export const CLI = process.env.X_ANCM_E2E_CLI ?? join(PACKAGE_DIR, "dist/cli.js");
export const FIXTURES_DIR = join(HERE, "fixtures");

/** What each site's `node_modules` links to: the fixture apps import these. */
const LINKS: Record<string, string> = {
  "@x/hosting": resolve(PACKAGE_DIR, "../hosting"),
  "@x/abstractions": resolve(PACKAGE_DIR, "../abstractions"),
  ws: realpathSync(join(PACKAGE_DIR, "node_modules/ws")),
};

/** Fails early, with the command to run, when the front has not been built. */
export function assertBuilt(): void {
  if (!existsSync(CLI)) {
    throw new Error(`${CLI} does not exist: build first with \`npx -y pnpm@10.34.9 turbo run build --filter @x/ancm-proxy...\``);
  }
}

/** Rejects with a message naming `what` when `promise` takes longer than `ms`. */
export function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  return new Promise<T>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolvePromise(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` every `intervalMs` until it returns true; rejects naming `what` after `ms`. */
export async function until(ms: number, check: () => boolean | Promise<boolean>, what: string, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() >= deadline) throw new Error(`${what} did not happen within ${ms} ms`);
    await delay(intervalMs);
  }
}

// ---------------------------------------------------------------------------
// Sites

/** The `aspNetCore` element: its attributes and `environmentVariables`. */
export interface SiteSettings {
  readonly attributes: Readonly<Record<string, string>>;
  readonly environmentVariables?: Readonly<Record<string, string>>;
  readonly handlerSettings?: Readonly<Record<string, string>>;
}

/** The fixture app out-of-process (`node app.mjs`), its log kept to warnings. */
export function outOfProcess(attributes: Record<string, string> = {}, environmentVariables: Record<string, string> = {}): SiteSettings {
  return {
    attributes: { processPath: process.execPath, arguments: "app.mjs", hostingModel: "outofprocess", ...attributes },
    environmentVariables: { Logging__LogLevel__Default: "Warning", ...environmentVariables },
  };
}

function xmlAttribute(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A `web.config` as IIS sites have it. */
export function webConfigXml(settings: SiteSettings): string {
  const attributes = Object.entries(settings.attributes)
    .map(([name, value]) => `${name}="${xmlAttribute(value)}"`)
    .join("\n                ");
  const variables = Object.entries(settings.environmentVariables ?? {})
    .map(([name, value]) => `          <environmentVariable name="${xmlAttribute(name)}" value="${xmlAttribute(value)}" />`)
    .join("\n");
  const handlerSettings = Object.entries(settings.handlerSettings ?? {})
    .map(([name, value]) => `\n          <handlerSetting name="${xmlAttribute(name)}" value="${xmlAttribute(value)}" />`)
    .join("");
  return `<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <location path="." inheritInChildApplications="false">
    <system.webServer>
      <handlers>
        <add name="aspNetCore" path="*" verb="*" modules="AspNetCoreModuleV2" resourceType="Unspecified" />
      </handlers>
      <aspNetCore ${attributes}>
        <environmentVariables>
${variables}
        </environmentVariables>${handlerSettings === "" ? "" : `\n        <handlerSettings>${handlerSettings}\n        </handlerSettings>`}
      </aspNetCore>
    </system.webServer>
  </location>
</configuration>
`;
}

/** A JSON value as `ancm.json` would naturally spell it: whole numbers and booleans unquoted. */
function jsonValue(value: string): string | number | boolean {
  if (/^\d+$/.test(value)) return Number(value);
  if (value === "true" || value === "false") return value === "true";
  return value;
}

/** The same settings as `ancm.json` (numbers and booleans as JSON numbers and booleans). */
export function ancmJsonText(settings: SiteSettings): string {
  const attributes = Object.fromEntries(Object.entries(settings.attributes).map(([name, value]) => [name, jsonValue(value)]));
  const handlerSettings = settings.handlerSettings === undefined ? {} : { handlerSettings: settings.handlerSettings };
  return `${JSON.stringify({ ...attributes, environmentVariables: settings.environmentVariables ?? {}, ...handlerSettings }, null, 2)}\n`;
}

export interface SiteOptions {
  readonly settings: SiteSettings;
  /** Which settings file to write (default `web.config`). */
  readonly format?: "web.config" | "ancm.json";
}

export interface Site {
  readonly root: string;
  /** A path inside the site. */
  path(...parts: string[]): string;
}

/** Writes a site: every fixture `.mjs`, the `node_modules` links and the settings file. */
export async function writeSite(options: SiteOptions): Promise<Site> {
  const root = await mkdtemp(join(tmpdir(), "x-ancm-e2e-"));
  for (const name of readdirSync(FIXTURES_DIR)) {
    if (name.endsWith(".mjs")) copyFileSync(join(FIXTURES_DIR, name), join(root, name));
  }
  for (const [name, target] of Object.entries(LINKS)) {
    const link = join(root, "node_modules", name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(target, link, "dir");
  }
  const format = options.format ?? "web.config";
  writeFileSync(join(root, format), format === "web.config" ? webConfigXml(options.settings) : ancmJsonText(options.settings));
  return { root, path: (...parts) => join(root, ...parts) };
}

// ---------------------------------------------------------------------------
// Processes

/** True while `pid` runs (a zombie, exited but not reaped yet, counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    // "pid (comm) S ...": the state follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** Resolves once none of `pids` runs; rejects naming the survivors after `ms`. */
export async function waitGone(pids: Iterable<number>, ms: number, what = "the app processes exiting"): Promise<void> {
  const list = [...new Set(pids)];
  try {
    await until(ms, () => list.every((pid) => !isAlive(pid)), what);
  } catch (error) {
    throw new Error(`${(error as Error).message}; still running: ${list.filter(isAlive).join(", ")}`);
  }
}

/** The resident set size of `pid` in bytes (`VmRSS` in `/proc/<pid>/status`), or null when it is gone. */
export function residentBytes(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m === null ? null : Number(m[1]) * 1024;
  } catch {
    return null;
  }
}

/** Samples `pid`'s RSS every `intervalMs` until stopped; `stop()` gives the peak in bytes. */
export function sampleResident(pid: number, intervalMs = 100): { stop(): number } {
  let peak = residentBytes(pid) ?? 0;
  const timer = setInterval(() => {
    const rss = residentBytes(pid);
    if (rss !== null && rss > peak) peak = rss;
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      const rss = residentBytes(pid);
      if (rss !== null && rss > peak) peak = rss;
      return peak;
    },
  };
}

/** The pids of `pid`'s live children, from the parent pid in every `/proc/<n>/stat`; null without `/proc`. */
export function childPids(pid: number): number[] | null {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return null;
  }
  const out: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid ...": the fields after the last ')'.
    const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(ppid) === pid && state !== "Z" && state !== "X") out.push(Number(entry));
  }
  return out;
}

/** The front's environment: the test runner's, without anything that would change the module's or app's behaviour. */
function frontEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^(ASPNETCORE_|DOTNET_)/i.test(name) || /^(Logging|Kestrel)__/i.test(name) || /^(urls|PORT)$/i.test(name)) delete env[name];
  }
  return { ...env, ...extra };
}

/** One line of the front's log (pino JSON), or `{ msg: line }` for anything else. */
export interface LogLine {
  readonly msg: string;
  readonly level?: number;
  readonly category?: string;
  readonly appPid?: number;
  readonly [field: string]: unknown;
}

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface FrontOptions {
  /** More command-line arguments for the front (`--Kestrel:Limits:...`). */
  readonly args?: readonly string[];
  /** More environment variables for the front. */
  readonly env?: Record<string, string>;
}

/** The `x-ancm` front as a child process. */
export class FrontProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly lines: LogLine[] = [];
  readonly exited: Promise<ExitStatus>;
  stderr = "";
  #url: string | null = null;
  #exit: ExitStatus | null = null;
  #partial = "";
  readonly #waiters = new Set<() => void>();

  constructor(siteRoot: string, options: FrontOptions = {}) {
    this.child = spawn(process.execPath, [CLI, siteRoot, "--urls", "http://127.0.0.1:0", ...(options.args ?? [])], {
      cwd: siteRoot,
      env: frontEnvironment(options.env ?? {}),
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.pid = this.child.pid!;
    this.child.stdout!.setEncoding("utf8").on("data", (text: string) => this.#onStdout(text));
    this.child.stderr!.setEncoding("utf8").on("data", (text: string) => {
      this.stderr += text;
      this.#notify();
    });
    this.exited = new Promise((resolveExit) => {
      this.child.once("exit", (code, signal) => {
        this.#exit = { code, signal };
        this.#notify();
        resolveExit(this.#exit);
      });
    });
  }

  /** The front's address (`http://127.0.0.1:<port>`), once it listens. */
  get url(): string {
    if (this.#url === null) throw new Error("the front is not listening yet");
    return this.#url;
  }

  get running(): boolean {
    return this.#exit === null;
  }

  /** Every line the front logged, one per line, for failure messages. */
  get logText(): string {
    return this.lines.map((l) => JSON.stringify(l)).join("\n");
  }

  /** Lines whose message matches. */
  logs(match: RegExp): LogLine[] {
    return this.lines.filter((l) => match.test(l.msg));
  }

  /** The app pids the front logged (started, failed to start, exited). */
  appPids(): number[] {
    return [...new Set(this.lines.flatMap((l) => (typeof l.appPid === "number" ? [l.appPid] : [])))];
  }

  /** The pids of the app processes the front logged as started, in order. */
  startedPids(): number[] {
    return this.logs(/^Application process started/).map((l) => l.appPid!);
  }

  /** Resolves with the first line matching `match` (already logged or to come). */
  waitForLog(match: RegExp, ms = 10_000): Promise<LogLine> {
    return this.#waitFor(() => this.lines.find((l) => match.test(l.msg)) ?? null, ms, `the front logging ${match}`);
  }

  /** Resolves once `count` lines match. */
  waitForLogCount(match: RegExp, count: number, ms = 10_000): Promise<LogLine[]> {
    return this.#waitFor(
      () => {
        const found = this.logs(match);
        return found.length >= count ? found : null;
      },
      ms,
      `the front logging ${match} ${count} times`,
    );
  }

  /** Resolves with the URL once the front logs "Now listening on:". */
  async listening(ms = 15_000): Promise<string> {
    const line = await this.waitForLog(/^Now listening on: /, ms);
    this.#url = line.msg.slice("Now listening on: ".length).trim();
    return this.#url;
  }

  /** Sends `signal` (if still running) and waits for the exit, SIGKILL after `ms`. */
  async stop(signal: NodeJS.Signals = "SIGTERM", ms = 5_000): Promise<ExitStatus> {
    if (this.running) this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill("SIGKILL"), ms);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  #waitFor<T>(find: () => T | null, ms: number, what: string): Promise<T> {
    return new Promise<T>((resolveWait, reject) => {
      const check = () => {
        const found = find();
        if (found !== null) {
          finish();
          resolveWait(found);
        } else if (this.#exit !== null) {
          finish();
          reject(new Error(`${what}: the front exited (${JSON.stringify(this.#exit)}) first\nstderr: ${this.stderr}\nlog:\n${this.logText}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${what} did not happen within ${ms} ms\nstderr: ${this.stderr}\nlog:\n${this.logText}`));
      }, ms);
      const finish = () => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }

  #onStdout(text: string): void {
    const parts = (this.#partial + text).split("\n");
    this.#partial = parts.pop()!;
    for (const part of parts) {
      if (part.trim() === "") continue;
      try {
        const parsed = JSON.parse(part) as LogLine;
        this.lines.push(typeof parsed.msg === "string" ? parsed : { ...parsed, msg: "" });
      } catch {
        this.lines.push({ msg: part });
      }
    }
    this.#notify();
  }

  #notify(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}

/**
 * Everything a test starts, taken down in `afterEach`: fronts stopped
 * (SIGTERM, SIGKILL if need be), then every app pid they logged (and any
 * other pid a test tracked) checked gone, then the site dirs removed.
 */
export class E2E {
  readonly #fronts: FrontProcess[] = [];
  readonly #pids = new Set<number>();
  readonly #dirs: string[] = [];

  async site(options: SiteOptions): Promise<Site> {
    const site = await writeSite(options);
    this.#dirs.push(site.root);
    return site;
  }

  /** Starts a front on `site` and waits until it listens. */
  async front(site: Site, options: FrontOptions = {}): Promise<FrontProcess> {
    const front = this.spawnFront(site, options);
    await front.listening();
    return front;
  }

  /** Starts a front without waiting for anything. */
  spawnFront(site: Site, options: FrontOptions = {}): FrontProcess {
    const front = new FrontProcess(site.root, options);
    this.#fronts.push(front);
    return front;
  }

  /** A pid that must be gone once the test's fronts are. */
  trackPid(pid: number): void {
    this.#pids.add(pid);
  }

  async cleanup(): Promise<void> {
    const fronts = this.#fronts.splice(0);
    await Promise.allSettled(fronts.map((f) => f.stop("SIGTERM", 4_000)));
    const pids = new Set([...this.#pids, ...fronts.flatMap((f) => f.appPids())]);
    this.#pids.clear();
    try {
      await waitGone(pids, 5_000, "the app processes exiting once the fronts are gone");
    } finally {
      for (const dir of this.#dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    }
  }
}

// ---------------------------------------------------------------------------
// HTTP

/** One agent for the suite, short keep-alive; closed in afterAll. */
export const agent = new Agent({ keepAliveTimeout: 1_000, keepAliveMaxTimeout: 1_000 });

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

/** A request through undici, its whole body read as text. */
export async function send(
  url: string,
  options: { method?: "GET" | "POST"; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  const res = await request(url, { method: options.method ?? "GET", headers: options.headers, body: options.body, dispatcher: agent });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

/** What the fixture app's echo route answers. */
export interface Echo {
  readonly pid: number;
  readonly method: string;
  readonly path: string;
  readonly pathBase: string;
  readonly query: string;
  readonly scheme: string;
  readonly remoteAddress: string | null;
  readonly remotePort: number;
  readonly headers: Record<string, string>;
  readonly env: {
    readonly ASPNETCORE_PORT: string | null;
    readonly ASPNETCORE_TOKEN: string | null;
    readonly ASPNETCORE_APPL_PATH: string | null;
    readonly GREETING: string | null;
  };
  readonly argv: string[];
}

/** GETs the echo route and parses it, failing with the body when the status is not 200. */
export async function echo(url: string, headers: Record<string, string> = {}): Promise<Echo> {
  const answer = await send(url, { headers });
  if (answer.status !== 200) throw new Error(`GET ${url}: ${answer.status} ${answer.text}`);
  return JSON.parse(answer.text) as Echo;
}

/** A GET on a connection of its own (node:http), with the client's local port. */
export function getWithLocalPort(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingHttpHeaders; text: string; localPort: number }> {
  return new Promise((resolveGet, reject) => {
    const req = httpGet(url, { agent: false, headers }, (res) => {
      const localPort = res.socket.localPort!;
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        text += chunk;
      });
      res.on("end", () => resolveGet({ status: res.statusCode!, headers: res.headers, text, localPort }));
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}
