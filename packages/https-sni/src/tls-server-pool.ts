/**
 * The handshake itself runs in a `tls.Server` that never listens: the
 * middleware passes it the accepted stream with `server.emit("connection", stream)`
 * (node:net's documented way to hand a server a socket) and learns the result
 * from its public `secureConnection` and `tlsClientError` events. Only public
 * node:tls APIs are used; no `_`-prefixed members, no internal events.
 *
 * Those events name the TLSSocket but not the stream it wraps, so each
 * server handshakes one connection at a time: the next event of a busy
 * server belongs to its one pending connection. Idle servers are kept per
 * certificate and per ALPN/client-certificate settings and reused, so a
 * server (and the SecureContext it holds) is built only when every pooled one
 * is busy: their number follows the peak of concurrent handshakes, never the
 * number of connections.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import * as tls from "node:tls";
import { CertificateError, type ServerCertificate, secureContextOptions } from "./certificate.js";

/** The outcome of one handshake: the TLSSocket, or why it failed. */
export type HandshakeOutcome =
  | { readonly ok: true; readonly socket: tls.TLSSocket }
  /** `socket` is the failed TLSSocket, left open so the alert OpenSSL wrote can still reach the client. */
  | { readonly ok: false; readonly error: unknown; readonly socket?: tls.TLSSocket };

/** A tls.Server and the handshake it is running, if any. */
interface TlsEndpoint {
  readonly server: tls.Server;
  readonly certificate: ServerCertificate;
  readonly poolKey: string | undefined;
  settle: ((outcome: HandshakeOutcome) => void) | undefined;
}

/** What a connection's handshake is configured with; see `TlsAuthenticationOptions`. */
export interface EndpointSettings {
  readonly certificate: ServerCertificate;
  readonly alpnProtocols: readonly string[];
  readonly requestCert: boolean;
  readonly minVersion: tls.SecureVersion;
  readonly maxVersion: tls.SecureVersion | undefined;
  /**
   * Let OpenSSL refuse a missing or unverifiable client certificate itself, so
   * the client gets a TLS alert (`certificate_required`, `unknown_ca`) rather
   * than a bare close: set for RequireCertificate without a custom validation.
   */
  readonly rejectUnauthorized?: boolean;
  /** Set when onAuthenticate changed context options; such servers serve one connection and are not pooled. */
  readonly custom?: tls.SecureContextOptions;
}

/**
 * node:tls's own handshake timer, disabled in practice (the largest delay a
 * timer accepts, about 24.8 days): `HandshakeTimeouts` enforces the deadline.
 */
const NODE_HANDSHAKE_TIMEOUT = 2 ** 31 - 1;

export class TlsServerPool {
  /** Shared by every server of this pool, so a session ticket from one is accepted by the others. */
  readonly #ticketKeys = randomBytes(48);
  readonly #idle = new WeakMap<ServerCertificate, Map<string, TlsEndpoint[]>>();

  /**
   * Builds and pools an idle server for `settings`, to check a certificate at startup.
   * @throws CertificateError when the certificate is unusable.
   */
  warm(settings: EndpointSettings): void {
    this.#release(this.#take(settings));
  }

