/**
 * The HTTP/1.1 response: status, headers, and the output framing (Kestrel's
 * `Http1OutputProducer`, hyper's `encode.rs`).
 *
 * Framing: when the app completes before the body is flushed the response
 * goes out with Content-Length; otherwise chunked (HTTP/1.1) or delimited by
 * closing the connection (HTTP/1.0). The first `write` is held until the
 * end of the current turn of the event loop, so `write(x)` followed by
 * returning still yields one Content-Length response in one packet.
 *
 * @module
 */
import {
  HeaderMap,
  ResponseStartedError,
  UserError,
  type HttpResponse,
  type ResponseCallback,
  InvalidHeaderError,
  NotSupportedError,
  isToken,
} from "@x/abstractions";
import { fieldLines, statusLine } from "./response-head.js";

/** What the response needs from its connection. */
export interface ResponseOwner {
  readonly dateHeader: string;
  readonly serverHeader: string | null;
  /** Whether the connection may stay open after this response. */
  readonly requestKeepAlive: boolean;
  readonly isHeadRequest: boolean;
  readonly isConnectRequest: boolean;
  readonly isHttp10: boolean;
  readonly isAborted: boolean;
  writeRaw(data: string | Uint8Array): void;
  waitForDrain(): Promise<void>;
  /** Calls `flushPending()` at the end of this turn of the event loop. */
  scheduleFlush(): void;
}

const RESOLVED = Promise.resolve();
const State = { NotStarted: 0, Pending: 1, Started: 2, Completed: 3 } as const;
type State = (typeof State)[keyof typeof State];
const CRLF = "\r\n";
const LAST_CHUNK = "0\r\n\r\n";

