// node:http with the same plaintext app.
import { createServer } from "node:http";

const body = Buffer.from("Hello, World!");
const server = createServer((req, res) => {
  res.writeHead(200, { "content-type": "text/plain", "content-length": body.length });
  res.end(body);
});
server.keepAliveTimeout = 130_000;
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));

// The benchmark asks for a collection before it reads resident memory.
process.on("SIGUSR2", () => globalThis.gc?.());
