/**
 * The response of one HTTP/2 stream: status and headers become a HEADERS
 * frame (RFC 9113 §8.3.2), the body DATA frames under flow control, and
 * trailers a final HEADERS frame with END_STREAM (§8.1).
 *
 * @module
 */
import {
  HeaderMap,
  InvalidHeaderError,
  NotSupportedError,
  ResponseStartedError,
  runCompletedCallbacks,
  UserError,
  type HttpResponse,
  type ResponseCallback,
} from "@x/abstractions";
import type { HeaderField } from "./hpack.js";

/** What the response needs from its stream. */
export interface ResponseOwner {
  readonly isHeadRequest: boolean;
  readonly dateHeader: string;
  readonly addServerHeader: boolean;
  /** Sends the HEADERS frame(s); `endStream` when no body follows. */
  sendHeaders(fields: HeaderField[], endStream: boolean): void;
  /** Queues body bytes under flow control; resolves when the queue is back under the response buffer limit. */
  sendData(chunk: Buffer, endStream: boolean): Promise<void>;
  /** Sends trailers (END_STREAM). */
  sendTrailers(fields: HeaderField[]): void;
  /** The stream was reset or the connection lost: writes fail. */
  readonly isAborted: boolean;
}

/**
 * §8.2.2: connection-specific fields have no meaning in HTTP/2; Kestrel drops
 * them from responses rather than failing the app.
 */
const DROPPED = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const RESOLVED = Promise.resolve();

/** RFC 9110 §6.4.1: 1xx, 204 and 304 responses never have content. */
function statusHasNoBody(status: number): boolean {
  return status < 200 || status === 204 || status === 304;
}

