// node:http2 with the same app: h2c on one port, h2 over TLS on another.
import * as http2 from "node:http2";
import { readFileSync } from "node:fs";

const body = Buffer.from("Hello, World!");
const onStream = (stream) => {
  stream.respond({ ":status": 200, "content-type": "text/plain", "content-length": body.length });
  stream.end(body);
};
const plain = http2.createServer();
plain.on("stream", onStream);
const secure = http2.createSecureServer({ cert: readFileSync(process.env.CERT), key: readFileSync(process.env.KEY) });
secure.on("stream", onStream);
await Promise.all([new Promise((r) => plain.listen(0, "127.0.0.1", r)), new Promise((r) => secure.listen(0, "127.0.0.1", r))]);
process.stdout.write(`listening ${plain.address().port} ${secure.address().port}\n`);
process.on("SIGTERM", () => process.exit(0));
