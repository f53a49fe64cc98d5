// @x/server speaking HTTP/2: h2c (prior knowledge) on one port, h2 over TLS on another.
// GET answers at once; POST answers once the request body has ended.
import { Server, HttpProtocols } from "@x/server";
import { readFileSync } from "node:fs";

const server = new Server();
const cert = { cert: readFileSync(process.env.CERT), key: readFileSync(process.env.KEY) };
server.options.listen("127.0.0.1", 0, (lo) => {
  lo.protocols = HttpProtocols.Http2;
});
server.options.listen("127.0.0.1", 0, (lo) => {
  lo.protocols = HttpProtocols.Http2;
  lo.useHttps(cert);
});
const body = Buffer.from("Hello, World!");
await server.start(async (ctx) => {
  // POST reads the whole request body first (h2-floods.mjs keeps such streams open).
  if (ctx.request.method === "POST") await ctx.request.body.buffer();
  ctx.response.headers.set("content-type", "text/plain");
  return ctx.response.end(body);
});
const [plain, tls] = server.addresses.map((a) => new URL(a).port);
process.stdout.write(`listening ${plain} ${tls}\n`);
process.on("SIGTERM", () => server.stop(1000).then(() => process.exit(0)));
