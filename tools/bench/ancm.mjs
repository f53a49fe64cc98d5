#!/usr/bin/env node
// x-ancm benchmark: the same "Hello, World!" app (servers/ancm-app.mjs, @x/hosting,
// Logging:LogLevel:Default=Warning) measured in one run
//
//   direct          the app on its own (--urls), pinned to core 0;
//   out-of-process  x-ancm in front of it (web.config hostingModel="outofprocess"): the front,
//                   its watchdog and the app process all on core 0 (taskset is inherited);
//   in-process      x-ancm with the app loaded into the front (hostingModel="inprocess"), core 0;
//   nginx           nginx proxy_pass (upstream keepalive 64) in front of the direct app, nginx
//                   and the app both on core 0, as the reference for a proxy hop (skipped when
//                   nginx is not on PATH; this script installs nothing).
//
// Load: wrk -t1 -c50 pinned to core 1 (else autocannon in this process). Every setup is started
// afresh for each run, warmed up (the first request starts the app behind x-ancm, then 1 s of
// load), measured, and stopped; medians of the runs. Prints requests/s, p99 and the ratios to
// direct (of the medians, and the median of each run's ratio to that run's direct figure), the
// CPU time each process spent per request (from /proc: it holds when the load
// generator, not the server side, is the limit), what else ran on core 0 meanwhile, and which
// x-ancm build was measured; writes results/ancm.{json,md}. Every process started runs in a
// process group of its own; all of them are gone when this script ends, on errors and Ctrl+C too.
//
//   node ancm.mjs [--runs 3] [--duration 5] [--connections 50]
//                 [--setups direct,out-of-process,in-process,nginx]
//                 [--pipeline-depth N]   x-ancm's forwardingPipelineDepth handlerSetting (default: x-ancm's, 16;
//                                        1 forwards one request per connection at a time, as IIS's module does)
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const APP = join(here, "servers", "ancm-app.mjs");
const SETUPS = ["direct", "out-of-process", "in-process", "nginx"];
const LABELS = {
  direct: "direct (app alone)",
  "out-of-process": "x-ancm out-of-process",
  "in-process": "x-ancm in-process",
  nginx: "nginx proxy_pass, keepalive 64",
};
const ON_CORE_0 = {
  direct: "app",
  "out-of-process": "front + watchdog + app",
  "in-process": "front (app inside)",
  nginx: "nginx (master + 1 worker) + app",
};
const TARGETS = {
  "out-of-process": { min: 0.45, aim: 0.6 },
  "in-process": { min: 0.9 },
};

