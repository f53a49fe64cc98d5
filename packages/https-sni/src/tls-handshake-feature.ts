/**
 * Connection features the HTTPS middleware sets once the handshake succeeds
 * (Kestrel's `ITlsHandshakeFeature` and `ITlsConnectionFeature`).
 *
 * @module
 */
import type { X509Certificate } from "node:crypto";
import { featureKey } from "@x/abstractions";

/** What was negotiated. Protocol selection reads `negotiatedApplicationProtocol`. */
export interface TlsHandshake {
  /** `TLSv1.2` or `TLSv1.3`. */
  readonly protocol: string;
  /** OpenSSL cipher name, e.g. `TLS_AES_256_GCM_SHA384`. */
  readonly cipherName: string;
  /** The ALPN result (RFC 7301 §3.2), or "" when the client offered none we support. */
  readonly negotiatedApplicationProtocol: string;
  /** The SNI host name (RFC 6066 §3), or null when the client sent none. */
  readonly hostName: string | null;
}
/** Key of the {@link TlsHandshake} connection feature. */
export const TlsHandshakeFeature = featureKey<TlsHandshake>("TlsHandshake");

/** The client certificate, when one was asked for and sent. */
export interface TlsConnection {
  readonly clientCertificate: X509Certificate | null;
  /** Resolves to `clientCertificate`; renegotiation to ask later is not supported (TLS 1.3 forbids it, RFC 8446 §4.1.2). */
  getClientCertificate(): Promise<X509Certificate | null>;
}
/** Key of the {@link TlsConnection} connection feature. */
export const TlsConnectionFeature = featureKey<TlsConnection>("TlsConnection");
