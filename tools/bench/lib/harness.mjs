// The plumbing the HTTP/1.1 benches share: one server process pinned to core 0,
// the load generator (wrk, else autocannon) pinned to core 1, medians.
import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Whether `cmd` is on PATH. */
export const has = (cmd) => {
  try {
    execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};
/** Servers on core 0, load on core 1 (when taskset and two cores are there). */
export const pin = has("taskset") && cpus().length >= 2;
export const useWrk = has("wrk");

/** Starts `servers/<name>.mjs` (with `env` added); resolves once it prints `listening <port> [<port> ...]`. */
export function startServer(name, env = {}) {
  const file = join(here, "servers", `${name}.mjs`);
  const args = ["--expose-gc", file];
  const options = { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, ...env } };
  const child = pin ? spawn("taskset", ["-c", "0", process.execPath, ...args], options) : spawn(process.execPath, args, options);
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`${name} did not start`)), 10_000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = /listening ([\d ]+)\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        const ports = m[1].trim().split(" ").map(Number);
        resolve({ child, port: ports[0], ports, pid: child.pid });
      }
    });
  });
}

/** Resident set size of `pid` in MB, from /proc (0 once it is gone). */
export function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** SIGTERM, then SIGKILL after 3 s: only the process we started. */
export async function stopServer(s) {
  s.child.kill("SIGTERM");
  await new Promise((r) => {
    const t = setTimeout(() => {
      s.child.kill("SIGKILL");
      r();
    }, 3000);
    s.child.once("exit", () => {
      clearTimeout(t);
      r();
    });
  });
}

function toMs(v, unit) {
  const n = Number(v);
  return unit === "us" ? n / 1000 : unit === "s" ? n * 1000 : n;
}

function runWrk(port, duration, pipeline, connections, path) {
  const args = ["-t1", `-c${connections}`, `-d${duration}s`, "--latency", `http://127.0.0.1:${port}${path}`];
  if (pipeline > 1) args.splice(3, 0, "-s", join(here, "pipeline.lua"));
  const cmd = pin ? "taskset" : "wrk";
  const full = pin ? ["-c", "1", "wrk", ...args] : args;
  const out = execFileSync(cmd, full, { encoding: "utf8", env: { ...process.env, PIPELINE: String(pipeline) } });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]);
  const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(out);
  const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(out);
  return { rps, p99Ms: p99 ? toMs(p99[1], p99[2]) : null, errors: errors ? errors[0] : null };
}

async function runAutocannon(port, duration, pipeline, connections, path) {
  const autocannon = (await import("autocannon")).default;
  const r = await autocannon({ url: `http://127.0.0.1:${port}${path}`, connections, duration, pipelining: pipeline });
  return { rps: r.requests.average, p99Ms: r.latency.p99, errors: r.non2xx || r.errors ? `non2xx ${r.non2xx}, errors ${r.errors}` : null };
}

/** One bounded load run against `port`: requests/s, p99 and errors. */
export function load(port, duration, pipeline, connections, path = "/") {
  return useWrk ? runWrk(port, duration, pipeline, connections, path) : runAutocannon(port, duration, pipeline, connections, path);
}

/** The median of `xs`. */
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
