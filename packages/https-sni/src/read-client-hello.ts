/**
 * Buffers a connection's first bytes until the ClientHello is complete, then
 * puts them back (`unshift`) so node:tls reads them as if untouched: a
 * TLSSocket wrapping a stream feeds it whatever is already buffered first.
 *
 * @module
 */
import type { Duplex } from "node:stream";
import { ConnectionAbortedError } from "@x/abstractions";
import { MAX_CLIENT_HELLO, parseClientHello } from "./client-hello.js";

/** Resolves to the SNI name (or null); rejects if the stream ends, fails or sends something else. */
export function readClientHello(stream: Duplex): Promise<string | null> {
  return new Promise((resolve, reject) => {
    let buffered: Buffer = Buffer.alloc(0);
    const finish = (error: unknown, serverName: string | null = null) => {
      stream.off("readable", onReadable);
      stream.off("end", onEnd);
      stream.off("close", onEnd);
      stream.off("error", onEnd);
      if (error === undefined) {
        stream.unshift(buffered);
        resolve(serverName);
      } else {
        reject(error);
      }
    };
    const onEnd = (error?: unknown) => {
      finish(error instanceof Error ? error : new ConnectionAbortedError("The client closed before its ClientHello was complete"));
    };
    const onReadable = () => {
      let chunk: Buffer | null;
      while ((chunk = stream.read() as Buffer | null) !== null) {
        buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
        let result: ReturnType<typeof parseClientHello>;
        try {
          result = parseClientHello(buffered);
        } catch (error) {
          finish(error);
          return;
        }
        if (result !== undefined) {
          finish(undefined, result.serverName);
          return;
        }
        // parseClientHello bounds the handshake length; this bounds the records around it.
        if (buffered.length > MAX_CLIENT_HELLO + 1024) {
          finish(new ConnectionAbortedError("ClientHello too large"));
          return;
        }
      }
    };
    if (stream.destroyed) {
      onEnd();
      return;
    }
    stream.on("readable", onReadable);
    stream.on("end", onEnd);
    stream.on("close", onEnd);
    stream.on("error", onEnd);
  });
}
