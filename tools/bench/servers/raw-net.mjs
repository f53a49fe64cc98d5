// The floor: a raw net responder that answers every request-ending CRLFCRLF
// with a canned response. Not HTTP-correct; it shows what one JS core can do.
import { createServer } from "node:net";

const response = Buffer.from("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!");
const server = createServer({ noDelay: true }, (socket) => {
  socket.on("data", (chunk) => {
    let n = 0;
    for (let i = chunk.indexOf("\r\n\r\n"); i !== -1; i = chunk.indexOf("\r\n\r\n", i + 4)) n++;
    if (n === 1) socket.write(response);
    else if (n > 1) socket.write(Buffer.concat(Array(n).fill(response)));
  });
  socket.on("error", () => {});
});
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on("SIGTERM", () => process.exit(0));

// The benchmark asks for a collection before it reads resident memory.
process.on("SIGUSR2", () => globalThis.gc?.());
