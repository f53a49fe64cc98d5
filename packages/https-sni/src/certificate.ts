/**
 * Server certificates: the shapes the middleware accepts (PEM or PFX), loading
 * them from files the way Kestrel's `Certificates:Default` section does, and
 * validating them once, at startup, by building a `SecureContext`.
 *
 * @module
 */
import { constants, createPrivateKey, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { extname } from "node:path";
import * as tls from "node:tls";
import { createErrorClass } from "@x/abstractions";

/** PEM text or bytes. */
export type PemInput = string | Buffer;

/** A certificate and its private key in PEM form. */
export interface PemCertificate {
  /** The leaf certificate, optionally followed by intermediates. */
  readonly cert: PemInput;
  /** The private key (PKCS#8, PKCS#1 or SEC1; encrypted keys need `passphrase`). */
  readonly key: PemInput;
  /** Intermediates to send after the leaf (the chain). */
  readonly chain?: PemInput | readonly PemInput[];
  /**
   * Trusted CAs. Also the trust store for client certificates: when set, it
   * replaces Node's default root store for verifying them (node:tls `ca`).
   */
  readonly ca?: PemInput | readonly PemInput[];
  readonly passphrase?: string;
}

/** A PKCS#12 bundle (`.pfx` / `.p12`): certificate, key and chain in one file. */
export interface PfxCertificate {
  readonly pfx: Buffer;
  readonly passphrase?: string;
  /** Trusted CAs for client certificates, as in {@link PemCertificate.ca}. */
  readonly ca?: PemInput | readonly PemInput[];
}

/** What `serverCertificate` and `serverCertificateSelector` hand to the middleware. */
export type ServerCertificate = PemCertificate | PfxCertificate;

/** A certificate that cannot be read or used: missing file, bad PEM/PFX, wrong password, key mismatch. */
export const CertificateError = createErrorClass("CertificateError", "ERR_X_TLS_CERTIFICATE_INVALID", "Invalid server certificate");

/** Where {@link loadCertificate} reads from (Kestrel's `Path`, `KeyPath`, `Password`). */
export interface CertificateFileOptions {
  /** A `.pfx`/`.p12` file, or a PEM file holding the certificate (and the key, if `keyPath` is absent). */
  readonly path: string;
  /** PEM private key file, when the key is not in `path`. */
  readonly keyPath?: string;
  /** PFX password, or the passphrase of an encrypted PEM key. */
  readonly password?: string;
}

/** Readable facts about a certificate, for logs and diagnostics. */
export interface CertificateInfo {
  readonly subject: string;
  /** e.g. `DNS:a.test, DNS:*.wild.test`, or undefined when the certificate has none. */
  readonly subjectAltName: string | undefined;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly fingerprint256: string;
  readonly x509: X509Certificate;
}

const PEM_BEGIN = "-----BEGIN ";

/** The files each certificate made by {@link loadCertificate} came from, so it can be reloaded when they change. */
const fileSources = new WeakMap<ServerCertificate, CertificateFileOptions>();

/** The files `certificate` was loaded from, or undefined when it was not loaded by {@link loadCertificate}. */
export function certificateFileSource(certificate: ServerCertificate): CertificateFileOptions | undefined {
  return fileSources.get(certificate);
}

function isPfx(certificate: ServerCertificate): certificate is PfxCertificate {
  return "pfx" in certificate && certificate.pfx !== undefined;
}

function readFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new CertificateError(`Cannot read ${what} file '${path}'`, { cause });
  }
}

function toArray(input: PemInput | readonly PemInput[] | undefined): PemInput[] {
  if (input === undefined) return [];
  return Array.isArray(input) ? [...input] : [input as PemInput];
}

/**
 * The cipher suites offered when the app sets none: TLS 1.3's three, then for TLS 1.2 the
 * ECDHE and DHE suites with AES-GCM or ChaCha20-Poly1305 (Mozilla's "intermediate"
 * recommendation, version 5.7). No CBC suite, no static RSA key exchange.
 */
export const DEFAULT_CIPHERS = [
  "TLS_AES_128_GCM_SHA256",
  "TLS_AES_256_GCM_SHA384",
  "TLS_CHACHA20_POLY1305_SHA256",
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-CHACHA20-POLY1305",
  "DHE-RSA-AES128-GCM-SHA256",
  "DHE-RSA-AES256-GCM-SHA384",
  "DHE-RSA-CHACHA20-POLY1305",
].join(":");

/**
 * The node:tls options for a certificate. `extra` carries per-endpoint
 * settings that live in a SecureContext (minVersion, maxVersion, ciphers).
 */
