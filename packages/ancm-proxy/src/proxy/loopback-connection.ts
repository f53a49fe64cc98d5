/**
 * One keep-alive HTTP/1.1 connection from the front to its app on
 * 127.0.0.1. It carries either one request with a body (or an unsafe
 * method) at a time, or a batch of safe, bodiless requests the pool
 * pipelined onto it in one turn of the event loop (RFC 9112 §9.3.2): their
 * heads go out in one write and their responses come back in order, parsed
 * by one `ResponseParser`. Requests it cannot answer any more (the app said
 * `Connection: close`, the connection died before their response began, or
 * the pool moved them away from a slow first response) go back to the pool
 * to be sent once more elsewhere.
 *
 * @module
 */
import { connect, type Socket } from "node:net";
import type { Exchange, ExchangeCarrier } from "./loopback-exchange.js";
import { type HeaderList, type ResponseEvents, ResponseParseError, ResponseParser } from "./response-parser.js";

const NO_TRAILERS: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** What a connection needs from its pool. */
export interface ConnectionOwner {
  readonly timeoutMs: number;
  now(): number;
  /** The exchange ended, either way. */
  settled(exchange: Exchange): void;
  /** The connection is idle and may carry another request. */
  release(connection: LoopbackConnection): void;
  /** The connection closed. */
  forget(connection: LoopbackConnection): void;
  /** Sends an exchange this connection could not answer on another connection. */
  redispatch(exchange: Exchange): void;
  /** Heads were queued on the connection: write them at the end of this turn. */
  needsFlush(connection: LoopbackConnection): void;
  /** A pipelinable exchange was answered `elapsedMs` after it became first on its connection. */
  answered(elapsedMs: number): void;
}

export class LoopbackConnection implements ResponseEvents, ExchangeCarrier {
  readonly socket: Socket;
  readonly #owner: ConnectionOwner;
  /** Exchanges sent (or about to be) and not yet answered, in order; the first one's response is being read. */
  readonly #queue: Exchange[] = [];
  /** One parser per connection, reset for each response. */
  readonly #parser = new ResponseParser(this, false);
  /** The exchange the parser was last reset for. */
  #parsing: Exchange | null = null;
  /** Heads of pipelined requests not yet written. */
  #pendingHeads = "";
  #bodySent = true;
  #reusable = true;
  #connected = false;
  #closed = false;
  /** Carries nothing more: closes once its first exchange is answered (the rest went elsewhere). */
  #retiring = false;
  /** When the first exchange in the queue became first (the patience clock of the ones behind it). */
  headSince = 0;
  idleSince = 0;

