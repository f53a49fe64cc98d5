// node:http and node:http2 for the soak (soak.mjs), the same app as x-soak.mjs:
// HTTP/1.1 on one port, h2c (prior knowledge) on another, h2 over TLS on a third.
import { readFileSync } from "node:fs";
import * as http from "node:http";
import * as http2 from "node:http2";

const hello = Buffer.from("Hello, World!");
const chunk = Buffer.alloc(16 * 1024, 0x61);

/** The app, on node's compatibility API (the same for node:http and node:http2). */
function app(req, res) {
  // A client that aborts mid-body fails the request stream: an unhandled 'error' would end the process.
  req.on("error", () => {});
  res.on("error", () => {});
  if (req.method === "POST") {
    let length = 0;
    req.on("data", (c) => {
      length += c.length;
    });
    req.on("end", () => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(String(length));
    });
    return;
  }
  if (req.url === "/big") {
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": chunk.length * 16 });
    let sent = 0;
    const next = () => {
      while (sent < 16) {
        sent++;
        if (sent === 16) return res.end(chunk);
        if (!res.write(chunk)) return res.once("drain", next);
      }
    };
    return next();
  }
  res.writeHead(200, { "content-type": "text/plain", "content-length": hello.length });
  res.end(hello);
}

const h1 = http.createServer(app);
const h2c = http2.createServer(app);
const h2 = http2.createSecureServer({ cert: readFileSync(process.env.CERT), key: readFileSync(process.env.KEY) }, app);
for (const s of [h1, h2c, h2]) s.on("clientError", (_e, socket) => socket.destroy());
for (const s of [h2c, h2]) s.on("sessionError", () => {});
await Promise.all([h1, h2c, h2].map((s) => new Promise((r) => s.listen(0, "127.0.0.1", r))));
process.stdout.write(`listening ${[h1, h2c, h2].map((s) => s.address().port).join(" ")}\n`);
process.on("SIGTERM", () => process.exit(0));
process.on("SIGUSR2", () => globalThis.gc?.());