export function secureContextOptions(certificate: ServerCertificate, extra?: tls.SecureContextOptions): tls.SecureContextOptions {
  const ca = toArray(certificate.ca);
  const options: tls.SecureContextOptions = { ...extra, passphrase: certificate.passphrase };
  // A server has no use for client-initiated renegotiation (TLS 1.2; TLS 1.3 has none): each one
  // costs a full handshake, so it is refused outright rather than rate-limited as node:https does.
  options.secureOptions = (extra?.secureOptions ?? 0) | constants.SSL_OP_NO_RENEGOTIATION;
  // Unless the app chose its own: forward-secret AEAD suites only (Mozilla's "intermediate"
  // profile); node's default list also offers CBC suites for TLS 1.2.
  options.ciphers ??= DEFAULT_CIPHERS;
  if (ca.length > 0) options.ca = ca;
  if (isPfx(certificate)) {
    options.pfx = certificate.pfx;
  } else {
    const chain = toArray(certificate.chain);
    // node:tls sends everything in `cert` as the chain, leaf first.
    options.cert = chain.length === 0 ? certificate.cert : [certificate.cert, ...chain].map(String).join("\n");
    options.key = certificate.key;
  }
  return options;
}

/**
 * Builds a SecureContext, turning OpenSSL's errors (bad PEM, wrong password,
 * `key values mismatch`) into a {@link CertificateError} that names `source`.
 */
export function createCertificateContext(
  certificate: ServerCertificate,
  extra?: tls.SecureContextOptions,
  source = "the server certificate",
): tls.SecureContext {
  try {
    return tls.createSecureContext(secureContextOptions(certificate, extra));
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new CertificateError(`Invalid certificate in ${source}: ${detail}`, { cause });
  }
}

/**
 * OpenSSL keeps one key per type in a context, so a key of another type (an
 * EC key next to an RSA certificate) passes `createSecureContext` unnoticed;
 * compare them explicitly.
 */
function checkKeyMatches(certificate: PemCertificate, source: string): void {
  let matches: boolean;
  try {
    const key = createPrivateKey({ key: certificate.key, passphrase: certificate.passphrase });
    matches = new X509Certificate(certificate.cert).checkPrivateKey(key);
  } catch (cause) {
    throw new CertificateError(`Invalid certificate in ${source}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  if (!matches) throw new CertificateError(`Invalid certificate in ${source}: the private key does not belong to the certificate`);
}

/**
 * Loads a certificate from files: PFX by extension (`.pfx`, `.p12`) or by
 * content (no PEM armour), otherwise PEM with the key in `keyPath` or in the
 * same file. Validates it by building a SecureContext once.
 *
 * @throws CertificateError (`ERR_X_TLS_CERTIFICATE_INVALID`) naming the file.
 * @example
 * const certificate = loadCertificate({ path: "certs/site.pem", keyPath: "certs/site.key" });
 */
export function loadCertificate(options: CertificateFileOptions): ServerCertificate {
  const { path, keyPath, password } = options;
  const content = readFile(path, "certificate");
  const extension = extname(path).toLowerCase();
  let certificate: ServerCertificate;
  if (extension === ".pfx" || extension === ".p12" || !content.includes(PEM_BEGIN)) {
    certificate = { pfx: content, passphrase: password };
  } else {
    const text = content.toString("latin1");
    let key: Buffer;
    if (keyPath !== undefined) key = readFile(keyPath, "key");
    else if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) key = content;
    else throw new CertificateError(`No private key in '${path}' and no keyPath given`);
    certificate = { cert: content, key, passphrase: password };
  }
  const source = keyPath === undefined ? `'${path}'` : `'${path}' (key '${keyPath}')`;
  createCertificateContext(certificate, undefined, source);
  if (!isPfx(certificate)) checkKeyMatches(certificate, source);
  fileSources.set(certificate, { path, keyPath, password });
  return certificate;
}

/**
 * Subject, SANs and validity of a certificate. PFX bundles are opened
 * through a throwaway TLSSocket, the only public way node:tls reads them.
 */
export function describeCertificate(certificate: ServerCertificate): CertificateInfo {
  let x509: X509Certificate | undefined;
  if (isPfx(certificate)) {
    const socket = new tls.TLSSocket(null as never, { isServer: true, secureContext: createCertificateContext(certificate) });
    x509 = socket.getX509Certificate();
    socket.destroy();
  } else {
    try {
      x509 = new X509Certificate(certificate.cert);
    } catch (cause) {
      throw new CertificateError("Cannot parse the certificate", { cause });
    }
  }
  if (x509 === undefined) throw new CertificateError("The PFX bundle holds no certificate");
  return {
    subject: x509.subject,
    subjectAltName: x509.subjectAltName,
    notBefore: new Date(x509.validFrom),
    notAfter: new Date(x509.validTo),
    fingerprint256: x509.fingerprint256,
    x509,
  };
}
