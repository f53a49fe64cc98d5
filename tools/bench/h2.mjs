#!/usr/bin/env node
// HTTP/2 benchmark: @x/server against node:http2 in the same run, cleartext (h2c,
// prior knowledge) and TLS (h2 via ALPN). Each server runs pinned to core 0, h2load
// (nghttp2-client) on core 1 with -c 16 -m 32. Prints requests/s and the ratio, and
// the in-process cost of the HPACK step per request (decode a request block, encode
// a response block). Writes results/http2.{json,md}.
//
//   node h2.mjs [--runs 3] [--duration 5] [--clients 16] [--streams 32]
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generate } from "selfsigned";
import { stopServer } from "./lib/harness.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const opts = { runs: 3, duration: 5, clients: 16, streams: 32 };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === "--runs") opts.runs = Number(process.argv[++i]);
  else if (a === "--duration") opts.duration = Number(process.argv[++i]);
  else if (a === "--clients") opts.clients = Number(process.argv[++i]);
  else if (a === "--streams") opts.streams = Number(process.argv[++i]);
}
const has = (cmd) => {
  try {
    execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};
if (!has("h2load")) {
  process.stderr.write("h2load is missing: apt-get install nghttp2-client\n");
  process.exit(1);
}
const pin = has("taskset") && cpus().length >= 2;

const dir = mkdtempSync(join(tmpdir(), "x-bench-h2-"));
const pems = await generate([{ name: "commonName", value: "localhost" }], { keyType: "ec", algorithm: "sha256" });
writeFileSync(join(dir, "cert.pem"), pems.cert);
writeFileSync(join(dir, "key.pem"), pems.private);
const env = { ...process.env, CERT: join(dir, "cert.pem"), KEY: join(dir, "key.pem") };

function startServer(name) {
  const file = join(here, "servers", `${name}.mjs`);
  const child = pin ? spawn("taskset", ["-c", "0", process.execPath, file], { stdio: ["ignore", "pipe", "inherit"], env }) : spawn(process.execPath, [file], { stdio: ["ignore", "pipe", "inherit"], env });
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`${name} did not start`)), 10_000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = /listening (\d+) (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, plain: Number(m[1]), tls: Number(m[2]) });
      }
    });
  });
}

function h2load(url) {
  const args = ["-c", String(opts.clients), "-m", String(opts.streams), "-D", String(opts.duration), url];
  const out = execFileSync(pin ? "taskset" : "h2load", pin ? ["-c", "1", "h2load", ...args] : args, { encoding: "utf8" });
  const rps = Number(/finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(out)?.[1] ?? 0);
  const failed = Number(/(\d+) failed/.exec(out)?.[1] ?? 0);
  const errored = Number(/(\d+) errored/.exec(out)?.[1] ?? 0);
  return { rps, failed, errored };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = {};
for (const name of ["x-h2", "node-h2"]) {
  const s = await startServer(name);
  try {
    h2load(`http://127.0.0.1:${s.plain}/`); // warm-up
    const plain = [];
    const tls = [];
    for (let i = 0; i < opts.runs; i++) {
      plain.push(h2load(`http://127.0.0.1:${s.plain}/`));
      tls.push(h2load(`https://127.0.0.1:${s.tls}/`));
    }
    results[name] = {
      cleartext: median(plain.map((r) => r.rps)),
      tls: median(tls.map((r) => r.rps)),
      failures: [...plain, ...tls].reduce((n, r) => n + r.failed + r.errored, 0),
    };
  } finally {
    await stopServer(s);
  }
}
rmSync(dir, { recursive: true, force: true });

// The HPACK step, in-process: decode a typical request block, encode a typical response block.
const { HpackDecoder, HpackEncoder } = await import("@x/http2");
const clientEncoder = new HpackEncoder();
const decoder = new HpackDecoder({ tableSize: 4096, maxHeaderListSize: 32768, maxFieldSize: 32768 });
const encoder = new HpackEncoder();
const request = [
  { name: ":method", value: "GET" },
  { name: ":scheme", value: "https" },
  { name: ":authority", value: "localhost:5001" },
  { name: ":path", value: "/" },
  { name: "user-agent", value: "h2load nghttp2/1.52.0" },
  { name: "accept", value: "*/*" },
];
const response = [
  { name: ":status", value: "200" },
  { name: "content-type", value: "text/plain" },
  { name: "content-length", value: "13" },
  { name: "date", value: new Date().toUTCString() },
  { name: "server", value: "X" },
];
const blocks = Array.from({ length: 1000 }, () => clientEncoder.encode(request));
const iterations = 200_000;
const started = process.hrtime.bigint();
for (let i = 0; i < iterations; i++) {
  decoder.decode(blocks[i % blocks.length]);
  encoder.encode(response);
}
const hpackNs = Number(process.hrtime.bigint() - started) / iterations;

const x = results["x-h2"];
const node = results["node-h2"];
const ratio = (a, b) => (b > 0 ? (a / b).toFixed(2) : "n/a");
const lines = [
  `HTTP/2, h2load -c ${opts.clients} -m ${opts.streams}, ${opts.runs}×${opts.duration} s, median requests/s${pin ? " (server core 0, h2load core 1)" : ""}`,
  "",
  "| | @x/server | node:http2 | ratio |",
  "|---|---|---|---|",
  `| cleartext (h2c) | ${Math.round(x.cleartext)} | ${Math.round(node.cleartext)} | ${ratio(x.cleartext, node.cleartext)}x |`,
  `| TLS (h2) | ${Math.round(x.tls)} | ${Math.round(node.tls)} | ${ratio(x.tls, node.tls)}x |`,
  "",
  `HPACK per request (decode a ${blocks[1].length}-byte request block + encode the response block): ${(hpackNs / 1000).toFixed(2)} µs`,
  `failed/errored requests: @x ${x.failures}, node ${node.failures}`,
];
process.stdout.write(`${lines.join("\n")}\n`);
mkdirSync(join(here, "results"), { recursive: true });
writeFileSync(join(here, "results", "http2.json"), JSON.stringify({ opts, results, hpackNs, date: new Date().toISOString() }, null, 2));
writeFileSync(join(here, "results", "http2.md"), `${lines.join("\n")}\n`);
