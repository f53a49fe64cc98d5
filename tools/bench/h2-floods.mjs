#!/usr/bin/env node
// HTTP/2 floods against @x/server and node:http2 in the same run (h2c, prior knowledge):
// how long one attacking connection lasts, the server's peak and settled RSS, and how
// long a legitimate client's requests take meanwhile. Not a test: it prints figures
// and ratios. Every attack is bounded in time (--seconds) and stops by itself.
//
//   node h2-floods.mjs [--seconds 8]
//
// Attacks:
//   refused-read     keeps 100 POST streams open (bodies never end) and opens new ones
//                    as fast as it can: each is refused (RST_STREAM REFUSED_STREAM); the
//                    client reads what the server sends.
//   refused-noread   the same, with a client that never reads: the refusals queue up.
//   ping-noread      PINGs at a steady 4,000 a second, never reading the ACKs.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as http2 from "node:http2";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CONNECTION_PREFACE, FrameType } from "@x/http2";
import { generate } from "selfsigned";
import { rssMb, startServer, stopServer } from "./lib/harness.mjs";

const opts = { seconds: 8 };
for (let i = 2; i < process.argv.length; i++) {
  if (process.argv[i] === "--seconds") opts.seconds = Number(process.argv[++i]);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function frame(type, flags, streamId, payload = Buffer.alloc(0)) {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(streamId, 5);
  return Buffer.concat([header, payload]);
}

// HPACK by hand, no table touched (RFC 7541 §6.1, §6.2.2): :method POST, :scheme http,
// :path /, :authority localhost (literal without indexing, name index 1).
const POST_BLOCK = Buffer.from([0x83, 0x86, 0x84, 0x01, 9, ...Buffer.from("localhost")]);
const headers = (id) => frame(FrameType.HEADERS, 0x4 /* END_HEADERS */, id, POST_BLOCK);
const PING = frame(FrameType.PING, 0, 0, Buffer.alloc(8, 1));

/** One attacking connection; resolves with how long it lasted and what it saw. */
function attack(port, kind, seconds) {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    const reading = kind === "refused-read";
    const started = performance.now();
    let refused = 0;
    let goAway = null;
    let buffered = Buffer.alloc(0);
    let done = false;
    const finish = (how) => {
      if (done) return;
      done = true;
      clearTimeout(limit);
      socket.destroy();
      resolve({ lastedMs: performance.now() - started, how, refused, goAway });
    };
    const limit = setTimeout(() => finish("still open at the end"), seconds * 1000);
    // The attacker keeps writing after the server's GOAWAY, so the close may come as a reset.
    const ended = (how) => () => finish(goAway === null ? how : `GOAWAY ${goAway}`);
    socket.on("error", ended("reset by the server"));
    socket.on("close", ended("closed by the server"));
    socket.on("data", (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 9) {
        const length = buffered.readUIntBE(0, 3);
        if (buffered.length < 9 + length) break;
        const type = buffered[3];
        if (type === FrameType.RST_STREAM) refused++;
        if (type === FrameType.GOAWAY && goAway === null) goAway = buffered.readUInt32BE(13);
        buffered = buffered.subarray(9 + length);
      }
    });
    socket.on("connect", async () => {
      socket.write(Buffer.concat([CONNECTION_PREFACE, frame(FrameType.SETTINGS, 0, 0)]));
      let id = 1;
      // 100 streams whose bodies never end.
      socket.write(Buffer.concat(Array.from({ length: 100 }, () => headers((id += 2) - 2))));
      await sleep(100);
      if (!reading) socket.pause();
      while (!done) {
        let ok = true;
        if (kind === "ping-noread") {
          // 4,000 a second: below any per-second flood counter, so only the backlog can cut it.
          ok = socket.write(Buffer.concat(Array.from({ length: 40 }, () => PING)));
          await sleep(10);
        } else {
          ok = socket.write(Buffer.concat(Array.from({ length: 100 }, () => headers((id += 2) - 2))));
          await new Promise((r) => setImmediate(r));
        }
        if (!ok && !done) await new Promise((r) => socket.once("drain", r).once("close", r));
      }
    });
  });
}

