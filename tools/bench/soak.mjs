#!/usr/bin/env node
// A soak: @x/server and node:http + node:http2 side by side (both on core 0, this client on
// core 1), each given the same paced mix for --minutes (30 by default): HTTP/1.1 keep-alive
// connections that close after a random number of requests, h2c and h2-over-TLS sessions that
// close after a random number of streams (some torn down with streams in flight), and some
// clients that abort mid-body, upload or download. Every --sample seconds it prints each
// server's resident memory and the requests and errors since the last sample; at the end the
// settled memory (idle, after a collection), the growth over the second half in MB per minute,
// and the ratios. Not a test: it asserts nothing, and stops by itself.
//
//   node soak.mjs [--minutes 30] [--sample 30] [--rate 600]
//
// --rate is requests per second per server; both servers get the same paced load, so the
// figures compare memory under equal work, not throughput.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as http from "node:http";
import * as http2 from "node:http2";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generate } from "selfsigned";
import { pin, rssMb, startServer, stopServer } from "./lib/harness.mjs";

const opts = { minutes: 30, sample: 30, rate: 600 };
for (let i = 2; i < process.argv.length; i++) {
  const key = process.argv[i].replace(/^--/, "");
  if (key in opts) opts[key] = Number(process.argv[++i]);
}
const here = dirname(fileURLToPath(import.meta.url));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const random = (n) => Math.floor(Math.random() * n);

// The servers are pinned to core 0 by startServer; the client takes core 1, all its threads.
if (pin) execFileSync("taskset", ["-a", "-p", "-c", "1", String(process.pid)], { stdio: "ignore" });

const UPLOAD = 64 * 1024;
const PIECE = Buffer.alloc(16 * 1024, 0x62);
const BIG = 16 * 16 * 1024;
/** The request mix, in percent: what each request does and what it must get back. */
const MIX = [
  [70, "get"],
  [8, "big"],
  [8, "upload"],
  [7, "abort-upload"],
  [7, "abort-download"],
];
const pick = () => {
  let n = random(100);
  for (const [weight, kind] of MIX) {
    n -= weight;
    if (n < 0) return kind;
  }
  return "get";
};
const expected = { get: "Hello, World!", big: null, upload: String(UPLOAD) };

/** Counts for one server over one sample period, and in total. */
class Tally {
  completed = 0;
  aborted = 0;
  errors = new Map();
  error(what) {
    this.errors.set(what, (this.errors.get(what) ?? 0) + 1);
  }
  get errorCount() {
    let n = 0;
    for (const v of this.errors.values()) n += v;
    return n;
  }
}

