/**
 * `HttpsConnectionAdapterOptions`: Kestrel's HTTPS options in camelCase, and
 * their validation into the fixed settings one middleware instance uses.
 *
 * @module
 */
import type { X509Certificate } from "node:crypto";
import type * as tls from "node:tls";
import { type ConnectionContext, OptionsValidationError } from "@x/abstractions";
import type { ServerCertificate } from "./certificate.js";
import { type SniMap, SniOptionsSelector } from "./sni-options.js";

/**
 * TLS versions, with .NET's `SslProtocols` flag values so numbers from
 * configuration mean the same thing. Nothing below TLS 1.2 is offered:
 * RFC 8996 deprecates TLS 1.0 and 1.1.
 */
export const SslProtocols = { None: 0, Tls12: 0x0c00, Tls13: 0x3000 } as const;
/** The name of a TLS version in {@link SslProtocols} (`Tls12`, `Tls13`). */
export type SslProtocolName = Exclude<keyof typeof SslProtocols, "None">;

/** Kestrel's `ClientCertificateMode`. */
export const ClientCertificateMode = {
  NoCertificate: "NoCertificate",
  AllowCertificate: "AllowCertificate",
  RequireCertificate: "RequireCertificate",
} as const;
/** One of the {@link ClientCertificateMode} values. */
export type ClientCertificateMode = (typeof ClientCertificateMode)[keyof typeof ClientCertificateMode];

/** Picks a certificate for a connection; `name` is the SNI host name (RFC 6066 §3) or null. */
export type ServerCertificateSelector = (
  connection: ConnectionContext,
  name: string | null,
) => ServerCertificate | null | undefined | Promise<ServerCertificate | null | undefined>;

/**
 * Decides whether a client certificate is acceptable. `errors` holds the
 * chain verification error (empty when it chains to a trusted CA).
 */
export type ClientCertificateValidation = (certificate: X509Certificate, chain: readonly X509Certificate[], errors: readonly string[]) => boolean;

/**
 * The per-connection options `onAuthenticate` may adjust, after the
 * certificate was chosen and before the handshake continues.
 */
export interface TlsAuthenticationOptions {
  serverCertificate: ServerCertificate;
  /** ALPN protocols offered to the client, most preferred first (RFC 7301 §3.2: the server picks). */
  alpnProtocols: string[];
  requestCert: boolean;
  /** OpenSSL cipher list; TLS 1.3 suites (`TLS_AES_128_GCM_SHA256`) go here too, as in node:tls. */
  ciphers?: string;
  /** Key exchange groups, e.g. `X25519:P-256`. */
  ecdhCurve?: string;
  /** Signature algorithms, e.g. `ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256`. */
  sigalgs?: string;
  honorCipherOrder?: boolean;
}

/** Kestrel's `HttpsConnectionAdapterOptions`. */
export interface HttpsConnectionAdapterOptions {
  /** The certificate for every connection, and the default when the selector returns null for no SNI. */
  serverCertificate?: ServerCertificate;
  /**
   * Called once per connection with the SNI name (or null when the client
   * sent none). Takes precedence over `serverCertificate`; returning null
   * falls back to `serverCertificate`, and without one the connection closes.
   */
  serverCertificateSelector?: ServerCertificateSelector;
  /** Allowed TLS versions: names or `SslProtocols` flags. Default: platform choice, never below TLS 1.2. */
  sslProtocols?: readonly SslProtocolName[] | number;
  /** Default `NoCertificate`. */
  clientCertificateMode?: ClientCertificateMode;
  /** Overrides chain verification for client certificates. */
  clientCertificateValidation?: ClientCertificateValidation;
  /** Milliseconds for the whole handshake, ClientHello included. Default 10 s (Kestrel's HandshakeTimeout). */
  handshakeTimeout?: number;
  /** Adjusts per-connection TLS options (Kestrel's `OnAuthenticate`). */
  onAuthenticate?: (connection: ConnectionContext, options: TlsAuthenticationOptions) => void;
  /** ALPN protocols, set by the server from the endpoint's protocols. Default `["http/1.1"]`. */
  alpnProtocols?: readonly string[];
  /**
   * Per-host-name settings (Kestrel's `Sni` configuration): exact names, then
   * the longest `*.suffix`, then `*`. When set, a client whose name matches no
   * entry is refused. An entry without a certificate uses
   * `serverCertificateSelector`, then `serverCertificate`.
   */
  sni?: SniMap;
}

/** Kestrel's `HttpsConnectionAdapterOptions.HandshakeTimeout` default. */
export const DEFAULT_HANDSHAKE_TIMEOUT = 10_000;

/** The TLS settings that may differ per SNI entry, resolved. */
export interface ResolvedTlsSettings {
  readonly minVersion: tls.SecureVersion;
  readonly maxVersion: tls.SecureVersion | undefined;
  readonly clientCertificateMode: ClientCertificateMode;
  readonly alpnProtocols: readonly string[];
}

/** An SNI entry with the endpoint's settings filled in. */
export interface ResolvedSniEntry extends ResolvedTlsSettings {
  readonly serverCertificate: ServerCertificate | undefined;
}

