/**
 * `req.socket` where there is no `net.Socket` of the request's own to give:
 * HTTP/2 streams (many share one connection, as node's http2 compatibility
 * API gives a proxy), transports that are not sockets (connection logging),
 * and requests whose addresses forwarded-headers middleware rewrote (the
 * facade shows the client the proxy reported, as `HttpContext.connection`
 * does). Addresses come from the context; TLS details from the connection's
 * TLS socket. Reading or writing bytes is refused, as node's http2
 * compatibility socket refuses it (`ERR_HTTP2_NO_SOCKET_MANIPULATION`).
 *
 * @module
 */
import { EventEmitter } from "node:events";
import { isIP } from "node:net";
import type { Duplex } from "node:stream";
import type { HttpContext } from "@x/abstractions";

type TlsLike = Duplex & {
  encrypted?: boolean;
  authorized?: boolean;
  authorizationError?: Error | null;
  alpnProtocol?: string | false;
  servername?: string | false;
  getPeerCertificate?(detailed?: boolean): object;
  getCipher?(): object;
  getProtocol?(): string | null;
  getSession?(): Buffer | undefined;
  getFinished?(): Buffer | undefined;
};

function family(address: string | undefined): string | undefined {
  if (address === undefined) return undefined;
  return isIP(address) === 6 ? "IPv6" : "IPv4";
}

function noSocketManipulation(): Error {
  return Object.assign(new Error("HTTP/2 sockets should not be directly manipulated (e.g. read and written)"), {
    code: "ERR_HTTP2_NO_SOCKET_MANIPULATION",
  });
}

/** The `socket` of a request that has no `net.Socket` of its own. */
export class StreamSocket extends EventEmitter {
  readonly #ctx: HttpContext;
  readonly #inner: TlsLike | null;
  #destroyed = false;
  #timer: NodeJS.Timeout | null = null;
  /** node's `socket.timeout` (ms, or undefined when none was set). */
  timeout: number | undefined = undefined;
  /** node:http keeps the current response here; kept for libraries that look. */
  _httpMessage: unknown = null;

  /** The socket of `ctx`'s request; `inner` is the connection's stream, for TLS details. */
  constructor(ctx: HttpContext, inner: Duplex | null) {
    super();
    this.#ctx = ctx;
    this.#inner = inner as TlsLike | null;
  }

  get remoteAddress(): string | undefined {
    return this.#ctx.connection.remoteAddress ?? undefined;
  }
  get remotePort(): number | undefined {
    return this.#ctx.connection.remoteAddress === null ? undefined : this.#ctx.connection.remotePort;
  }
  get remoteFamily(): string | undefined {
    return family(this.remoteAddress);
  }
  get localAddress(): string | undefined {
    return this.#ctx.connection.localAddress ?? undefined;
  }
  get localPort(): number | undefined {
    return this.#ctx.connection.localAddress === null ? undefined : this.#ctx.connection.localPort;
  }
  get localFamily(): string | undefined {
    return family(this.localAddress);
  }
  /** `net.Socket#address()`: the local end. */
  address(): { address: string; family: string; port: number } | Record<string, never> {
    const address = this.localAddress;
    if (address === undefined) return {};
    return { address, family: family(address)!, port: this.localPort ?? 0 };
  }

  /** True on TLS connections (the scheme forwarded-headers middleware set counts too). */
  get encrypted(): boolean | undefined {
    return this.#inner?.encrypted === true || this.#ctx.request.scheme === "https" ? true : undefined;
  }
  get authorized(): boolean | undefined {
    return this.#inner?.authorized;
  }
  get authorizationError(): Error | null | undefined {
    return this.#inner?.authorizationError;
  }
  get alpnProtocol(): string | false | undefined {
    return this.#inner?.alpnProtocol;
  }
  get servername(): string | false | undefined {
    return this.#inner?.servername;
  }
  /** `tls.TLSSocket#getPeerCertificate`; `{}` without TLS or a client certificate, as node. */
  getPeerCertificate(detailed?: boolean): object {
    return this.#inner?.getPeerCertificate?.(detailed) ?? {};
  }
  getCipher(): object | undefined {
    return this.#inner?.getCipher?.();
  }
  getProtocol(): string | null {
    return this.#inner?.getProtocol?.() ?? null;
  }
  getSession(): Buffer | undefined {
    return this.#inner?.getSession?.();
  }
  getFinished(): Buffer | undefined {
    return this.#inner?.getFinished?.();
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }
  get readable(): boolean {
    return !this.#destroyed;
  }
  get writable(): boolean {
    return !this.#destroyed;
  }
  get readyState(): string {
    return this.#destroyed ? "closed" : "open";
  }
  get writableLength(): number {
    return 0;
  }
  get writableHighWaterMark(): number {
    return this.#inner?.writableHighWaterMark ?? 16_384;
  }
  get readableHighWaterMark(): number {
    return this.#inner?.readableHighWaterMark ?? 16_384;
  }
  get writableCorked(): number {
    return 0;
  }
  get bytesRead(): number {
    return 0;
  }
  get bytesWritten(): number {
    return 0;
  }

  /** Sets an idle timer that emits 'timeout' (the request is not ended by it, as in node). */
  setTimeout(ms: number, callback?: () => void): this {
    if (callback !== undefined) this.once("timeout", callback);
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.timeout = ms > 0 ? ms : undefined;
    if (ms > 0 && !this.#destroyed) {
      this.#timer = setTimeout(() => {
        this.#timer = null;
        this.emit("timeout");
      }, ms);
      this.#timer.unref();
    }
    return this;
  }
  setNoDelay(_noDelay?: boolean): this {
    return this;
  }
  setKeepAlive(_enable?: boolean, _initialDelay?: number): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  cork(): void {}
  uncork(): void {}
  pause(): this {
    return this;
  }
  resume(): this {
    return this;
  }

  /** Aborts the request (HTTP/2: RST_STREAM; HTTP/1.1: closes the connection), as node's http2 compatibility socket does. */
  destroy(error?: Error): this {
    if (this.#destroyed) return this;
    this.#ctx.abort();
    this.markClosed(error);
    return this;
  }
  /** `end()` on a shared connection only ends this request. */
  end(callback?: () => void): this {
    this.destroy();
    if (callback !== undefined) process.nextTick(callback);
    return this;
  }
  destroySoon(): void {
    this.end();
  }
  write(): boolean {
    throw noSocketManipulation();
  }
  read(): never {
    throw noSocketManipulation();
  }
  setEncoding(): never {
    throw noSocketManipulation();
  }

  /** The request is over (aborted or the connection closed): 'close' once. */
  markClosed(error?: Error): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (error !== undefined && this.listenerCount("error") > 0) process.nextTick(emitError, this, error);
    process.nextTick(emitClose, this, error !== undefined);
  }
}

function emitError(socket: StreamSocket, error: Error): void {
  socket.emit("error", error);
}
function emitClose(socket: StreamSocket, hadError: boolean): void {
  socket.emit("close", hadError);
}