const opts = parseArgs(process.argv.slice(2));
const has = (cmd) => {
  try {
    execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};
const pin = has("taskset") && cpus().length >= 2;
const useWrk = has("wrk");
const hasNginx = has("nginx");

function parseArgs(argv) {
  const o = { runs: 3, duration: 5, connections: 50, setups: [...SETUPS], pipelineDepth: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--runs") o.runs = Number(argv[++i]);
    else if (a === "--duration") o.duration = Number(argv[++i]);
    else if (a === "--connections") o.connections = Number(argv[++i]);
    else if (a === "--setups") o.setups = argv[++i].split(",").map((s) => s.trim());
    else if (a === "--pipeline-depth") o.pipelineDepth = Number(argv[++i]);
    else if (a === "--help" || a === "-h") {
      process.stdout.write("node ancm.mjs [--runs 3] [--duration 5] [--connections 50] [--setups direct,out-of-process,in-process,nginx] [--pipeline-depth N]\n");
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  for (const s of o.setups) if (!SETUPS.includes(s)) throw new Error(`unknown setup '${s}' (one of ${SETUPS.join(", ")})`);
  if (!o.setups.includes("direct")) o.setups.unshift("direct"); // the ratios need it
  if (!(o.runs >= 1) || !(o.duration >= 1) || !(o.connections >= 1)) throw new Error("--runs, --duration and --connections must be >= 1");
  if (o.pipelineDepth !== null && !(Number.isInteger(o.pipelineDepth) && o.pipelineDepth >= 1 && o.pipelineDepth <= 64)) throw new Error("--pipeline-depth must be 1 to 64");
  return o;
}

/** x-ancm's bin, through the workspace dependency, else next to this package. */
function frontCli() {
  let dir;
  try {
    dir = dirname(createRequire(import.meta.url).resolve("@x/ancm-proxy/package.json"));
  } catch {
    dir = resolve(here, "../../packages/ancm-proxy");
  }
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  return join(dir, typeof pkg.bin === "string" ? pkg.bin : pkg.bin["x-ancm"]);
}

/** Which x-ancm build is measured: the bin's hash and time, the commit, and whether its sources differ from it. */
function frontBuild() {
  const cli = frontCli();
  const out = { cli, sha256: null, builtAt: null, commit: null, srcUncommitted: null, srcNewerThanBuild: null };
  try {
    out.sha256 = createHash("sha256").update(readFileSync(cli)).digest("hex").slice(0, 12);
    const built = statSync(cli).mtimeMs;
    out.builtAt = new Date(built).toISOString();
    const src = resolve(dirname(cli), "..", "src");
    out.srcNewerThanBuild = readdirSync(src, { recursive: true }).some((f) => statSync(join(src, f)).mtimeMs > built);
  } catch {}
  try {
    const git = (...a) => execFileSync("git", a, { cwd: here, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    out.commit = git("rev-parse", "--short", "HEAD");
    out.srcUncommitted = git("status", "--porcelain", "--", resolve(dirname(cli), "..", "src")) !== "";
  } catch {}
  return out;
}

// ---------------------------------------------------------------- processes

/** Everything started and not yet stopped: { name, child, pgid, exited, output }. */
const live = new Set();
/** Every process group ever started, to check for leftovers at the end. */
const groups = [];
let work = null;

/** The environment for every process: no ASPNETCORE_/DOTNET_ settings from the caller's shell. */
function cleanEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(ASPNETCORE_|DOTNET_)/i.test(k)) env[k] = v;
  return { ...env, ...extra };
}

/** Starts `cmd args` on core 0 (when pinning), as the leader of a new process group. */
function launch(name, cmd, args, { cwd, env = cleanEnv() } = {}) {
  const [file, argv] = pin ? ["taskset", ["-c", "0", cmd, ...args]] : [cmd, args];
  const child = spawn(file, argv, { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const proc = { name, child, pgid: child.pid, output: "", exit: null };
  const keep = (d) => {
    proc.output = (proc.output + d).slice(-16_384);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  proc.exited = new Promise((r) => {
    child.once("exit", (code, signal) => {
      proc.exit = { code, signal };
      r(proc.exit);
    });
    child.once("error", (error) => {
      keep(`spawn failed: ${error.message}\n`);
      proc.exit = { code: null, signal: null, error: error.message };
      r(proc.exit);
    });
  });
  live.add(proc);
  groups.push({ name, pgid: child.pid });
  return proc;
}

/** Live (non-zombie) processes of a process group, from /proc. */
function groupMembers(pgid) {
  const out = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue;
    }
    // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses.
    const close = stat.lastIndexOf(")");
    const [state, , pgrp] = stat.slice(close + 2).split(" ");
    if (Number(pgrp) !== pgid || state === "Z") continue;
    out.push({ pid: Number(entry), comm: stat.slice(stat.indexOf("(") + 1, close) });
  }
  return out;
}

function describe(pid) {
  let cmd = "";
  let cpusAllowed = "?";
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    // The watchdog runs as `node -e <source> -- ...`: show it short.
    const e = cmd.indexOf("-e");
    if (e >= 0) cmd.splice(e, 2, "-e", "<watchdog>");
    cmd = cmd.join(" ").slice(0, 160);
    cpusAllowed = /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? "?";
  } catch {}
  return { pid, cmd, cpus: cpusAllowed };
}

const delay = (ms) => new Promise((r) => setTimeout(r, ms));

const CLK_TCK = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** What a process is in a setup, from its command line. */
function roleOf(cmd) {
  if (cmd.includes("<watchdog>")) return "watchdog";
  if (cmd.includes("cli.js")) return "front";
  if (cmd.includes("ancm-app.mjs")) return "app";
  if (cmd.startsWith("nginx: worker")) return "nginx worker";
  if (cmd.startsWith("nginx")) return "nginx master";
  return cmd.split(" ")[0];
}

/** CPU time (user + system, ms) of every live process in the groups, by pid. */
function cpuTimes(pgids) {
  const out = new Map();
  for (const pgid of pgids) {
    for (const m of groupMembers(pgid)) {
      try {
        const stat = readFileSync(`/proc/${m.pid}/stat`, "utf8");
        const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        // utime and stime are fields 14 and 15 of stat: 11 and 12 after the state.
        out.set(m.pid, { ms: ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK, role: roleOf(describe(m.pid).cmd) });
      } catch {}
    }
  }
  return out;
}

/** CPU per request by role (µs) and how busy the setup kept core 0, between two cpuTimes snapshots. */
function cpuUse(before, after, requests, wallMs) {
  const byRole = {};
  let total = 0;
  for (const [pid, a] of after) {
    const ms = a.ms - (before.get(pid)?.ms ?? 0);
    byRole[a.role] = (byRole[a.role] ?? 0) + ms;
    total += ms;
  }
  const perRequestUs = Object.fromEntries(Object.entries(byRole).map(([role, ms]) => [role, requests > 0 ? Math.round((ms * 1000) / requests * 10) / 10 : null]));
  return { perRequestUs, totalPerRequestUs: requests > 0 ? Math.round((total * 1000) / requests * 10) / 10 : null, core0Busy: Math.round((total / wallMs) * 100) / 100 };
}

function killGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
  } catch {}
}

/** True for a process this script could have started (its command names the app, x-ancm, nginx or the work dir). */
function ours(pid) {
  let cmd = "";
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return false;
  }
  return cmd.includes(APP) || cmd.includes("ancm-proxy") || cmd.includes("nginx") || (work !== null && cmd.includes(work));
}

