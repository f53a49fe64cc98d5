/**
 * Connection logging (Kestrel's `UseConnectionLogging`): every byte read from
 * and written to the connection's transport, logged at debug level as a hex
 * dump. Placed before `useHttps` it shows the TLS records; after it, the
 * decrypted HTTP bytes. When debug is off for its category the connection is
 * passed on untouched, so the middleware costs nothing unless it logs.
 *
 * @module
 */
import { Duplex } from "node:stream";
import type { ConnectionMiddleware, Logger } from "@x/abstractions";

/** Bytes per hex dump line, as Kestrel prints them. */
const BYTES_PER_LINE = 16;

/** `48 54 54 50 2F 31 2E 31  HTTP/1.1` lines, 16 bytes each. */
export function hexDump(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += BYTES_PER_LINE) {
    const slice = bytes.subarray(offset, offset + BYTES_PER_LINE);
    let hex = "";
    let text = "";
    for (const byte of slice) {
      hex += `${byte.toString(16).toUpperCase().padStart(2, "0")} `;
      text += byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : ".";
    }
    lines.push(`${hex.padEnd(BYTES_PER_LINE * 3)} ${text}`);
  }
  return lines.join("\n");
}

type Direction = "Read" | "Write";

/** A Duplex over another that reports each chunk passing through, with backpressure in both directions. */
class LoggingStream extends Duplex {
  readonly #inner: Duplex;
  readonly #log: (direction: Direction, chunk: Buffer) => void;

  constructor(inner: Duplex, log: (direction: Direction, chunk: Buffer) => void) {
    super({ allowHalfOpen: true });
    this.#inner = inner;
    this.#log = log;
    inner.on("data", (chunk: Buffer) => {
      log("Read", chunk);
      if (!this.push(chunk)) inner.pause();
    });
    inner.on("end", () => this.push(null));
    inner.on("error", (error) => this.destroy(error));
    inner.on("close", () => {
      // Bytes already read stay readable; the stream closes once they are consumed.
      if (this.readableLength === 0) this.destroy();
      else this.once("end", () => this.destroy());
    });
  }

  override _read(): void {
    this.#inner.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#log("Write", chunk);
    if (this.#inner.write(chunk)) callback();
    else this.#inner.once("drain", () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    // 'finish' (and so `end(cb)`) must mean the inner stream has taken every byte: the HTTP/1.1
    // handler destroys a half-closed connection on it, and autoDestroy destroys the inner stream
    // once both sides are done. Finishing early cut off writes the inner stream still held (a TLS
    // record on its way through the logging stream below TLS).
    const inner = this.#inner;
    if (inner.writableFinished || inner.destroyed) {
      callback();
      return;
    }
    const done = (): void => {
      inner.off("finish", done);
      inner.off("close", done);
      callback();
    };
    inner.on("finish", done);
    inner.on("close", done);
    inner.end();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#inner.destroy(error ?? undefined);
    callback(error);
  }
}

/**
 * Creates the logging middleware; `logger` is the category it logs under
 * (`X.Server.ConnectionLogging` unless `useConnectionLogging(name)` names one).
 */
export function createConnectionLoggingMiddleware(logger: Logger): ConnectionMiddleware {
  return (connection, next) => {
    if (!logger.isLevelEnabled("debug")) return next(connection);
    const connectionId = connection.id;
    connection.transport = new LoggingStream(connection.transport, (direction, chunk) => {
      logger.debug({ connectionId, direction, bytes: chunk.length }, `${direction}[${chunk.length}]\n${hexDump(chunk)}`);
    });
    return next(connection);
  };
}