  /**
   * Runs the TLS handshake on `stream`. `onAbort` receives a function that
   * settles the handshake early (after a timeout); the server is then
   * dropped, since events for that connection may still come.
   * @throws CertificateError when the certificate is unusable.
   */
  handshake(settings: EndpointSettings, stream: Duplex, onAbort: (abort: (error: unknown) => void) => void): Promise<HandshakeOutcome> {
    const endpoint = this.#take(settings);
    // The TLSSocket takes allowHalfOpen from the stream it wraps. During the
    // handshake it must be off: a client that half-closes before finishing
    // could otherwise leave the handshake waiting for the timeout. It is
    // restored on both (synchronously, before any 'end' can be read) once
    // secure: a stream under TLS (connection logging) must stay half-open too.
    const halfOpen = (stream as Duplex & { allowHalfOpen: boolean }).allowHalfOpen;
    (stream as Duplex & { allowHalfOpen: boolean }).allowHalfOpen = false;
    return new Promise<HandshakeOutcome>((resolve) => {
      endpoint.settle = (outcome) => {
        endpoint.settle = undefined;
        (stream as Duplex & { allowHalfOpen: boolean }).allowHalfOpen = halfOpen;
        if (outcome.ok) outcome.socket.allowHalfOpen = halfOpen;
        // A socket gets one of 'secureConnection' or 'tlsClientError', once
        // (node:tls in Node 20 and 22; no other server event is listened to),
        // so the server is free for the next connection.
        this.#release(endpoint);
        resolve(outcome);
      };
      onAbort((error) => {
        if (endpoint.settle === undefined) return;
        endpoint.settle = undefined;
        resolve({ ok: false, error });
      });
      // The stream may be any Duplex: node:tls wraps non-sockets itself.
      endpoint.server.emit("connection", stream as Socket);
    });
  }

  #take(settings: EndpointSettings): TlsEndpoint {
    const poolKey =
      settings.custom === undefined
        ? `${settings.requestCert ? 1 : 0}${settings.rejectUnauthorized === true ? 1 : 0}:${settings.minVersion}:${settings.maxVersion ?? ""}:${settings.alpnProtocols.join("\0")}`
        : undefined;
    if (poolKey !== undefined) {
      const endpoint = this.#idle.get(settings.certificate)?.get(poolKey)?.pop();
      if (endpoint !== undefined) return endpoint;
    }
    return this.#create(settings, poolKey);
  }

  #release(endpoint: TlsEndpoint): void {
    if (endpoint.poolKey === undefined) return;
    let byKey = this.#idle.get(endpoint.certificate);
    if (byKey === undefined) {
      byKey = new Map();
      this.#idle.set(endpoint.certificate, byKey);
    }
    const idle = byKey.get(endpoint.poolKey);
    if (idle === undefined) byKey.set(endpoint.poolKey, [endpoint]);
    else idle.push(endpoint);
  }

  #create(settings: EndpointSettings, poolKey: string | undefined): TlsEndpoint {
    const versions: tls.SecureContextOptions = { minVersion: settings.minVersion };
    if (settings.maxVersion !== undefined) versions.maxVersion = settings.maxVersion;
    const contextOptions = secureContextOptions(settings.certificate, { ...versions, ...settings.custom });
    let server: tls.Server;
    try {
      server = tls.createServer({
        ...contextOptions,
        // tls.Server defaults to the server's cipher order; keep OpenSSL's default unless onAuthenticate asks.
        honorCipherOrder: contextOptions.honorCipherOrder ?? false,
        ticketKeys: this.#ticketKeys,
        // RFC 7301 §3.2: the server selects from the client's list, in our preference order.
        ALPNProtocols: [...settings.alpnProtocols],
        requestCert: settings.requestCert,
        // Otherwise client certificates are judged in decideClientCertificate, from `authorized` and `authorizationError`.
        rejectUnauthorized: settings.rejectUnauthorized === true,
        handshakeTimeout: NODE_HANDSHAKE_TIMEOUT,
      });
    } catch (cause) {
      const detail = cause instanceof Error ? cause.message : String(cause);
      throw new CertificateError(`Invalid certificate in the server certificate: ${detail}`, { cause });
    }
    const endpoint: TlsEndpoint = { server, certificate: settings.certificate, poolKey, settle: undefined };
    server.on("secureConnection", (socket: tls.TLSSocket) => {
      // No settle: the handshake was given up (timeout) and this server retired.
      if (endpoint.settle === undefined) socket.destroy();
      else endpoint.settle({ ok: true, socket });
    });
    server.on("tlsClientError", (error: Error, socket: tls.TLSSocket) => {
      if (endpoint.settle === undefined) socket.destroy();
      else endpoint.settle({ ok: false, error, socket });
    });
    return endpoint;
  }
}