/**
 * SIGKILLs what is left of a group whose leader has exited, one process at a time: once the
 * leader is reaped its pid may be reused, so nothing is signalled that is not ours.
 */
function killLeftovers(pgid) {
  const members = groupMembers(pgid).filter((m) => ours(m.pid));
  for (const m of members) {
    try {
      process.kill(m.pid, "SIGKILL");
    } catch {}
  }
  return members;
}

/**
 * Stops a process as a user would (`signal` to the leader only: the front then stops its app
 * itself), waits up to `graceMs`, then SIGKILLs whatever is left in its group. Returns how
 * it went, for the report.
 */
async function stop(proc, signal = "SIGTERM", graceMs = 5000) {
  const started = Date.now();
  if (proc.exit === null) proc.child.kill(signal);
  const exitedInTime = await Promise.race([proc.exited.then(() => true), delay(graceMs).then(() => false)]);
  const stopMs = Date.now() - started;
  let leftovers = groupMembers(proc.pgid);
  // The leader has gone (or is stuck): nothing of its group may outlive the setup.
  if (leftovers.length > 0) {
    // Give children that are on their way out (an app told to shut down) a moment.
    for (let i = 0; i < 20 && leftovers.length > 0; i++) {
      await delay(100);
      leftovers = groupMembers(proc.pgid);
    }
  }
  const killed = leftovers.map((p) => `${p.pid} ${p.comm}`);
  if (leftovers.length > 0) {
    // A leader that did not exit is still ours: the whole group goes; otherwise only what is left of it.
    if (proc.exit === null) killGroup(proc.pgid, "SIGKILL");
    else killLeftovers(proc.pgid);
    for (let i = 0; i < 50 && groupMembers(proc.pgid).length > 0; i++) await delay(20);
  }
  await Promise.race([proc.exited, delay(1000)]);
  live.delete(proc);
  return { stopMs, exitedInTime, exit: proc.exit, killed };
}

function killEverything() {
  for (const proc of live) {
    if (proc.exit === null) killGroup(proc.pgid, "SIGKILL");
    else killLeftovers(proc.pgid);
  }
  live.clear();
  if (loadGenerator !== null) {
    try {
      loadGenerator.kill("SIGKILL");
    } catch {}
  }
  if (work !== null) rmSync(work, { recursive: true, force: true });
}
process.once("exit", killEverything);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.once(signal, async () => {
    process.stderr.write(`\n${signal}: stopping every process started\n`);
    const exits = [...live].map((p) => p.exited);
    if (loadGenerator !== null) exits.push(new Promise((r) => loadGenerator.once("exit", r)));
    killEverything();
    await Promise.race([Promise.all(exits), delay(1000)]); // reaped here, not left to init
    process.exit(130);
  });
}

