/**
 * `@x/https-sni`: TLS as connection middleware, with Kestrel's HTTPS options:
 * certificates (PEM, PFX), SNI selection, ALPN, client certificates and a
 * handshake timeout.
 *
 * @module
 */
export { CertificateError, certificateFileSource, DEFAULT_CIPHERS, createCertificateContext, describeCertificate, loadCertificate } from "./certificate.js";
export { CertificateReloader } from "./certificate-reloader.js";
export type { CertificateFileOptions, CertificateInfo, PemCertificate, PemInput, PfxCertificate, ServerCertificate } from "./certificate.js";
export { ClientHelloError, parseClientHello } from "./client-hello.js";
export type { ClientHelloResult } from "./client-hello.js";
export { createHttpsMiddleware } from "./https-middleware.js";
export type { HttpsMiddlewareServices } from "./https-middleware.js";
export { ClientCertificateMode, DEFAULT_HANDSHAKE_TIMEOUT, resolveHttpsOptions, SslProtocols, tlsVersionRange } from "./https-options.js";
export type {
  ClientCertificateValidation,
  HttpsConnectionAdapterOptions,
  ResolvedHttpsOptions,
  ResolvedSniEntry,
  ResolvedTlsSettings,
  ServerCertificateSelector,
  SslProtocolName,
  TlsAuthenticationOptions,
} from "./https-options.js";
export { SniOptionsSelector } from "./sni-options.js";
export type { SniMap, SniMatch, SniOptions } from "./sni-options.js";
export { TlsConnectionFeature, TlsHandshakeFeature } from "./tls-handshake-feature.js";
export type { TlsConnection, TlsHandshake } from "./tls-handshake-feature.js";
export * from "./dev-certs/index.js";