/** Validated, frozen settings of one middleware instance. */
export interface ResolvedHttpsOptions extends ResolvedTlsSettings {
  readonly serverCertificate: ServerCertificate | undefined;
  readonly serverCertificateSelector: ServerCertificateSelector | undefined;
  readonly clientCertificateValidation: ClientCertificateValidation | undefined;
  readonly handshakeTimeout: number;
  readonly onAuthenticate: HttpsConnectionAdapterOptions["onAuthenticate"];
  readonly sni: SniOptionsSelector<ResolvedSniEntry> | undefined;
}

function protocolFlags(value: HttpsConnectionAdapterOptions["sslProtocols"]): number {
  if (value === undefined) return SslProtocols.None;
  if (typeof value === "number") {
    if ((value & ~(SslProtocols.Tls12 | SslProtocols.Tls13)) !== 0) {
      throw new OptionsValidationError("sslProtocols allows only Tls12 and Tls13", "sslProtocols");
    }
    return value;
  }
  let flags = 0;
  for (const name of value) {
    if (name !== "Tls12" && name !== "Tls13") throw new OptionsValidationError(`Unknown SSL protocol '${name}'`, "sslProtocols");
    flags |= SslProtocols[name];
  }
  return flags;
}

/** Maps `sslProtocols` to node:tls version bounds. */
export function tlsVersionRange(value: HttpsConnectionAdapterOptions["sslProtocols"]): {
  minVersion: tls.SecureVersion;
  maxVersion: tls.SecureVersion | undefined;
} {
  const flags = protocolFlags(value);
  const tls12 = (flags & SslProtocols.Tls12) !== 0;
  const tls13 = (flags & SslProtocols.Tls13) !== 0;
  if (tls12 && !tls13) return { minVersion: "TLSv1.2", maxVersion: "TLSv1.2" };
  if (tls13 && !tls12) return { minVersion: "TLSv1.3", maxVersion: "TLSv1.3" };
  // None ("let the platform choose") or both: TLS 1.2 floor, platform ceiling.
  return { minVersion: "TLSv1.2", maxVersion: undefined };
}

function checkClientCertificateMode(mode: ClientCertificateMode, key: string): ClientCertificateMode {
  if (!Object.hasOwn(ClientCertificateMode, mode)) throw new OptionsValidationError(`Unknown clientCertificateMode '${mode}'`, key);
  return mode;
}

function checkAlpnProtocols(protocols: readonly string[], key: string): readonly string[] {
  for (const protocol of protocols) {
    // RFC 7301 §3.1: protocol names are 1 to 255 bytes.
    const length = Buffer.byteLength(protocol);
    if (length === 0 || length > 255) throw new OptionsValidationError(`Invalid ALPN protocol '${protocol}'`, key);
  }
  return Object.freeze([...protocols]);
}

function resolveSni(map: SniMap, endpoint: ResolvedTlsSettings, hasFallbackCertificate: boolean): SniOptionsSelector<ResolvedSniEntry> {
  const entries: Record<string, ResolvedSniEntry> = {};
  for (const [name, entry] of Object.entries(map)) {
    const key = `Sni:${name}`;
    if (entry.serverCertificate === undefined && !hasFallbackCertificate) {
      throw new OptionsValidationError(`The SNI entry '${name}' has no certificate, and the endpoint has no certificate to fall back to`, `${key}:Certificate`);
    }
    const versions = entry.sslProtocols === undefined ? endpoint : tlsVersionRange(entry.sslProtocols);
    entries[name] = Object.freeze({
      serverCertificate: entry.serverCertificate,
      minVersion: versions.minVersion,
      maxVersion: versions.maxVersion,
      clientCertificateMode:
        entry.clientCertificateMode === undefined ? endpoint.clientCertificateMode : checkClientCertificateMode(entry.clientCertificateMode, `${key}:ClientCertificateMode`),
      alpnProtocols: entry.alpnProtocols === undefined ? endpoint.alpnProtocols : checkAlpnProtocols(entry.alpnProtocols, `${key}:Protocols`),
    });
  }
  return new SniOptionsSelector(entries);
}

/** Validates options once, at startup. @throws OptionsValidationError */
export function resolveHttpsOptions(options: HttpsConnectionAdapterOptions): ResolvedHttpsOptions {
  const hasFallbackCertificate = options.serverCertificate !== undefined || options.serverCertificateSelector !== undefined;
  if (!hasFallbackCertificate && options.sni === undefined) {
    throw new OptionsValidationError("HTTPS needs serverCertificate or serverCertificateSelector", "serverCertificate");
  }
  const handshakeTimeout = options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT;
  if (!(handshakeTimeout > 0) || !Number.isFinite(handshakeTimeout)) {
    throw new OptionsValidationError("handshakeTimeout must be a positive number of milliseconds", "handshakeTimeout");
  }
  const endpoint: ResolvedTlsSettings = {
    ...tlsVersionRange(options.sslProtocols),
    clientCertificateMode: checkClientCertificateMode(options.clientCertificateMode ?? ClientCertificateMode.NoCertificate, "clientCertificateMode"),
    alpnProtocols: checkAlpnProtocols(options.alpnProtocols ?? ["http/1.1"], "alpnProtocols"),
  };
  return Object.freeze({
    ...endpoint,
    serverCertificate: options.serverCertificate,
    serverCertificateSelector: options.serverCertificateSelector,
    clientCertificateValidation: options.clientCertificateValidation,
    handshakeTimeout,
    onAuthenticate: options.onAuthenticate,
    sni: options.sni === undefined ? undefined : resolveSni(options.sni, endpoint, hasFallbackCertificate),
  });
}