// ---------------------------------------------------------------- HTTP helpers

function freePort() {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen({ host: "127.0.0.1", port: 0, exclusive: true }, () => {
      const { port } = s.address();
      s.close(() => resolvePort(port));
    });
  });
}

function get(port, timeoutMs) {
  return new Promise((resolveGet, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/", agent: false, timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => {
        body += d;
      });
      res.on("end", () => resolveGet({ status: res.statusCode, headers: res.headers, body }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no response within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}

/**
 * Waits for `port` to answer and checks the first response is the app's (200 "Hello, World!").
 * Behind x-ancm that first request is the one that starts the app. Returns how long the first
 * request took once the port accepted connections.
 */
async function firstResponse(port, procs, what) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    for (const p of procs) {
      if (p.exit !== null) throw new Error(`${what}: ${p.name} exited (${JSON.stringify(p.exit)}) before answering:\n${p.output}`);
    }
    const started = Date.now();
    try {
      const res = await get(port, 30_000);
      const ms = Date.now() - started;
      if (res.status !== 200 || res.body !== "Hello, World!") {
        throw new Error(`${what}: first response is ${res.status} ${JSON.stringify(res.body.slice(0, 300))}, not 200 "Hello, World!"\n${procs.map((p) => p.output).join("\n")}`);
      }
      return ms;
    } catch (error) {
      if (error.code !== "ECONNREFUSED") throw error;
      if (Date.now() > deadline) throw new Error(`${what}: port ${port} did not open within 30 s\n${procs.map((p) => p.output).join("\n")}`);
      await delay(50);
    }
  }
}

// ---------------------------------------------------------------- load

const toMs = (v, unit) => (unit === "us" ? Number(v) / 1000 : unit === "s" ? Number(v) * 1000 : Number(v));
let loadGenerator = null;

function runWrk(port, duration) {
  const args = ["-t1", `-c${opts.connections}`, `-d${duration}s`, "--latency", `http://127.0.0.1:${port}/`];
  const [file, argv] = pin ? ["taskset", ["-c", "1", "wrk", ...args]] : ["wrk", args];
  return new Promise((resolveRun, reject) => {
    const child = spawn(file, argv, { stdio: ["ignore", "pipe", "pipe"] });
    loadGenerator = child;
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      out += d;
    });
    child.once("error", reject);
    child.once("exit", (code) => {
      loadGenerator = null;
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
      if (code !== 0 || rps === null) return reject(new Error(`wrk failed (exit ${code}):\n${out}`));
      const p99 = /99%\s+([\d.]+)(us|ms|s)\b/.exec(out);
      const requests = /(\d+) requests in/.exec(out);
      const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
      const socket = /Socket errors: (.*)/.exec(out);
      const errors = [non2xx ? `non-2xx ${non2xx[1]}` : null, socket ? `socket errors: ${socket[1]}` : null].filter(Boolean).join("; ");
      resolveRun({ rps: Number(rps[1]), p99Ms: p99 ? toMs(p99[1], p99[2]) : null, requests: requests ? Number(requests[1]) : null, errors: errors || null });
    });
  });
}

async function runAutocannon(port, duration) {
  const autocannon = (await import("autocannon")).default;
  const r = await autocannon({ url: `http://127.0.0.1:${port}/`, connections: opts.connections, duration });
  const errors = r.non2xx || r.errors || r.timeouts ? `non-2xx ${r.non2xx}, errors ${r.errors}, timeouts ${r.timeouts}` : null;
  return { rps: r.requests.average, p99Ms: r.latency.p99, requests: r.requests.total, errors };
}

const load = (port, duration) => (useWrk ? runWrk(port, duration) : runAutocannon(port, duration));
const median = (xs) => {
  const s = xs.filter((x) => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
  return s.length === 0 ? null : s[Math.floor(s.length / 2)];
};

/** Busy and total jiffies of one core (`cpu0`) or all (`cpu`), from /proc/stat. */
function coreJiffies(name) {
  const line = readFileSync("/proc/stat", "utf8").split("\n").find((l) => l.startsWith(`${name} `));
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3] - (f[4] ?? 0), total };
}