/** A well-behaved client's GET latencies (ms) every 100 ms until `stop` resolves. */
async function legitimate(port, stop) {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on("error", () => {});
  const times = [];
  let failures = 0;
  let stopped = false;
  stop.then(() => {
    stopped = true;
  });
  while (!stopped) {
    const t0 = performance.now();
    try {
      await new Promise((resolve, reject) => {
        const req = session.request({ ":path": "/" });
        req.setTimeout(5_000, () => req.close(http2.constants.NGHTTP2_CANCEL));
        req.on("response", () => {});
        req.resume();
        req.on("end", resolve);
        req.on("error", reject);
        req.on("close", () => (req.rstCode ? reject(new Error(`rst ${req.rstCode}`)) : resolve()));
      });
      times.push(performance.now() - t0);
    } catch {
      failures++;
    }
    await sleep(100);
  }
  session.close();
  return { times, failures };
}

const dir = mkdtempSync(join(tmpdir(), "x-bench-h2-floods-"));
const pems = await generate([{ name: "commonName", value: "localhost" }], { keyType: "ec", algorithm: "sha256" });
writeFileSync(join(dir, "cert.pem"), pems.cert);
writeFileSync(join(dir, "key.pem"), pems.private);
const env = { CERT: join(dir, "cert.pem"), KEY: join(dir, "key.pem") };

const kinds = ["refused-read", "refused-noread", "ping-noread"];
const results = {};
for (const kind of kinds) {
  for (const name of ["x-h2", "node-h2"]) {
    const s = await startServer(name, env);
    try {
      await sleep(300);
      const before = rssMb(s.pid);
      let peak = before;
      const sampler = setInterval(() => {
        peak = Math.max(peak, rssMb(s.pid));
      }, 50);
      const run = attack(s.port, kind, opts.seconds);
      const legit = legitimate(s.port, run);
      const outcome = await run;
      const { times, failures } = await legit;
      await sleep(2_000);
      clearInterval(sampler);
      const sorted = [...times].sort((a, b) => a - b);
      results[`${kind} ${name}`] = {
        ...outcome,
        rssBeforeMb: before,
        rssPeakMb: peak,
        rssAfterMb: rssMb(s.pid),
        legitP50Ms: sorted[Math.floor(sorted.length / 2)] ?? null,
        legitMaxMs: sorted.at(-1) ?? null,
        legitFailures: failures,
      };
    } finally {
      await stopServer(s);
    }
  }
}
rmSync(dir, { recursive: true, force: true });

const f = (n, d = 0) => (n === null || n === undefined ? "-" : n.toFixed(d));
const lines = [
  `HTTP/2 floods, one attacking connection for at most ${opts.seconds} s, h2c; legitimate GET every 100 ms on another connection`,
  "",
  "| attack | server | lasted (ms) | how it ended | refusals read | RSS before / peak / 2 s after (MB) | legit p50 / max (ms) | legit failures |",
  "|---|---|---|---|---|---|---|---|",
  ...Object.entries(results).map(([key, r]) => {
    const [kind, name] = key.split(" ");
    return `| ${kind} | ${name} | ${f(r.lastedMs)} | ${r.how} | ${r.refused} | ${f(r.rssBeforeMb)} / ${f(r.rssPeakMb)} / ${f(r.rssAfterMb)} | ${f(r.legitP50Ms, 1)} / ${f(r.legitMaxMs, 1)} | ${r.legitFailures} |`;
  }),
  "",
  ...kinds.map((kind) => {
    const x = results[`${kind} x-h2`];
    const node = results[`${kind} node-h2`];
    return `${kind}: @x lasted ${(x.lastedMs / node.lastedMs).toFixed(2)}x as long as node:http2, peak RSS ${(x.rssPeakMb / node.rssPeakMb).toFixed(2)}x`;
  }),
];
process.stdout.write(`${lines.join("\n")}\n`);