function toBuffer(chunk: string | Uint8Array): Buffer {
  if (typeof chunk === "string") return Buffer.from(chunk, "utf8");
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

export class Http2Response implements HttpResponse {
  readonly headers = new HeaderMap();
  /** HTTP/2 has no reason phrase (§8.3.2); kept for API compatibility and ignored. */
  reasonPhrase: string | undefined;
  #status = 200;
  #started = false;
  #completed = false;
  #written = 0;
  /** The last write not yet settled: end() and later writes wait for it. */
  #lastWrite: Promise<void> | null = null;
  #onStarting: ResponseCallback[] | null = null;
  #onCompleted: ResponseCallback[] | null = null;
  #trailers: HeaderMap | null = null;
  #ending: Promise<void> | null = null;
  readonly #owner: ResponseOwner;

  constructor(owner: ResponseOwner) {
    this.#owner = owner;
  }

  /** Body bytes the app wrote (for the access log). */
  get bodyBytesWritten(): number {
    return this.#written;
  }

  get statusCode(): number {
    return this.#status;
  }

  set statusCode(value: number) {
    if (this.#started) throw new ResponseStartedError("StatusCode cannot be set because the response has already started");
    if (!Number.isInteger(value) || value < 100 || value > 999) throw new UserError(`Invalid status code ${value}`, "ERR_X_HTTP_INVALID_STATUS");
    this.#status = value;
  }

  get hasStarted(): boolean {
    return this.#started;
  }

  get isCompleted(): boolean {
    return this.#completed;
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

  /** HTTP/2 can always carry trailers, until the response completes. */
  get supportsTrailers(): boolean {
    return !this.#completed;
  }

  /** Response trailers (`IHttpResponseTrailersFeature.Trailers`). */
  get trailers(): HeaderMap {
    return (this.#trailers ??= new HeaderMap());
  }

  declareTrailer(name: string): void {
    if (this.#started) throw new ResponseStartedError("Trailers must be declared before the response starts");
    if (!TOKEN.test(name)) throw new InvalidHeaderError(`Invalid trailer name '${name}'`);
    this.headers.append("trailer", name);
  }

  appendTrailer(name: string, value: string): void {
    if (!this.supportsTrailers) throw new NotSupportedError("The response has completed; trailers can no longer be added");
    this.trailers.append(name, value);
  }

  onStarting(callback: ResponseCallback): void {
    if (this.#started) throw new ResponseStartedError("OnStarting cannot be registered after the response has started");
    (this.#onStarting ??= []).unshift(callback);
  }

  onCompleted(callback: ResponseCallback): void {
    (this.#onCompleted ??= []).push(callback);
  }

  /**
   * Sends a 1xx interim response (HEADERS without END_STREAM, RFC 9113
   * §8.1) before the final one; `101` does not exist in HTTP/2 (§8.6).
   */
  sendInformational(statusCode: number, headers?: Iterable<readonly [string, string | readonly string[]]>): void {
    if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 199 || statusCode === 101) {
      throw new UserError(`Invalid informational status code ${statusCode} (100-199, not 101)`, "ERR_X_HTTP_INVALID_STATUS");
    }
    if (this.#started || this.#completed) throw new ResponseStartedError("An informational response must precede the final response");
    if (this.#owner.isAborted) return;
    const fields: HeaderField[] = [{ name: ":status", value: String(statusCode) }];
    if (headers !== undefined) {
      const checked = new HeaderMap();
      for (const [name, value] of headers) checked.append(name, value);
      for (const [name, value] of checked.entries()) {
        if (DROPPED.has(name)) continue;
        if (Array.isArray(value)) for (const v of value) fields.push({ name, value: v });
        else fields.push({ name, value });
      }
    }
    this.#owner.sendHeaders(fields, false);
  }

  start(): Promise<void> {
    if (this.#started) return RESOLVED;
    return this.#start(false);
  }

  write(chunk: string | Uint8Array): Promise<void> {
    if (this.#completed || this.#ending !== null) return Promise.reject(new ResponseStartedError("The response has completed"));
    const data = toBuffer(chunk);
    // Writes go out in call order, and end() after them, even when the app does not await each write.
    const previous = this.#lastWrite;
    const written = previous === null ? this.#write(data) : previous.then(() => this.#write(data));
    const settled = written.then(
      () => {},
      () => {},
    );
    this.#lastWrite = settled;
    void settled.then(() => {
      if (this.#lastWrite === settled) this.#lastWrite = null;
    });
    return written;
  }

  async #write(data: Buffer): Promise<void> {
    if (!this.#started) await this.#start(false);
    await this.#writeBody(data, false);
  }

  /**
   * Completes the response. A second call while the first is under way (an
   * app that does not await `end`, then returns) joins the first.
   */
  end(chunk?: string | Uint8Array): Promise<void> {
    if (this.#completed) return RESOLVED;
    // A reset stream has nothing left to complete: end() resolves, as Kestrel's CompleteAsync does.
    this.#ending ??= this.#end(chunk).catch((error: unknown) => {
      if (!this.#owner.isAborted) throw error;
    });
    return this.#ending;
  }

  async #end(chunk?: string | Uint8Array): Promise<void> {
    if (this.#lastWrite !== null) await this.#lastWrite;
    const data = chunk === undefined ? null : toBuffer(chunk);
    if (!this.#started) {
      // A response written in one call is known in full: give it a Content-Length.
      const length = data?.length ?? 0;
      if (!this.headers.has("content-length") && !statusHasNoBody(this.#status) && !this.#owner.isHeadRequest) this.headers.set("content-length", length);
      const bodyless = length === 0 && !this.#wantsTrailers;
      await this.#start(bodyless);
      if (this.#completed) return;
    }
    if (data !== null && data.length > 0) {
      const last = !this.#wantsTrailers;
      await this.#writeBody(data, last);
      if (last) {
        this.#completed = true;
        return;
      }
    }
    this.#finish();
  }

  /** Called by the stream when the app returns: completes a response the app left open. */
  complete(): Promise<void> {
    return this.end();
  }

  /** Runs the onCompleted callbacks; errors are the caller's to log. */
  /** The OnCompleted callbacks, last registered first, one at a time; `onError` gets each failure (the rest still run). */
  runOnCompleted(onError: (error: unknown) => void): Promise<void> {
    const callbacks = this.#onCompleted;
    this.#onCompleted = null;
    return callbacks === null ? Promise.resolve() : runCompletedCallbacks(callbacks, onError);
  }

  get #wantsTrailers(): boolean {
    return this.#trailers !== null && this.#trailers.size > 0;
  }

  async #start(endStream: boolean): Promise<void> {
    if (this.#onStarting !== null) {
      const callbacks = this.#onStarting;
      this.#onStarting = null;
      for (const callback of callbacks) await callback();
      // A callback may have added trailers: the stream must stay open for them.
      if (endStream && this.#wantsTrailers) endStream = false;
    }
    if (this.#started) return;
    this.#started = true;
    const owner = this.#owner;
    const fields: HeaderField[] = [{ name: ":status", value: String(this.#status) }];
    let hasDate = false;
    let hasServer = false;
    for (const [name, value] of this.headers.entries()) {
      if (DROPPED.has(name)) continue;
      if (name === "date") hasDate = true;
      if (name === "server") hasServer = true;
      if (Array.isArray(value)) for (const v of value) fields.push({ name, value: v });
      else fields.push({ name, value });
    }
    if (!hasDate) fields.push({ name: "date", value: owner.dateHeader });
    if (!hasServer && owner.addServerHeader) fields.push({ name: "server", value: "X" });
    owner.sendHeaders(fields, endStream);
    if (endStream) this.#completed = true;
  }

  async #writeBody(data: Buffer, endStream: boolean): Promise<void> {
    if (this.#owner.isAborted) throw new UserError("The stream was reset", "ERR_X_HTTP2_STREAM_RESET");
    // HEAD and body-less statuses: the app's bytes are counted and dropped (§8.1, RFC 9110 §9.3.2).
    if (statusHasNoBody(this.#status) || this.#owner.isHeadRequest) {
      if (endStream) await this.#owner.sendData(Buffer.alloc(0), true);
      return;
    }
    this.#written += data.length;
    const declared = this.contentLength;
    if (declared !== null && this.#written > declared) {
      throw new UserError(`Response Content-Length mismatch: too many bytes written (${this.#written} of ${declared})`, "ERR_X_HTTP_CONTENT_LENGTH_MISMATCH");
    }
    await this.#owner.sendData(data, endStream);
  }

  #finish(): void {
    if (this.#completed) return;
    this.#completed = true;
    if (this.#wantsTrailers) {
      const fields: HeaderField[] = [];
      for (const [name, value] of this.#trailers!.entries()) {
        if (DROPPED.has(name)) continue;
        if (Array.isArray(value)) for (const v of value) fields.push({ name, value: v });
        else fields.push({ name, value });
      }
      this.#owner.sendTrailers(fields);
      return;
    }
    // An empty DATA frame carries END_STREAM after a body written with write().
    this.#owner.sendData(Buffer.alloc(0), true).catch(() => {});
  }
}
