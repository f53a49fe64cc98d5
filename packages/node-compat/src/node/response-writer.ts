/**
 * Writes a node-style response to `ctx.response` and gives node's answers
 * back: `write()` returns false while more than the high-water mark is in
 * flight and 'drain' follows when it is out (our response's promises say
 * when the protocol handler has the bytes below `maxResponseBufferSize`);
 * callbacks run when their chunk is handed on; `end()` completes the
 * response and then 'finish' is emitted.
 *
 * @module
 */
import type { ServerResponse } from "node:http";
import type { Exchange } from "./exchange.js";
import { kNeedDrain } from "./node-internals.js";

type Callback = (error?: Error | null) => void;

/** The body half of one response. */
export class ResponseWriter {
  readonly #exchange: Exchange;
  readonly #res: ServerResponse;
  /** Bytes handed to `ctx.response` whose write has not resolved yet. */
  #inFlight = 0;
  /** Body bytes written so far (node's `strictContentLength` check). */
  bytesWritten = 0;
  #ended = false;

  constructor(exchange: Exchange, res: ServerResponse) {
    this.#exchange = exchange;
    this.#res = res;
  }

  /** Sends the head now (`flushHeaders`). */
  start(): void {
    const exchange = this.#exchange;
    if (exchange.handedOff || exchange.aborted) return;
    exchange.ctx.response.start().catch(this.#onFailure);
  }

  /** Writes one chunk; true while below the high-water mark (node's `write()` result). */
  write(chunk: string | Uint8Array, callback: Callback): boolean {
    const exchange = this.#exchange;
    if (exchange.handedOff || exchange.aborted) {
      process.nextTick(callback);
      return true;
    }
    const length = typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.byteLength;
    this.bytesWritten += length;
    this.#inFlight += length;
    let written: Promise<void>;
    try {
      written = exchange.ctx.response.write(chunk);
    } catch (error) {
      written = Promise.reject(error);
    }
    written.then(
      () => this.#written(length, callback, null),
      (error: unknown) => this.#written(length, callback, error as Error),
    );
    return this.#inFlight < this.#res.writableHighWaterMark;
  }

  /** Completes the response with an optional last chunk, then 'finish'. */
  end(last: string | Uint8Array | undefined): void {
    if (this.#ended) return;
    this.#ended = true;
    const exchange = this.#exchange;
    if (exchange.handedOff || exchange.aborted) return;
    if (last !== undefined) this.bytesWritten += typeof last === "string" ? Buffer.byteLength(last) : last.byteLength;
    let ended: Promise<void>;
    try {
      ended = exchange.ctx.response.end(last);
    } catch (error) {
      ended = Promise.reject(error);
    }
    ended.then(this.#onEnded, this.#onFailure);
  }

  #written(length: number, callback: Callback, error: Error | null): void {
    this.#inFlight -= length;
    if (error !== null) {
      this.#onFailure(error);
      callback(error);
      return;
    }
    callback();
    const res = this.#res as ServerResponse & Record<symbol, boolean>;
    if (res[kNeedDrain] && this.#inFlight < res.writableHighWaterMark && !res.destroyed) {
      res[kNeedDrain] = false;
      res.emit("drain");
    }
  }

  readonly #onEnded = (): void => {
    this.#exchange.onResponseEnded();
  };

  /**
   * A write the protocol refused (a body longer than its Content-Length, a
   * reset stream): the protocol handler has already decided the
   * connection's fate; the exchange ends as failed so the server logs it
   * and answers 500 when nothing was sent yet.
   */
  readonly #onFailure = (error: unknown): void => {
    const exchange = this.#exchange;
    if (exchange.aborted || exchange.responseEnded) return;
    if (exchange.ctx.requestAborted.aborted) {
      exchange.onConnectionClosed();
      return;
    }
    exchange.fail(error);
  };
}