/** Share of CPU time busy over `ms`, all cores (to warn when something else is running). */
async function busyShare(ms = 1000) {
  const read = () => {
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3] + (f[4] ?? 0);
    return { idle, total: f.reduce((a, b) => a + b, 0) };
  };
  const a = read();
  await delay(ms);
  const b = read();
  return b.total === a.total ? 0 : 1 - (b.idle - a.idle) / (b.total - a.total);
}

// ---------------------------------------------------------------- setups

const xmlAttr = (s) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
/** One argv entry in `arguments`, which x-ancm splits as Windows command lines are. */
const winArg = (s) => (/[\s"]/.test(s) ? `"${s.replace(/"/g, '\\"')}"` : s);

/** A site as `dotnet publish` lays it out for IIS: web.config at its root. */
function writeSite(hostingModel) {
  const site = join(work, `site-${hostingModel}`);
  mkdirSync(site, { recursive: true });
  const [processPath, args] = hostingModel === "inprocess" ? [APP, ""] : [process.execPath, winArg(APP)];
  const webConfig = `<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <location path="." inheritInChildApplications="false">
    <system.webServer>
      <aspNetCore processPath="${xmlAttr(processPath)}" arguments="${xmlAttr(args)}" hostingModel="${hostingModel}" stdoutLogEnabled="false">
        <environmentVariables>
          <environmentVariable name="Logging__LogLevel__Default" value="Warning" />
        </environmentVariables>${
          opts.pipelineDepth === null
            ? ""
            : `
        <handlerSettings>
          <handlerSetting name="forwardingPipelineDepth" value="${opts.pipelineDepth}" />
        </handlerSettings>`
        }
      </aspNetCore>
    </system.webServer>
  </location>
</configuration>
`;
  writeFileSync(join(site, "web.config"), webConfig);
  return site;
}

async function startDirect() {
  const port = await freePort();
  const cwd = join(work, "direct");
  mkdirSync(cwd, { recursive: true });
  const app = launch("app", process.execPath, [APP, "--urls", `http://127.0.0.1:${port}`], { cwd });
  const firstMs = await firstResponse(port, [app], "direct app");
  return { port, procs: [app], firstMs };
}

function startFront(hostingModel) {
  return async () => {
    const cli = frontCli();
    if (!existsSync(cli)) throw new Error(`${cli} is missing: build it with\n  cd ${resolve(here, "../..")} && TURBO_TELEMETRY_DISABLED=1 npx -y pnpm@10.34.9 turbo run build --filter @x/ancm-proxy...`);
    const site = writeSite(hostingModel);
    const port = await freePort();
    const front = launch("x-ancm", process.execPath, [cli, site, "--urls", `http://127.0.0.1:${port}`, "--Logging:LogLevel:Default=Warning"], { cwd: site });
    // The app starts with the first request, as under IIS: that request is the warm-up.
    const firstMs = await firstResponse(port, [front], `x-ancm ${hostingModel}`);
    return { port, procs: [front], firstMs };
  };
}

let nginxVersion = null;
async function startNginx() {
  const app = await startDirect();
  const dir = join(work, `nginx-${app.port}`);
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const conf = join(dir, "nginx.conf");
  const errorLog = join(dir, "error.log");
  writeFileSync(
    conf,
    `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${errorLog} warn;
events {
  worker_connections 1024;
}
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream app {
    server 127.0.0.1:${app.port};
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`,
  );
  // -e (1.19.5+): the error log before the configuration is read, instead of /var/log/nginx.
  const args = ["-p", `${dir}/`, "-c", conf];
  if (nginxSupportsE()) args.push("-e", errorLog);
  const nginx = launch("nginx", "nginx", args, { cwd: dir });
  try {
    await firstResponse(port, [nginx, ...app.procs], "nginx");
  } catch (error) {
    const log = existsSync(errorLog) ? readFileSync(errorLog, "utf8") : "";
    throw new Error(`${error.message}\n${log}`);
  }
  return { port, procs: [nginx, ...app.procs], firstMs: app.firstMs, errorLog };
}

function getNginxVersion() {
  // `nginx -v` writes "nginx version: nginx/1.22.1" to stderr.
  nginxVersion ??= /nginx\/([\d.]+)/.exec(execFileSync("sh", ["-c", "nginx -v 2>&1"], { encoding: "utf8" }))?.[1] ?? "0";
  return nginxVersion;
}

function nginxSupportsE() {
  const [a, b, c] = getNginxVersion().split(".").map(Number);
  return a > 1 || (a === 1 && (b > 19 || (b === 19 && c >= 5)));
}

const STARTERS = {
  direct: startDirect,
  "out-of-process": startFront("outofprocess"),
  "in-process": startFront("inprocess"),
  nginx: startNginx,
};

// ---------------------------------------------------------------- main

async function main() {
  const setups = opts.setups.filter((s) => {
    if (s === "nginx" && !hasNginx) {
      process.stdout.write("nginx not installed: skipped\n");
      return false;
    }
    return true;
  });
  work = mkdtempSync(join(tmpdir(), "x-bench-ancm-"));
  if (!useWrk && pin) {
    // autocannon runs in this process: keep it off the servers' core.
    execFileSync("taskset", ["-a", "-p", "-c", "1", String(process.pid)], { stdio: "ignore" });
  }
  const busy = await busyShare();
  const notes = [];
  if (busy > 0.15) notes.push(`the machine was ${(busy * 100).toFixed(0)}% busy before the run: something else is running, figures may be low`);
  if (!pin) notes.push("taskset or a second core is missing: servers and load are not pinned");
  for (const n of notes) process.stderr.write(`warning: ${n}\n`);

  const results = {
    date: new Date().toISOString(),
    node: process.version,
    loadGenerator: useWrk ? "wrk" : "autocannon",
    pinned: pin,
    cores: cpus().length,
    options: { ...opts, setups },
    nginx: hasNginx ? getNginxVersion() : null,
    front: frontBuild(),
    notes,
    setups: {},
    ratios: {},
  };
  const runs = Object.fromEntries(setups.map((s) => [s, []]));
  const layouts = {};
  for (let r = 0; r < opts.runs; r++) {
    for (const name of setups) {
      process.stderr.write(`run ${r + 1}/${opts.runs}: ${name}... `);
      const started = await STARTERS[name]();
      let measured;
      const stops = [];
      try {
        // Which processes serve this setup, and on which cores (checked, not assumed).
        layouts[name] ??= started.procs.flatMap((p) => groupMembers(p.pgid).map((m) => ({ group: p.name, ...describe(m.pid) })));
        await load(started.port, 1); // warm-up: JIT, connections, the app's pool behind the front
        const pgids = started.procs.map((p) => p.pgid);
        const cpuBefore = cpuTimes(pgids);
        const core0Before = coreJiffies("cpu0");
        const t0 = Date.now();
        measured = await load(started.port, opts.duration);
        const core0After = coreJiffies("cpu0");
        measured.cpu = cpuUse(cpuBefore, cpuTimes(pgids), measured.requests ?? Math.round(measured.rps * opts.duration), Date.now() - t0);
        // What else ran on core 0 meanwhile (other processes on the machine): noise in the figures.
        const core0Busy = (core0After.busy - core0Before.busy) / Math.max(1, core0After.total - core0Before.total);
        measured.cpu.core0Foreign = Math.max(0, Math.round((core0Busy - measured.cpu.core0Busy) * 100) / 100);
        measured.firstRequestMs = started.firstMs;
        const after = await get(started.port, 5000).catch((e) => ({ status: 0, body: String(e.message) }));
        if (after.status !== 200 || after.body !== "Hello, World!") measured.errors = `${measured.errors ?? ""} after the load: ${after.status} ${after.body.slice(0, 120)}`.trim();
      } finally {
        for (const p of started.procs) {
          // nginx: SIGQUIT is its graceful stop; everything else stops on SIGTERM.
          const s = await stop(p, p.name === "nginx" ? "SIGQUIT" : "SIGTERM");
          stops.push({ process: p.name, ...s });
        }
        if (started.errorLog && existsSync(started.errorLog)) {
          const bad = readFileSync(started.errorLog, "utf8").split("\n").filter((l) => /\[(error|crit|alert|emerg)\]/.test(l));
          if (bad.length > 0 && measured) measured.errors = `${measured.errors ?? ""} nginx error.log: ${bad.length} lines, first: ${bad[0]}`.trim();
        }
      }
      measured.stops = stops;
      runs[name].push(measured);
      process.stderr.write(`${Math.round(measured.rps)} req/s, p99 ${measured.p99Ms?.toFixed(2)} ms${measured.errors ? ` (${measured.errors})` : ""}\n`);
    }
  }
  for (const name of setups) {
    const rs = runs[name];
    results.setups[name] = {
      label: LABELS[name],
      onCore0: ON_CORE_0[name],
      rps: median(rs.map((x) => x.rps)),
      p99Ms: median(rs.map((x) => x.p99Ms)),
      firstRequestMs: median(rs.map((x) => x.firstRequestMs)),
      stopMs: median(rs.map((x) => x.stops[0]?.stopMs ?? null)),
      cpu: medianCpu(rs.map((x) => x.cpu)),
      errors: rs.map((x) => x.errors).filter(Boolean),
      processes: layouts[name],
      runs: rs,
    };
  }
  const direct = results.setups.direct.rps;
  for (const name of setups) if (name !== "direct") results.ratios[name] = results.setups[name].rps / direct;
  // Each run's ratio to the direct figure of the same run: this machine's speed drifts over minutes, and a
  // pair measured within seconds of each other shares the drift that the medians across runs do not.
  results.pairedRatios = {};
  for (const name of setups) {
    if (name === "direct") continue;
    const perRun = runs[name].map((x, i) => (x.rps && runs.direct[i]?.rps ? x.rps / runs.direct[i].rps : null)).filter((v) => v !== null);
    results.pairedRatios[name] = { median: median(perRun), min: Math.min(...perRun), max: Math.max(...perRun), runs: perRun };
  }
  // Every group is gone (checked again after the last stop).
  results.leftoverProcesses = groups.flatMap((g) => killLeftovers(g.pgid).map((m) => `${g.name}: ${m.pid} ${m.comm}`));
  report(results);
}

function medianCpu(cpus) {
  const roles = [...new Set(cpus.flatMap((c) => Object.keys(c.perRequestUs)))];
  return {
    perRequestUs: Object.fromEntries(roles.map((r) => [r, median(cpus.map((c) => c.perRequestUs[r] ?? null))])),
    totalPerRequestUs: median(cpus.map((c) => c.totalPerRequestUs)),
    core0Busy: median(cpus.map((c) => c.core0Busy)),
    core0Foreign: Math.max(...cpus.map((c) => c.core0Foreign ?? 0)),
  };
}

function report(results) {
  const fmt = (n) => Math.round(n).toLocaleString("en");
  const lines = [
    "# x-ancm benchmark",
    "",
    `${results.date}, Node ${results.node}, ${results.loadGenerator} -c${opts.connections}${results.pinned ? " (server side on core 0, load on core 1)" : " (not pinned)"}, ${opts.duration} s x ${opts.runs} runs (median), same "Hello, World!" app (tools/bench/servers/ancm-app.mjs)`,
    "",
    `x-ancm: ${results.front.cli.replace(resolve(here, "../..") + "/", "")} sha256 ${results.front.sha256 ?? "?"}, built ${results.front.builtAt ?? "?"}, commit ${results.front.commit ?? "?"}${results.front.srcUncommitted ? " + uncommitted src changes" : ""}${results.front.srcNewerThanBuild ? " (WARNING: src is newer than this build)" : ""}${results.nginx ? `; nginx ${results.nginx}` : ""}; forwardingPipelineDepth ${opts.pipelineDepth ?? "16 (x-ancm's default)"}`,
    "",
    "| setup | on core 0 | requests/s | p99 ms | vs direct | first request ms | stop ms |",
    "|---|---|---:|---:|---:|---:|---:|",
  ];
  for (const [name, r] of Object.entries(results.setups)) {
    const ratio = name === "direct" ? "1.00x" : `${results.ratios[name].toFixed(2)}x`;
    lines.push(`| ${r.label} | ${r.onCore0} | ${fmt(r.rps)} | ${r.p99Ms === null ? "-" : r.p99Ms.toFixed(2)} | ${ratio} | ${r.firstRequestMs ?? "-"} | ${r.stopMs ?? "-"} |`);
  }
  lines.push("", "Ratios:", "");
  const ratioLines = [];
  for (const [name, ratio] of Object.entries(results.ratios)) {
    const t = TARGETS[name];
    const target = t ? ` (target >= ${t.min}${t.aim ? `, aim ${t.aim}` : ""})${ratio < t.min ? " BELOW TARGET" : ""}` : "";
    const cpu = results.setups[name].cpu.totalPerRequestUs;
    const base = results.setups.direct.cpu.totalPerRequestUs;
    const byCpu = cpu && base ? `; by CPU per request ${(base / cpu).toFixed(2)}` : "";
    const paired = results.pairedRatios[name];
    const perRun = paired && paired.runs.length > 1 ? `; run by run ${paired.median.toFixed(2)} (${paired.min.toFixed(2)} to ${paired.max.toFixed(2)})` : "";
    ratioLines.push(`${name} / direct = ${ratio.toFixed(2)}${target}${byCpu}${perRun}`);
  }
  lines.push(...ratioLines.map((l) => `- ${l}`));
  if (!results.setups.nginx && opts.setups.includes("nginx")) lines.push("- nginx: not installed, skipped");
  lines.push(
    "",
    `CPU time per request (user + system, µs, from /proc; ${CLK_TCK} ticks/s) and how busy the setup kept core 0 during the measurement:`,
    "",
    "| setup | per request, by process | total µs/request | core 0 busy |",
    "|---|---|---:|---:|",
  );
  for (const r of Object.values(results.setups)) {
    const parts = Object.entries(r.cpu.perRequestUs).map(([role, us]) => `${role} ${us === null ? "-" : us.toFixed(1)}`);
    lines.push(`| ${r.label} | ${parts.join(", ")} | ${r.cpu.totalPerRequestUs?.toFixed(1) ?? "-"} | ${r.cpu.core0Busy === null ? "-" : `${Math.round(r.cpu.core0Busy * 100)}%`} |`);
  }
  lines.push(
    "",
    '"first request ms": the first request after the port opened (behind x-ancm it starts the app). "stop ms": SIGTERM (nginx: SIGQUIT) to the exit of the front/app, everything included.',
  );
  const problems = [];
  for (const [name, r] of Object.entries(results.setups)) {
    for (const e of r.errors) problems.push(`${name}: ${e}`);
    for (const run of r.runs) {
      for (const s of run.stops) {
        if (!s.exitedInTime) problems.push(`${name}: ${s.process} did not exit within 5 s of the stop signal`);
        else if (s.exit && s.exit.code !== 0) problems.push(`${name}: ${s.process} ended with ${s.exit.signal ? `signal ${s.exit.signal}` : `exit code ${s.exit.code}`} after its stop signal, not a graceful exit (code 0)`);
        if (s.killed.length > 0) problems.push(`${name}: left behind after ${s.process} exited (SIGKILLed): ${s.killed.join(", ")}`);
      }
    }
  }
  const directBusy = results.setups.direct.cpu.core0Busy;
  if (directBusy !== null && directBusy < 0.9) {
    problems.push(`direct kept core 0 only ${Math.round(directBusy * 100)}% busy: the load generator, not the app, was the limit, so the requests/s ratios to direct are flattered; the CPU-per-request ratios are not`);
  }
  for (const [name, r] of Object.entries(results.setups)) {
    if (r.cpu.core0Foreign > 0.05) problems.push(`${name}: other processes used up to ${Math.round(r.cpu.core0Foreign * 100)}% of core 0 during a measurement: the figures are noisy`);
  }
  for (const l of results.leftoverProcesses) problems.push(`still running at the end (SIGKILLed): ${l}`);
  for (const n of results.notes) problems.push(n);
  if (problems.length > 0) lines.push("", "Problems seen:", "", ...[...new Set(problems)].map((p) => `- ${p}`));
  lines.push("", "Processes per setup (pid, CPUs allowed, command):", "");
  for (const [name, r] of Object.entries(results.setups)) {
    for (const p of r.processes ?? []) lines.push(`- ${name}: ${p.pid} [cpus ${p.cpus}] ${p.cmd}`);
  }
  lines.push("");
  const md = lines.join("\n");
  process.stdout.write(`\n${md}`);
  mkdirSync(join(here, "results"), { recursive: true });
  writeFileSync(join(here, "results", "ancm.json"), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(here, "results", "ancm.md"), md);
}

try {
  await main();
} finally {
  killEverything();
}
