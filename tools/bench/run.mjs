#!/usr/bin/env node
// HTTP/1.1 benchmark: @x/server against node:http (and a raw net responder, the
// floor of what one JavaScript core can do) in the same run. Each server runs in
// its own process pinned to core 0; the load generator (wrk, else autocannon) is
// pinned to core 1. Prints requests/s, p99 latency and ratios, and the resident
// memory each idle keep-alive connection costs. Writes results/http1.{json,md}.
//
//   node run.mjs [--runs 3] [--duration 5] [--connections 50] [--pipeline 16]
//                [--memory-connections 5000] [--servers x,node-http,raw-net] [--no-memory]
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { connect } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { load as loadWith, median, pin, startServer, stopServer, useWrk } from "./lib/harness.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const opts = parseArgs(process.argv.slice(2));

function parseArgs(argv) {
  const o = { runs: 3, duration: 5, connections: 50, pipeline: 16, memoryConnections: 5000, servers: ["x", "node-http", "raw-net"], memory: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--no-memory") o.memory = false;
    else if (a === "--servers") o.servers = argv[++i].split(",");
    else if (a === "--runs") o.runs = Number(argv[++i]);
    else if (a === "--duration") o.duration = Number(argv[++i]);
    else if (a === "--connections") o.connections = Number(argv[++i]);
    else if (a === "--pipeline") o.pipeline = Number(argv[++i]);
    else if (a === "--memory-connections") o.memoryConnections = Number(argv[++i]);
  }
  return o;
}

const load = (port, duration, pipeline) => loadWith(port, duration, pipeline, opts.connections);

function rssKb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m[1]);
}

/** Lets the connections sit idle past a heartbeat (servers trim idle state on it), then collects. */
async function settle(s) {
  await new Promise((r) => setTimeout(r, 2500));
  process.kill(s.pid, "SIGUSR2");
  await new Promise((r) => setTimeout(r, 500));
}

/** Opens `n` keep-alive connections, one request each, and keeps them open. */
async function openIdle(port, n) {
  const sockets = [];
  const batch = 250;
  for (let i = 0; i < n; i += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, n - i) }, () =>
        new Promise((resolve, reject) => {
          const s = connect(port, "127.0.0.1", () => s.write("GET / HTTP/1.1\r\nHost: bench\r\n\r\n"));
          let got = "";
          s.on("data", (d) => {
            got += d;
            if (got.includes("Hello, World!")) resolve();
          });
          s.on("error", reject);
          s.setTimeout(10_000, () => reject(new Error("idle connection setup timed out")));
          sockets.push(s);
        }),
      ),
    );
  }
  return sockets;
}

async function memoryPerConnection(name) {
  const s = await startServer(name);
  try {
    await openIdle(s.port, 100).then((ss) => ss.forEach((x) => x.destroy()));
    await settle(s);
    const before = rssKb(s.pid);
    const sockets = await openIdle(s.port, opts.memoryConnections);
    await settle(s);
    const after = rssKb(s.pid);
    sockets.forEach((x) => x.destroy());
    return { beforeKb: before, afterKb: after, bytesPerConnection: Math.round(((after - before) * 1024) / opts.memoryConnections) };
  } finally {
    await stopServer(s);
  }
}

async function main() {
  const scenarios = [
    { name: "plaintext", pipeline: 1 },
    { name: `plaintext, ${opts.pipeline}-deep pipelining`, pipeline: opts.pipeline },
  ];
  const results = { date: new Date().toISOString(), node: process.version, loadGenerator: useWrk ? "wrk" : "autocannon", pinned: pin, options: opts, scenarios: {}, memory: {} };
  for (const sc of scenarios) {
    const runs = Object.fromEntries(opts.servers.map((n) => [n, []]));
    for (let r = 0; r < opts.runs; r++) {
      for (const name of opts.servers) {
        const s = await startServer(name);
        try {
          await load(s.port, 1, sc.pipeline); // warm-up: JIT and connection setup
          runs[name].push(await load(s.port, opts.duration, sc.pipeline));
        } finally {
          await stopServer(s);
        }
      }
    }
    results.scenarios[sc.name] = Object.fromEntries(
      opts.servers.map((n) => [n, { rps: median(runs[n].map((x) => x.rps)), p99Ms: median(runs[n].map((x) => x.p99Ms ?? 0)), runs: runs[n] }]),
    );
  }
  if (opts.memory) for (const name of opts.servers) results.memory[name] = await memoryPerConnection(name);
  report(results);
}

function report(results) {
  const lines = [`# HTTP/1.1 benchmark`, "", `${results.date}, Node ${results.node}, ${results.loadGenerator}${results.pinned ? " (server on core 0, load on core 1)" : " (not pinned)"}, ${opts.connections} connections, ${opts.duration} s x ${opts.runs} runs (median)`, ""];
  lines.push("| scenario | server | requests/s | p99 ms | vs node:http |", "|---|---|---:|---:|---:|");
  for (const [sc, byServer] of Object.entries(results.scenarios)) {
    const base = byServer["node-http"]?.rps;
    for (const [name, r] of Object.entries(byServer)) {
      lines.push(`| ${sc} | ${name} | ${Math.round(r.rps).toLocaleString("en")} | ${r.p99Ms.toFixed(2)} | ${base ? (r.rps / base).toFixed(2) + "x" : "-"} |`);
    }
  }
  if (Object.keys(results.memory).length > 0) {
    lines.push("", `Resident memory per idle keep-alive connection (${opts.memoryConnections} connections):`, "", "| server | bytes/connection |", "|---|---:|");
    for (const [name, m] of Object.entries(results.memory)) lines.push(`| ${name} | ${m.bytesPerConnection.toLocaleString("en")} |`);
  }
  const ratios = [];
  for (const [sc, byServer] of Object.entries(results.scenarios)) {
    if (byServer.x && byServer["node-http"]) ratios.push(`${sc}: x/node:http = ${(byServer.x.rps / byServer["node-http"].rps).toFixed(2)}`);
    if (byServer.x && byServer["raw-net"]) ratios.push(`${sc}: x/raw-net floor = ${(byServer.x.rps / byServer["raw-net"].rps).toFixed(2)}`);
  }
  if (results.memory.x && results.memory["node-http"]) ratios.push(`memory per idle connection: x/node:http = ${(results.memory.x.bytesPerConnection / results.memory["node-http"].bytesPerConnection).toFixed(2)}`);
  lines.push("", "Ratios:", "", ...ratios.map((r) => `- ${r}`), "");
  const md = lines.join("\n");
  process.stdout.write(`${md}\n`);
  mkdirSync(join(here, "results"), { recursive: true });
  writeFileSync(join(here, "results", "http1.json"), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(here, "results", "http1.md"), md);
}

await main();