function toBuffer(chunk: string | Uint8Array): Buffer {
  if (typeof chunk === "string") return Buffer.from(chunk, "utf8");
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** RFC 9110 §6.4.1: 1xx, 204 and 304 responses never have content. */
function statusHasNoBody(status: number): boolean {
  return status < 200 || status === 204 || status === 304;
}

export class Http1Response implements HttpResponse {
  #status = 200;
  reasonPhrase: string | undefined = undefined;
  readonly headers = new HeaderMap();
  #state: State = State.NotStarted;
  #pending: Buffer | null = null;
  #chunked = false;
  #declaredLength = -1;
  #written = 0;
  #keepAlive = true;
  #onStarting: ResponseCallback[] | null = null;
  #onCompleted: ResponseCallback[] | null = null;
  #trailers: HeaderMap | null = null;
  #declaredTrailers: string[] | null = null;
  readonly #owner: ResponseOwner;

  constructor(owner: ResponseOwner) {
    this.#owner = owner;
  }

  get statusCode(): number {
    return this.#status;
  }

  set statusCode(value: number) {
    if (this.#state >= State.Pending) throw new ResponseStartedError("StatusCode cannot be set because the response has already started");
    if (!Number.isInteger(value) || value < 100 || value > 999) throw new UserError(`Invalid status code ${value}`, "ERR_X_HTTP_INVALID_STATUS");
    this.#status = value;
  }

  /** Body bytes the app wrote (for the access log). */
  get bodyBytesWritten(): number {
    return this.#written;
  }

  get hasStarted(): boolean {
    return this.#state >= State.Pending;
  }

  get isCompleted(): boolean {
    return this.#state === State.Completed;
  }

  /** Whether the connection stays open after this response (known once the head is written). */
  get keepAlive(): boolean {
    return this.#keepAlive;
  }

  get contentLength(): number | null {
    const v = this.headers.get("content-length");
    return v === undefined ? null : Number(v);
  }

  set contentLength(value: number | null) {
    if (value === null) this.headers.delete("content-length");
    else if (!Number.isSafeInteger(value) || value < 0) throw new UserError(`Invalid Content-Length ${value}`, "ERR_X_HTTP_INVALID_CONTENT_LENGTH");
    else this.headers.set("content-length", value);
  }

  get contentType(): string | undefined {
    return this.headers.get("content-type");
  }

  set contentType(value: string | undefined) {
    if (value === undefined) this.headers.delete("content-type");
    else this.headers.set("content-type", value);
  }

  /** Response trailers (chunked responses only). */
  get trailers(): HeaderMap {
    return (this.#trailers ??= new HeaderMap());
  }

  /**
   * Trailers need chunked framing: an HTTP/1.1 request, a status with a body,
   * and a response not already sent with a Content-Length.
   */
  get supportsTrailers(): boolean {
    const owner = this.#owner;
    if (owner.isHttp10 || owner.isHeadRequest || statusHasNoBody(this.#status)) return false;
    return this.#state === State.Started ? this.#chunked : this.#state !== State.Completed && !this.headers.has("content-length");
  }

  /** Adds a name to the `Trailer` header; must precede the start of the response. */
  declareTrailer(name: string): void {
    if (this.hasStarted) throw new ResponseStartedError("Trailers must be declared before the response starts");
    if (!isToken(name)) throw new InvalidHeaderError(`Invalid trailer name '${name}'`);
    (this.#declaredTrailers ??= []).push(name);
  }

  /** Adds a trailer field, sent after the last chunk (RFC 9112 §7.1.2). */
  appendTrailer(name: string, value: string): void {
    if (!this.supportsTrailers) throw new NotSupportedError("This response cannot carry trailers (it is not chunked)");
    this.trailers.append(name, value);
  }

  /** Whether trailers were declared or added, which rules out Content-Length framing. */
  get #wantsTrailers(): boolean {
    return this.#declaredTrailers !== null || (this.#trailers !== null && this.#trailers.size > 0);
  }

  /**
   * Sends `101 Switching Protocols` with the app's headers (`Upgrade`, ...) and
   * `Connection: Upgrade`. Nothing HTTP follows on this connection.
   */
  writeUpgradeHead(): Promise<void> {
    if (this.hasStarted) return Promise.reject(new ResponseStartedError("The response has already started"));
    this.#status = 101;
    // Kestrel's UpgradeAsync sends the 101 through its normal flush, so OnStarting callbacks run
    // first: they see status 101 and may still add headers.
    if (this.#onStarting !== null) return this.#runOnStarting().then(() => this.#writeUpgradeHead());
    this.#writeUpgradeHead();
    return RESOLVED;
  }

  /** The connection was handed over without a 101 from us (the app writes its own): nothing HTTP follows. */
  markUpgraded(): void {
    this.#status = 101;
    this.#keepAlive = false;
    this.#onStarting = null;
    this.#state = State.Completed;
  }

  #writeUpgradeHead(): void {
    if (this.hasStarted) throw new ResponseStartedError("The response has already started");
    // RFC 9110 §7.8: "A sender of Upgrade MUST also send an "upgrade" connection option in
    // the Connection header field"; Kestrel sets `Connection: Upgrade` itself, over the app's value.
    let head = `${statusLine(101, undefined)}connection: Upgrade\r\n`;
    let hasDate = false;
    for (const [name, value] of this.headers) {
      if (name === "content-length" || name === "transfer-encoding" || name === "connection") continue;
      if (name === "date") hasDate = true;
      head += fieldLines(name, value);
    }
    if (!hasDate) head += `date: ${this.#owner.dateHeader}\r\n`;
    if (!this.headers.has("server") && this.#owner.serverHeader !== null) head += this.#owner.serverHeader;
    this.#keepAlive = false;
    this.#state = State.Completed;
    this.#owner.writeRaw(`${head}\r\n`);
  }

  onStarting(callback: ResponseCallback): void {
    if (this.hasStarted) throw new ResponseStartedError("OnStarting cannot be set because the response has already started");
    (this.#onStarting ??= []).push(callback);
  }

  onCompleted(callback: ResponseCallback): void {
    (this.#onCompleted ??= []).push(callback);
  }

  /** Callbacks registered with onCompleted, for the connection to run. */
  takeCompletedCallbacks(): ResponseCallback[] | null {
    const callbacks = this.#onCompleted;
    this.#onCompleted = null;
    return callbacks;
  }

  start(): Promise<void> {
    if (this.hasStarted) return RESOLVED;
    if (this.#onStarting !== null) return this.#runOnStarting().then(() => this.start());
    this.#writeHead(false, 0);
    this.#state = State.Started;
    return RESOLVED;
  }

  write(chunk: string | Uint8Array): Promise<void> {
    if (this.#state === State.Completed) return Promise.reject(new UserError("The response has completed", "ERR_X_HTTP_RESPONSE_COMPLETED"));
    if (this.#onStarting !== null && this.#state === State.NotStarted) return this.#runOnStarting().then(() => this.write(chunk));
    const buf = toBuffer(chunk);
    if (buf.length === 0) return RESOLVED;
    this.#checkLength(buf.length);
    if (this.#state === State.NotStarted) {
      // HEAD holds the first chunk too: RFC 9110 §9.3.2 says the server SHOULD send the
      // same header fields as for GET, so write-then-return must give Content-Length here as well.
      if (this.headers.has("content-length")) {
        this.#writeHead(false, 0);
        this.#state = State.Started;
      } else {
        // Hold the first chunk: if the app completes in this turn, Content-Length framing wins.
        this.#pending = buf;
        this.#written += buf.length;
        this.#state = State.Pending;
        this.#owner.scheduleFlush();
        return RESOLVED;
      }
    } else if (this.#state === State.Pending) {
      this.flushPending();
    }
    this.#written += buf.length;
    this.#writeBody(buf);
    return this.#owner.waitForDrain();
  }

  end(chunk?: string | Uint8Array): Promise<void> {
    if (this.#state === State.Completed) return RESOLVED;
    if (this.#onStarting !== null && this.#state === State.NotStarted) return this.#runOnStarting().then(() => this.end(chunk));
    if (chunk !== undefined && this.#state === State.NotStarted && !this.headers.has("content-length")) {
      const buf = toBuffer(chunk);
      this.#checkLength(buf.length);
      this.#pending = buf;
      this.#written = buf.length;
      this.#state = State.Pending;
    } else if (chunk !== undefined) {
      const p = this.write(chunk);
      if (p !== RESOLVED) return p.then(() => this.end());
    }
    this.complete();
    return this.#owner.waitForDrain();
  }

  /** The end-of-turn flush of a held first chunk: the body is open-ended, so chunked. */
  flushPending(): void {
    if (this.#state !== State.Pending) return;
    const pending = this.#pending!;
    this.#pending = null;
    this.#writeHead(false, 0);
    this.#state = State.Started;
    this.#writeBody(pending);
  }

  /**
   * Completes the response once the app is done: writes the head if it was
   * never sent, the held chunk, or the last chunk and trailers. Throws when
   * the body is shorter than a declared Content-Length.
   */
  complete(): void {
    switch (this.#state) {
      case State.Completed:
        return;
      // An app that set `Transfer-Encoding: chunked` itself gets chunked framing even when the
      // whole body is known here, so the held chunk and the last chunk must be framed too.
      case State.NotStarted:
        this.#writeHead(true, 0);
        if (this.#chunked && !this.#owner.isHeadRequest) this.#owner.writeRaw(this.#lastChunk());
        break;
      case State.Pending: {
        const pending = this.#pending!;
        this.#pending = null;
        this.#writeHead(true, pending.length);
        this.#writeBody(pending);
        if (this.#chunked && !this.#owner.isHeadRequest) this.#owner.writeRaw(this.#lastChunk());
        break;
      }
      case State.Started:
        if (this.#chunked && !this.#owner.isHeadRequest) this.#owner.writeRaw(this.#lastChunk());
        break;
    }
    this.#state = State.Completed;
    if (this.#declaredLength !== -1 && this.#written < this.#declaredLength && !this.#owner.isHeadRequest && !statusHasNoBody(this.#status)) {
      this.#keepAlive = false;
      throw new UserError(
        `Response Content-Length mismatch: too few bytes written (${this.#written} of ${this.#declaredLength})`,
        "ERR_X_HTTP_CONTENT_LENGTH_MISMATCH",
      );
    }
  }

  /** Replaces an unstarted response with an empty error response (500 for app failures). */
  resetForError(status: number): void {
    this.#status = status;
    this.reasonPhrase = undefined;
    this.headers.clear();
    this.#pending = null;
    this.#written = 0;
    this.#declaredLength = -1;
    this.#trailers = null;
    this.#declaredTrailers = null;
    this.#onStarting = null;
    this.#state = State.NotStarted;
  }

  /** Forces `Connection: close` on this response. */
  closeAfter(): void {
    this.#keepAlive = false;
  }

  async #runOnStarting(): Promise<void> {
    const callbacks = this.#onStarting!;
    this.#onStarting = null;
    // ASP.NET Core runs OnStarting callbacks in reverse order of registration.
    for (let i = callbacks.length - 1; i >= 0; i--) await callbacks[i]!();
  }

  #checkLength(n: number): void {
    if (statusHasNoBody(this.#status)) {
      throw new UserError(`Writing to the response body is invalid for responses with status code ${this.#status}`, "ERR_X_HTTP_BODY_NOT_ALLOWED");
    }
    const declared = this.#declaredLength !== -1 ? this.#declaredLength : this.#state === State.NotStarted ? this.contentLength ?? -1 : -1;
    if (declared !== -1 && this.#written + n > declared) {
      this.#keepAlive = false;
      throw new UserError(
        `Response Content-Length mismatch: too many bytes written (${this.#written + n} of ${declared})`,
        "ERR_X_HTTP_CONTENT_LENGTH_MISMATCH",
      );
    }
  }

  #writeBody(buf: Buffer): void {
    if (this.#owner.isHeadRequest || this.#owner.isAborted) return;
    if (this.#chunked) {
      this.#owner.writeRaw(`${buf.length.toString(16)}\r\n`);
      this.#owner.writeRaw(buf);
      this.#owner.writeRaw(CRLF);
    } else {
      this.#owner.writeRaw(buf);
    }
  }

  #lastChunk(): string {
    const trailers = this.#trailers;
    if (trailers === null || trailers.size === 0) return LAST_CHUNK;
    let s = "0\r\n";
    for (const [name, value] of trailers) {
      s += fieldLines(name, value);
    }
    return `${s}\r\n`;
  }

  /**
   * Writes the status line and headers. `complete` says the whole body is
   * known (`length` bytes), so Content-Length framing applies.
   */
  #writeHead(complete: boolean, length: number): void {
    const owner = this.#owner;
    const headers = this.headers;
    const status = this.#status;
    const noBody = statusHasNoBody(status);
    // RFC 9110 §9.3.6: "A server MUST NOT send any Transfer-Encoding or Content-Length header
    // fields in a 2xx (Successful) response to CONNECT": the connection becomes a tunnel.
    const isTunnel = owner.isConnectRequest && status >= 200 && status < 300;
    let keepAlive = owner.requestKeepAlive && this.#keepAlive;
    let head = statusLine(status, this.reasonPhrase);
    let hasDate = false;
    let hasServer = false;
    let appTransferEncoding: string | null = null;
    for (const [name, value] of headers) {
      if (name === "content-length") {
        if ((noBody && status !== 304) || isTunnel) continue;
        this.#declaredLength = Number(value);
      } else if (name === "transfer-encoding") {
        if (!isTunnel) appTransferEncoding = typeof value === "string" ? value : value.join(", ");
        continue;
      } else if (name === "connection") {
        const v = typeof value === "string" ? value : value.join(",");
        if (/(?:^|,)\s*close\s*(?:,|$)/i.test(v)) keepAlive = false;
        continue;
      } else if (name === "keep-alive") {
        continue;
      } else if (name === "date") {
        hasDate = true;
      } else if (name === "server") {
        hasServer = true;
      }
      head += fieldLines(name, value);
    }
    if (!hasDate) head += `date: ${owner.dateHeader}\r\n`;
    if (!hasServer && owner.serverHeader !== null) head += owner.serverHeader;
    if (isTunnel) {
      // We do not tunnel: what the app writes runs to the close (RFC 9112 §6.3 rule 2), and
      // the connection can never carry another request.
      keepAlive = false;
    } else if (!noBody && this.#declaredLength === -1) {
      if (complete && appTransferEncoding === null && !(this.#wantsTrailers && !owner.isHttp10)) {
        head += `content-length: ${length}\r\n`;
      } else if (!owner.isHttp10 && (appTransferEncoding === null || /(?:^|,)\s*chunked\s*$/i.test(appTransferEncoding))) {
        // RFC 9112 §7: chunked when the length is unknown and the client speaks 1.1.
        this.#chunked = true;
        head += "transfer-encoding: chunked\r\n";
        if (this.#declaredTrailers !== null) head += `trailer: ${this.#declaredTrailers.join(", ")}\r\n`;
      } else {
        // RFC 9112 §6.3 rule 8: without a length the body ends when the connection closes.
        // RFC 9112 §6.1: "A server MUST NOT send a response containing Transfer-Encoding unless
        // the corresponding request indicates HTTP/1.1 (or later minor revisions)."
        if (appTransferEncoding !== null && !owner.isHttp10) head += `transfer-encoding: ${appTransferEncoding}\r\n`;
        keepAlive = false;
      }
    }
    if (!keepAlive) head += "connection: close\r\n";
    else if (owner.isHttp10) head += "connection: keep-alive\r\n";
    head += CRLF;
    this.#keepAlive = keepAlive;
    owner.writeRaw(head);
  }
}
