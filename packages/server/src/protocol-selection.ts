/**
 * Chooses the protocol handler for a connection once its connection
 * middleware has run (Kestrel's `HttpConnection` protocol selection): over
 * TLS the ALPN result decides (RFC 7301); `h2` goes to HTTP/2, anything else
 * to HTTP/1.1. HTTP/2 over TLS without `h2` negotiated is refused, as
 * RFC 9113 §3.2 requires ALPN there.
 *
 * @module
 */
import type { ConnectionContext, ConnectionDelegate, Logger } from "@x/abstractions";
import { TlsHandshakeFeature } from "@x/https-sni";
import { HttpProtocols } from "./http-protocols.js";

/** The protocol implementations the server has. */
export interface ProtocolHandlers {
  readonly http1: ConnectionDelegate;
  /** Absent until `@x/http2` is wired in. */
  readonly http2?: ConnectionDelegate;
}

/** The ALPN id of HTTP/2 over TLS (RFC 9113 §3.2). */
const H2 = "h2";

export function createProtocolSelector(protocols: HttpProtocols, handlers: ProtocolHandlers, logger: Logger): ConnectionDelegate {
  const refuse = (connection: ConnectionContext, reason: string): Promise<void> => {
    logger.debug({ connectionId: connection.id }, reason);
    connection.abort();
    return Promise.resolve();
  };
  return (connection) => {
    const tls = connection.features.get(TlsHandshakeFeature);
    if (tls !== undefined && tls.negotiatedApplicationProtocol === H2) {
      return handlers.http2 === undefined ? refuse(connection, "ALPN selected h2, which this server does not implement") : handlers.http2(connection);
    }
    if (protocols === HttpProtocols.Http2) {
      if (tls !== undefined) return refuse(connection, "HTTP/2 over TLS was not negotiated with ALPN; closing the connection");
      // Cleartext HTTP/2-only endpoints speak h2c with prior knowledge (RFC 9113 §3.3).
      return handlers.http2 === undefined ? refuse(connection, "HTTP/2 is not implemented") : handlers.http2(connection);
    }
    return handlers.http1(connection);
  };
}
