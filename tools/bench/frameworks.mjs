#!/usr/bin/env node
// Framework benchmark: the same "Hello, World!" app of each framework on node:http
// (Hono: @hono/node-server) and on @x/node-compat over @x/server, one after another
// in the same run, each pinned to core 0 with the load on core 1. Also a plain
// (req, res) listener on both stacks and @x/server's own RequestDelegate, so the
// cost the compatibility layer adds per request can be read off. Prints
// requests/s, p99, the ratios with their targets, and writes results/frameworks.{json,md}.
//
//   node frameworks.mjs [--runs 3] [--duration 5] [--connections 50] [--frameworks node,express,fastify,hono]
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { load, median, pin, startServer, stopServer, useWrk } from "./lib/harness.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const opts = { runs: 3, duration: 5, connections: 50, frameworks: ["node", "express", "fastify", "hono"] };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === "--runs") opts.runs = Number(process.argv[++i]);
  else if (a === "--duration") opts.duration = Number(process.argv[++i]);
  else if (a === "--connections") opts.connections = Number(process.argv[++i]);
  else if (a === "--frameworks") opts.frameworks = process.argv[++i].split(",");
}

/** Targets from the issue: ours over the same app on node's stack. */
const TARGETS = { express: 1.2, fastify: 1.4, hono: 2 };

const cases = [{ label: "x RequestDelegate", server: "x", env: {} }];
for (const framework of opts.frameworks) {
  for (const stack of ["node", "x"]) cases.push({ label: `${framework} on ${stack}`, framework, stack, server: "framework", env: { FRAMEWORK: framework, STACK: stack } });
  // Both replace the global Response by default; this one keeps the platform's.
  if (framework === "hono") cases.push({ label: "hono on x, platform Response", framework, stack: "x", server: "framework", env: { FRAMEWORK: framework, STACK: "x", PLATFORM_RESPONSE: "1" } });
}

const runs = Object.fromEntries(cases.map((c) => [c.label, []]));
for (let r = 0; r < opts.runs; r++) {
  for (const c of cases) {
    const s = await startServer(c.server, c.env);
    try {
      await load(s.port, 1, 1, opts.connections); // warm-up
      runs[c.label].push(await load(s.port, opts.duration, 1, opts.connections));
    } finally {
      await stopServer(s);
    }
  }
}

const rps = Object.fromEntries(cases.map((c) => [c.label, median(runs[c.label].map((x) => x.rps))]));
const perRequestUs = (label) => 1e6 / rps[label];
const lines = [
  "# Framework benchmark",
  "",
  `${new Date().toISOString()}, Node ${process.version}, ${useWrk ? "wrk" : "autocannon"}${pin ? " (server on core 0, load on core 1)" : " (not pinned)"}, ${opts.connections} connections, ${opts.duration} s x ${opts.runs} runs (median)`,
  "",
  "| app | requests/s | p99 ms | µs/request (one core) |",
  "|---|---:|---:|---:|",
];
for (const c of cases) {
  const p99 = median(runs[c.label].map((x) => x.p99Ms ?? 0));
  lines.push(`| ${c.label} | ${Math.round(rps[c.label]).toLocaleString("en")} | ${p99.toFixed(2)} | ${perRequestUs(c.label).toFixed(1)} |`);
}
lines.push("", "Ratios (x over node's stack, same app, same run):", "");
for (const framework of opts.frameworks) {
  const ratio = rps[`${framework} on x`] / rps[`${framework} on node`];
  const target = TARGETS[framework];
  lines.push(`- ${framework}: ${ratio.toFixed(2)}x${target ? ` (target >= ${target}x: ${ratio >= target ? "met" : "NOT met"})` : ""}`);
}
if (rps["hono on x, platform Response"]) {
  const ratio = rps["hono on x, platform Response"] / rps["hono on node"];
  lines.push(`- hono with overrideGlobalResponse: false (the platform's Response): ${ratio.toFixed(2)}x`);
}
if (rps["hono on x"]) {
  lines.push("", `Fetch layer cost: Hono on x costs ${(perRequestUs("hono on x") - perRequestUs("x RequestDelegate")).toFixed(1)} µs/request more than a RequestDelegate (${(perRequestUs("hono on x, platform Response") - perRequestUs("x RequestDelegate")).toFixed(1)} µs with the platform's Response); Hono's own routing and Context are part of it.`);
}
if (rps["node on x"]) {
  lines.push(
    "",
    `Compatibility layer cost: a (req, res) listener on x costs ${(perRequestUs("node on x") - perRequestUs("x RequestDelegate")).toFixed(1)} µs/request more than the same response from a RequestDelegate.`,
  );
}
const md = `${lines.join("\n")}\n`;
process.stdout.write(md);
mkdirSync(join(here, "results"), { recursive: true });
writeFileSync(join(here, "results", "frameworks.json"), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, options: opts, runs, rps }, null, 2)}\n`);
writeFileSync(join(here, "results", "frameworks.md"), md);
