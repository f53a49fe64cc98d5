/**
 * Chooses the protocol handler for a connection once its connection
 * middleware has run (Kestrel's `HttpConnection` protocol selection):
 *
 * - over TLS the ALPN result decides (RFC 7301): `h2` goes to HTTP/2,
 *   anything else to HTTP/1.1; an HTTP/2-only endpoint refuses a TLS client
 *   that did not negotiate `h2` (RFC 9113 §3.2 requires ALPN there);
 * - in cleartext, an `Http2` endpoint speaks h2c with prior knowledge
 *   (RFC 9113 §3.3), and an `Http1AndHttp2` endpoint looks at the first
 *   bytes: the HTTP/2 connection preface goes to HTTP/2, anything else to
 *   HTTP/1.1 (Kestrel only does this for Http2-only endpoints).
 *
 * @module
 */
import type { ConnectionContext, ConnectionDelegate, Logger } from "@x/abstractions";
import { TlsHandshakeFeature } from "@x/https-sni";
import { CONNECTION_PREFACE } from "@x/http2";
import { HttpProtocols } from "./http-protocols.js";

/** The protocol implementations the server has. */
export interface ProtocolHandlers {
  readonly http1: ConnectionDelegate;
  readonly http2?: ConnectionDelegate;
}

/** The ALPN id of HTTP/2 over TLS (RFC 9113 §3.2). */
const H2 = "h2";

type Detected = "http1" | "http2" | "closed";

/**
 * Reads until the first bytes either differ from the HTTP/2 preface or match
 * all of it, then puts them back for the chosen handler. Bounded by `timeoutMs`.
 */
function detectPreface(connection: ConnectionContext, timeoutMs: number): Promise<Detected> {
  const stream = connection.transport;
  return new Promise((resolve) => {
    let buffered: Buffer = Buffer.alloc(0);
    const finish = (result: Detected) => {
      clearTimeout(timer);
      stream.off("readable", onReadable);
      stream.off("end", onEnd);
      stream.off("close", onEnd);
      if (buffered.length > 0 && !stream.destroyed) stream.unshift(buffered);
      resolve(result);
    };
    const onEnd = () => finish(buffered.length > 0 ? "http1" : "closed");
    const onReadable = () => {
      let chunk: Buffer | null;
      while ((chunk = stream.read() as Buffer | null) !== null) {
        buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
        const n = Math.min(buffered.length, CONNECTION_PREFACE.length);
        if (!buffered.subarray(0, n).equals(CONNECTION_PREFACE.subarray(0, n))) return finish("http1");
        if (n === CONNECTION_PREFACE.length) return finish("http2");
      }
    };
    const timer = setTimeout(() => finish(buffered.length > 0 ? "http1" : "closed"), timeoutMs);
    timer.unref();
    if (stream.destroyed) return finish("closed");
    stream.on("readable", onReadable);
    stream.on("end", onEnd);
    stream.on("close", onEnd);
  });
}

/** The connection delegate that hands each connection to HTTP/1.1 or HTTP/2: by ALPN over TLS, else by `protocols` (detecting the HTTP/2 preface within `detectTimeoutMs` when both are allowed). */
export function createProtocolSelector(protocols: HttpProtocols, handlers: ProtocolHandlers, logger: Logger, detectTimeoutMs = 30_000): ConnectionDelegate {
  const refuse = (connection: ConnectionContext, reason: string): Promise<void> => {
    logger.debug({ connectionId: connection.id }, reason);
    connection.abort();
    return Promise.resolve();
  };
  const http2 = (connection: ConnectionContext) =>
    handlers.http2 === undefined ? refuse(connection, "HTTP/2 is not available") : handlers.http2(connection);
  return async (connection) => {
    const tls = connection.features.get(TlsHandshakeFeature);
    if (tls !== undefined) {
      if (tls.negotiatedApplicationProtocol === H2) return http2(connection);
      if (protocols === HttpProtocols.Http2) return refuse(connection, "HTTP/2 over TLS was not negotiated with ALPN; closing the connection");
      return handlers.http1(connection);
    }
    if (protocols === HttpProtocols.Http2) return http2(connection);
    if (protocols === HttpProtocols.Http1 || handlers.http2 === undefined) return handlers.http1(connection);
    const detected = await detectPreface(connection, detectTimeoutMs);
    if (detected === "closed") return refuse(connection, "The connection closed before sending a request");
    return detected === "http2" ? http2(connection) : handlers.http1(connection);
  };
}