/** Hands out `rate` tokens a second, in 10 ms ticks, to whoever waits. */
class Pacer {
  #waiting = [];
  #credit = 0;
  #timer;
  constructor(rate) {
    this.#timer = setInterval(() => {
      this.#credit = Math.min(this.#credit + rate / 100, rate);
      while (this.#credit >= 1 && this.#waiting.length > 0) {
        this.#credit--;
        this.#waiting.shift()();
      }
    }, 10);
  }
  take() {
    return new Promise((resolve) => this.#waiting.push(resolve));
  }
  stop() {
    clearInterval(this.#timer);
    for (const resolve of this.#waiting.splice(0)) resolve();
  }
}

/** One HTTP/1.1 client: a keep-alive connection that closes after 1-50 requests, then a new one. */
async function h1Client(port, pacer, tally, running) {
  while (running.value) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const count = 1 + random(50);
    for (let i = 0; i < count && running.value; i++) {
      await pacer.take();
      if (!running.value) break;
      const kind = pick();
      await h1Request(port, agent, kind, i === count - 1, tally);
      // An abort destroys the connection: start a fresh one.
      if (kind.startsWith("abort")) break;
    }
    agent.destroy();
  }
}

function h1Request(port, agent, kind, last, tally) {
  return new Promise((resolve) => {
    const upload = kind === "upload" || kind === "abort-upload";
    const path = kind === "big" || kind === "abort-download" ? "/big" : upload ? "/upload" : "/";
    const headers = upload ? { "content-length": UPLOAD } : {};
    if (last) headers.connection = "close";
    let settled = false;
    const done = (outcome) => {
      if (settled) return;
      settled = true;
      if (outcome === "ok") tally.ok();
      else if (outcome === "aborted") tally.abort();
      else tally.error(`h1 ${outcome}`);
      resolve();
    };
    const req = http.request({ host: "127.0.0.1", port, path, method: upload ? "POST" : "GET", headers, agent }, (res) => {
      if (kind === "abort-download") {
        res.once("data", () => {
          req.destroy();
          done("aborted");
        });
        res.on("error", () => {});
        return;
      }
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("error", (e) => done(e.code ?? e.message));
      res.on("end", () => {
        const body = Buffer.concat(chunks);
        if (res.statusCode !== 200) return done(`status ${res.statusCode}`);
        if (kind === "big" ? body.length !== BIG : body.toString() !== expected[kind]) return done("wrong body");
        done("ok");
      });
    });
    req.setTimeout(30_000, () => {
      req.destroy();
      done("timeout");
    });
    req.on("error", (e) => done(kind.startsWith("abort") ? "aborted" : (e.code ?? e.message)));
    if (kind === "upload") {
      for (let i = 0; i < UPLOAD / PIECE.length; i++) req.write(PIECE);
      req.end();
    } else if (kind === "abort-upload") {
      req.write(PIECE);
      setTimeout(() => {
        req.destroy();
        done("aborted");
      }, 5);
    } else req.end();
  });
}

/** One HTTP/2 client: a session that runs 20-220 streams, 8 at a time, then closes; 1 in 20 is torn down with streams in flight. */
async function h2Client(authority, pacer, tally, running) {
  while (running.value) {
    const session = http2.connect(authority, { rejectUnauthorized: false });
    const state = { teardown: false };
    session.on("error", (e) => {
      if (!state.teardown) tally.error(`h2 session ${e.code ?? e.message}`);
    });
    const ready = await new Promise((resolve) => {
      session.once("connect", () => resolve(true));
      session.once("error", () => resolve(false));
      session.once("close", () => resolve(false));
    });
    if (!ready) {
      await sleep(100);
      continue;
    }
    const count = 20 + random(200);
    const tearAt = random(20) === 0 ? random(count) : -1;
    let started = 0;
    const lane = async () => {
      while (started < count && running.value && !session.destroyed) {
        const n = started++;
        await pacer.take();
        if (!running.value || session.destroyed) break;
        if (n === tearAt) {
          state.teardown = true;
          session.destroy();
          break;
        }
        await h2Request(session, pick(), tally, state);
      }
    };
    await Promise.all(Array.from({ length: 8 }, lane));
    if (!session.destroyed) await new Promise((resolve) => session.close(resolve));
  }
}

function h2Request(session, kind, tally, state) {
  return new Promise((resolve) => {
    const upload = kind === "upload" || kind === "abort-upload";
    const path = kind === "big" || kind === "abort-download" ? "/big" : upload ? "/upload" : "/";
    let settled = false;
    const done = (outcome) => {
      if (settled) return;
      settled = true;
      if (outcome === "ok") tally.ok();
      else if (outcome === "aborted" || state.teardown) tally.abort();
      else tally.error(`h2 ${outcome}`);
      resolve();
    };
    let stream;
    try {
      stream = session.request({ ":method": upload ? "POST" : "GET", ":path": path, ...(upload ? { "content-length": UPLOAD } : {}) }, { endStream: !upload });
    } catch (e) {
      return done(e.code ?? e.message);
    }
    stream.setTimeout(30_000, () => {
      stream.close(http2.constants.NGHTTP2_CANCEL);
      done("timeout");
    });
    let status = 0;
    const chunks = [];
    stream.on("response", (headers) => {
      status = headers[":status"];
    });
    stream.on("data", (c) => {
      if (kind === "abort-download") {
        stream.close(http2.constants.NGHTTP2_CANCEL);
        return done("aborted");
      }
      chunks.push(c);
    });
    stream.on("error", (e) => done(kind.startsWith("abort") ? "aborted" : (e.code ?? e.message)));
    stream.on("close", () => {
      if (settled) return;
      if (stream.rstCode !== 0 && stream.rstCode !== undefined) return done(`reset ${stream.rstCode}`);
      const body = Buffer.concat(chunks);
      if (status !== 200) return done(`status ${status}`);
      if (kind === "big" ? body.length !== BIG : body.toString() !== expected[kind]) return done("wrong body");
      done("ok");
    });
    if (kind === "upload") {
      for (let i = 0; i < UPLOAD / PIECE.length; i++) stream.write(PIECE);
      stream.end();
    } else if (kind === "abort-upload") {
      stream.write(PIECE);
      setTimeout(() => {
        stream.close(http2.constants.NGHTTP2_CANCEL);
        done("aborted");
      }, 5);
    }
  });
}

const dir = mkdtempSync(join(tmpdir(), "x-bench-soak-"));
const pems = await generate([{ name: "commonName", value: "localhost" }], { keyType: "ec", algorithm: "sha256" });
writeFileSync(join(dir, "cert.pem"), pems.cert);
writeFileSync(join(dir, "key.pem"), pems.private);
const env = { CERT: join(dir, "cert.pem"), KEY: join(dir, "key.pem") };

const names = ["x-soak", "node-soak"];
const label = { "x-soak": "@x/server", "node-soak": "node:http/http2" };
const servers = {};
for (const name of names) {
  const s = await startServer(name, env);
  const exit = { code: null };
  s.child.once("exit", (code, signal) => {
    exit.code = code ?? signal;
  });
  servers[name] = { ...s, exit, total: new Tally(), period: new Tally(), samples: [] };
}
await sleep(500);

const running = { value: true };
const clients = [];
for (const name of names) {
  const s = servers[name];
  s.pacer = new Pacer(opts.rate);
  // Every outcome counts twice: for the sample period and for the run.
  const tally = {
    ok() {
      s.period.completed++;
      s.total.completed++;
    },
    abort() {
      s.period.aborted++;
      s.total.aborted++;
    },
    error(what) {
      s.period.error(what);
      s.total.error(what);
    },
  };
  const [h1Port, h2cPort, h2Port] = s.ports;
  for (let i = 0; i < 16; i++) clients.push(h1Client(h1Port, s.pacer, tally, running));
  for (let i = 0; i < 6; i++) clients.push(h2Client(`http://127.0.0.1:${h2cPort}`, s.pacer, tally, running));
  for (let i = 0; i < 2; i++) clients.push(h2Client(`https://127.0.0.1:${h2Port}`, s.pacer, tally, running));
}

const startedAt = Date.now();
const endAt = startedAt + opts.minutes * 60_000;
process.stdout.write(
  `soak: ${opts.minutes} min, ${opts.rate} requests/s per server; HTTP/1.1 x16, h2c x6, h2 TLS x2 clients each; sample every ${opts.sample} s\n\n`,
);
process.stdout.write(`| min | ${names.map((n) => `${label[n]} RSS MB | req/s | errors`).join(" | ")} |\n`);
while (Date.now() < endAt) {
  await sleep(Math.min(opts.sample * 1000, endAt - Date.now()));
  const minute = (Date.now() - startedAt) / 60_000;
  const cells = [];
  for (const name of names) {
    const s = servers[name];
    const rss = rssMb(s.pid);
    const seconds = opts.sample;
    s.samples.push({ minute, rssMb: rss, completed: s.period.completed, aborted: s.period.aborted, errors: Object.fromEntries(s.period.errors) });
    cells.push(`${rss.toFixed(1)} | ${(s.period.completed / seconds).toFixed(0)} | ${s.period.errorCount}${s.exit.code !== null ? ` (exited ${s.exit.code})` : ""}`);
    s.period = new Tally();
  }
  process.stdout.write(`| ${minute.toFixed(1)} | ${cells.join(" | ")} |\n`);
}
running.value = false;
for (const name of names) servers[name].pacer.stop();
await Promise.race([Promise.all(clients), sleep(35_000)]);

// Settled: idle for 5 s, a collection, 2 s more.
await sleep(5_000);
for (const name of names) servers[name].child.kill("SIGUSR2");
await sleep(2_000);

/** Least-squares slope of RSS over the second half of the run, in MB per minute. */
function growth(samples) {
  const half = samples.filter((s) => s.minute >= opts.minutes / 2);
  if (half.length < 2) return null;
  const mx = half.reduce((a, s) => a + s.minute, 0) / half.length;
  const my = half.reduce((a, s) => a + s.rssMb, 0) / half.length;
  let num = 0;
  let den = 0;
  for (const s of half) {
    num += (s.minute - mx) * (s.rssMb - my);
    den += (s.minute - mx) ** 2;
  }
  return den === 0 ? null : num / den;
}

const summary = {};
for (const name of names) {
  const s = servers[name];
  const peak = Math.max(...s.samples.map((x) => x.rssMb));
  summary[name] = {
    server: label[name],
    completed: s.total.completed,
    aborted: s.total.aborted,
    errors: Object.fromEntries(s.total.errors),
    errorCount: s.total.errorCount,
    exited: s.exit.code,
    rssFirstMb: s.samples[0]?.rssMb ?? null,
    rssPeakMb: peak,
    rssLastMb: s.samples.at(-1)?.rssMb ?? null,
    rssSettledMb: rssMb(s.pid),
    growthSecondHalfMbPerMin: growth(s.samples),
    samples: s.samples,
  };
}
for (const name of names) await stopServer(servers[name]);
rmSync(dir, { recursive: true, force: true });

const f = (n, d = 1) => (n === null || n === undefined ? "-" : n.toFixed(d));
const lines = [
  "",
  `| server | requests completed | deliberate aborts | errors | exited | RSS first / peak / last / settled (MB) | growth, second half (MB/min) |`,
  "|---|---|---|---|---|---|---|",
  ...names.map((name) => {
    const r = summary[name];
    const errors = r.errorCount === 0 ? "0" : `${r.errorCount} (${Object.entries(r.errors).map(([k, v]) => `${k}: ${v}`).join(", ")})`;
    return `| ${r.server} | ${r.completed} | ${r.aborted} | ${errors} | ${r.exited ?? "no"} | ${f(r.rssFirstMb)} / ${f(r.rssPeakMb)} / ${f(r.rssLastMb)} / ${f(r.rssSettledMb)} | ${f(r.growthSecondHalfMbPerMin, 2)} |`;
  }),
  "",
  `@x/server / node: peak RSS ${(summary["x-soak"].rssPeakMb / summary["node-soak"].rssPeakMb).toFixed(2)}x, settled RSS ${(summary["x-soak"].rssSettledMb / summary["node-soak"].rssSettledMb).toFixed(2)}x, requests completed ${(summary["x-soak"].completed / summary["node-soak"].completed).toFixed(2)}x`,
];
process.stdout.write(`${lines.join("\n")}\n`);
const header = `Soak, ${opts.minutes} min at ${opts.rate} requests/s per server (${new Date().toISOString()})\n\n| min | ${names.map((n) => `${label[n]} RSS MB`).join(" | ")} |\n|---|---|---|\n`;
const rows = summary["x-soak"].samples.map((s, i) => `| ${s.minute.toFixed(1)} | ${f(s.rssMb)} | ${f(summary["node-soak"].samples[i]?.rssMb)} |`).join("\n");
writeFileSync(join(here, "results", "soak.md"), `${header}${rows}\n${lines.join("\n")}\n`);
writeFileSync(join(here, "results", "soak.json"), `${JSON.stringify({ opts, summary }, null, 2)}\n`);
