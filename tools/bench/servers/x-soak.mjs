// @x/server for the soak (soak.mjs): HTTP/1.1 on one port, h2c (prior knowledge) on
// another, h2 over TLS on a third. GET / answers 13 bytes, GET /big 256 KiB in 16 KiB
// writes, POST /upload reads the whole body and answers its length.
import { readFileSync } from "node:fs";
import { HttpProtocols, Server } from "@x/server";

const server = new Server();
server.options.listen("127.0.0.1", 0, (lo) => {
  lo.protocols = HttpProtocols.Http1;
});
server.options.listen("127.0.0.1", 0, (lo) => {
  lo.protocols = HttpProtocols.Http2;
});
server.options.listen("127.0.0.1", 0, (lo) => {
  lo.protocols = HttpProtocols.Http2;
  lo.useHttps({ cert: readFileSync(process.env.CERT), key: readFileSync(process.env.KEY) });
});
const hello = Buffer.from("Hello, World!");
const chunk = Buffer.alloc(16 * 1024, 0x61);
await server.start(async (ctx) => {
  const { request, response } = ctx;
  if (request.method === "POST") {
    const body = await request.body.buffer();
    response.headers.set("content-type", "text/plain");
    return response.end(String(body.length));
  }
  if (request.path === "/big") {
    response.headers.set("content-type", "application/octet-stream");
    response.contentLength = chunk.length * 16;
    for (let i = 0; i < 16; i++) await response.write(chunk);
    return response.end();
  }
  response.headers.set("content-type", "text/plain");
  return response.end(hello);
});
process.stdout.write(`listening ${server.addresses.map((a) => new URL(a).port).join(" ")}\n`);
process.on("SIGTERM", () => server.stop(1000).then(() => process.exit(0)));
// The soak asks for a collection before it reads the settled resident memory.
process.on("SIGUSR2", () => globalThis.gc?.());
