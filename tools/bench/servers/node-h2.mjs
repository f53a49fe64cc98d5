// node:http2 with the same app: h2c on one port, h2 over TLS on another.
// GET answers at once; POST answers once the request body has ended.
import * as http2 from "node:http2";
import { readFileSync } from "node:fs";

const body = Buffer.from("Hello, World!");
const respond = (stream) => {
  stream.respond({ ":status": 200, "content-type": "text/plain", "content-length": body.length });
  stream.end(body);
};
const onStream = (stream, headers) => {
  // An attacked session's streams fail: an unhandled 'error' would end the process.
  stream.on("error", () => {});
  if (headers[":method"] !== "POST") return respond(stream);
  // POST answers once the request body has ended (h2-floods.mjs keeps such streams open).
  stream.resume();
  stream.on("end", () => respond(stream));
};
const plain = http2.createServer();
plain.on("stream", onStream);
plain.on("sessionError", () => {});
const secure = http2.createSecureServer({ cert: readFileSync(process.env.CERT), key: readFileSync(process.env.KEY) });
secure.on("stream", onStream);
secure.on("sessionError", () => {});
await Promise.all([new Promise((r) => plain.listen(0, "127.0.0.1", r)), new Promise((r) => secure.listen(0, "127.0.0.1", r))]);
process.stdout.write(`listening ${plain.address().port} ${secure.address().port}\n`);
process.on("SIGTERM", () => process.exit(0));