  constructor(owner: ConnectionOwner, port: number) {
    this.#owner = owner;
    this.socket = connect({ host: "127.0.0.1", port, noDelay: true });
    this.socket.on("connect", () => this.#onConnect());
    this.socket.on("data", (data: Buffer) => this.#onData(data));
    this.socket.on("end", () => this.#onEnd());
    this.socket.on("error", (error) => this.fail(error));
    this.socket.on("close", () => this.#onClose());
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** Exchanges on this connection not yet answered. */
  get depth(): number {
    return this.#queue.length;
  }

  /** The target of the request being answered, if any. */
  get firstTarget(): string | undefined {
    return this.#queue[0]?.request.path;
  }

  /** Whether another pipelinable exchange may follow the ones on it now. */
  canPipeline(maxDepth: number): boolean {
    return !this.#closed && !this.#retiring && this.#reusable && this.#queue.length < maxDepth;
  }

  /**
   * Puts `exchange` on this connection: a pipelinable one has its head
   * queued for the end-of-turn write; any other goes out at once (the pool
   * gives it an idle connection) followed by its body.
   */
  start(exchange: Exchange): void {
    exchange.carrier = this;
    this.#queue.push(exchange);
    if (this.#queue.length === 1) this.headSince = this.#owner.now();
    if (exchange.pipelinable) {
      // The first head queued this turn asks for the end-of-turn write; the others join it.
      if (this.#pendingHeads === "") this.#owner.needsFlush(this);
      this.#pendingHeads += headOf(exchange);
      return;
    }
    this.#bodySent = exchange.request.body === null;
    if (this.#connected) this.#send(exchange);
  }

  /** Writes the queued heads (the pool calls this once per turn). */
  flush(): void {
    if (!this.#connected || this.#pendingHeads === "" || this.#closed) return;
    this.socket.write(this.#pendingHeads, "latin1");
    this.#pendingHeads = "";
  }

  /**
   * Takes every exchange but the first off this connection and hands them
   * back to the pool; the connection closes once the first is answered.
   * Called when the first response is so slow that the ones pipelined
   * behind it should not wait for it.
   */
  retire(): void {
    this.#retiring = true;
    this.#handBack(1, null, null);
  }

  // ExchangeCarrier

  abortExchange(exchange: Exchange, reason: Error): void {
    if (exchange === this.#queue[0]) {
      // Its response cannot be stopped half-way on a shared byte stream: the connection goes.
      this.fail(reason, exchange);
      return;
    }
    // Still waiting behind others: tell the handler now, read its response later and drop it.
    exchange.fail(reason);
    exchange.discarded = true;
    this.#owner.settled(exchange);
  }

  pauseFor(exchange: Exchange): void {
    if (exchange === this.#queue[0] && !exchange.settled) this.socket.pause();
  }

  resumeFor(exchange: Exchange): void {
    if (exchange === this.#queue[0]) this.socket.resume();
  }

  // ResponseEvents: the parser reports the response of the first exchange. A handler may have
  // failed the connection from inside an earlier event of the same read: then the queue is empty.

  onHead(status: number, headers: HeaderList): void {
    const exchange = this.#queue[0];
    if (exchange === undefined) return;
    exchange.responseStarted = true;
    if (exchange.settled) return;
    exchange.deadline = this.#owner.now() + this.#owner.timeoutMs;
    exchange.handler.onResponseStart?.(exchange, status, headers);
  }

  onBody(chunk: Buffer, final: boolean): void {
    const exchange = this.#queue[0];
    if (exchange === undefined || exchange.settled) return;
    exchange.deadline = this.#owner.now() + this.#owner.timeoutMs;
    exchange.handler.onResponseData?.(exchange, chunk, final);
  }

  onComplete(reusable: boolean): void {
    if (this.#queue.length === 0 || this.#closed) return;
    if (!reusable) this.#reusable = false;
    if (!this.#bodySent) {
      // The app answered before reading the whole body: this connection cannot carry another request.
      this.#reusable = false;
    }
    const exchange = this.#queue.shift()!;
    this.#parsing = null;
    const now = this.#owner.now();
    if (exchange.pipelinable) this.#owner.answered(now - this.headSince);
    if (exchange.paused) this.socket.resume();
    if (!exchange.settled) {
      exchange.settled = true;
      this.#owner.settled(exchange);
      exchange.handler.onResponseEnd?.(exchange, NO_TRAILERS);
    }
    if (!this.#reusable || this.#retiring) {
      // RFC 9112 §9.6: nothing more is answered after `Connection: close`; what was pipelined is sent again elsewhere.
      this.close();
      return;
    }
    if (this.#queue.length > 0) this.headSince = now;
    else if (!this.#closed) this.#owner.release(this);
  }

  /**
   * Ends the connection after an error: `cause` (the first exchange, when it
   * was aborted) and any exchange whose response had begun fail with
   * `error`; the rest are sent again elsewhere when they may be.
   */
  fail(error: Error | null, cause: Exchange | null = null): void {
    this.#reusable = false;
    this.#destroy();
    this.#handBack(0, error, cause);
  }

  /** Closes the connection; what it had not answered is sent again elsewhere, or fails. */
  close(): void {
    this.fail(null);
  }

  #onConnect(): void {
    this.#connected = true;
    const first = this.#queue[0];
    if (first !== undefined && !first.pipelinable && !first.settled) this.#send(first);
    else this.flush();
  }

  /** Writes a request that is alone on the connection, then its body. */
  #send(exchange: Exchange): void {
    const { body, hasContentLength } = exchange.request;
    this.socket.write(headOf(exchange), "latin1");
    if (body !== null) void this.#sendBody(exchange, body, !hasContentLength);
  }

  async #sendBody(exchange: Exchange, body: AsyncIterable<Buffer>, chunked: boolean): Promise<void> {
    try {
      for await (const chunk of body) {
        if (exchange.settled || this.#closed) return;
        if (chunk.length === 0) continue;
        const ok = chunked ? this.socket.write(`${chunk.length.toString(16)}\r\n`, "latin1") && this.socket.write(chunk) && this.socket.write("\r\n", "latin1") : this.socket.write(chunk);
        if (!ok) await new Promise<void>((resolve) => this.socket.once("drain", resolve).once("close", resolve));
      }
      if (chunked && !this.#closed) this.socket.write("0\r\n\r\n", "latin1");
      this.#bodySent = true;
    } catch (error) {
      // The client's body failed (it went away, or sent bad framing): the app must not see a truncated request as whole.
      if (!exchange.settled) this.fail(error instanceof Error ? error : new Error(String(error)), exchange);
    }
  }

  #onData(data: Buffer): void {
    let rest = data;
    for (;;) {
      const exchange = this.#queue[0];
      if (exchange === undefined) {
        // Bytes with no request outstanding: the connection is out of step; drop it.
        this.close();
        return;
      }
      if (this.#parsing !== exchange) {
        this.#parser.reset(exchange.request.method === "HEAD");
        this.#parsing = exchange;
      }
      let extra: Buffer | null;
      try {
        extra = this.#parser.push(rest);
      } catch (error) {
        this.fail(error instanceof ResponseParseError ? error : new ResponseParseError((error as Error).message));
        return;
      }
      // The rest of the read is the next pipelined response.
      if (extra === null || extra.length === 0 || this.#closed) return;
      rest = extra;
    }
  }

  #onEnd(): void {
    if (this.#queue.length > 0 && this.#parsing === this.#queue[0]) {
      try {
        this.#parser.end();
      } catch (error) {
        this.fail(error as Error);
        return;
      }
    }
    this.close();
  }

  #onClose(): void {
    this.#closed = true;
    this.#owner.forget(this);
    if (this.#queue.length > 0) this.fail(new Error("The connection to the app closed"));
  }

  /**
   * Takes the exchanges from `from` on off this connection: each that may be
   * sent again (and is not `cause`) goes back to the pool, the others fail
   * with `error` (by default: the connection closed before their response).
   */
  #handBack(from: number, error: Error | null, cause: Exchange | null): void {
    if (this.#queue.length <= from) return;
    const moved = this.#queue.splice(from);
    if (from === 0) this.#parsing = null;
    // Not connected yet: the heads of the moved ones must not go out here after all.
    if (!this.#connected && !this.#closed) this.#pendingHeads = this.#queue.filter((e) => e.pipelinable).map(headOf).join("");
    for (const exchange of moved) {
      if (exchange.settled) continue;
      if (exchange !== cause && exchange.canRetry) this.#owner.redispatch(exchange);
      else {
        exchange.fail(error ?? new Error("The connection to the app closed before the response"));
        this.#owner.settled(exchange);
      }
    }
  }

  #destroy(): void {
    this.#closed = true;
    if (!this.socket.destroyed) this.socket.destroy();
  }
}

/** The request line and header fields of `exchange`, as they go on the wire. */
function headOf(exchange: Exchange): string {
  const { method, path, headers, body, hasContentLength } = exchange.request;
  let head = `${method} ${path} HTTP/1.1\r\n`;
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  if (body !== null && !hasContentLength) head += "transfer-encoding: chunked\r\n";
  return `${head}\r\n`;
}
