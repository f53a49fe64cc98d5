// @x/server with the plaintext app: 13 bytes, text/plain, keep-alive.
import { Server } from "@x/server";

const server = new Server();
if (process.env.X_DISABLE_STRING_REUSE) server.options.disableStringReuse = true;
server.options.listen("127.0.0.1", Number(process.env.PORT ?? 0));
const body = Buffer.from("Hello, World!");
await server.start((ctx) => {
  ctx.response.headers.set("content-type", "text/plain");
  return ctx.response.end(body);
});
process.stdout.write(`listening ${new URL(server.addresses[0]).port}\n`);
process.on("SIGTERM", () => server.stop(1000).then(() => process.exit(0)));

// The benchmark asks for a collection before it reads resident memory.
process.on("SIGUSR2", () => globalThis.gc?.());
