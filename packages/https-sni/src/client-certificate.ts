/**
 * Applies `clientCertificateMode` and `clientCertificateValidation` to a
 * finished handshake. The tls.Server runs with `rejectUnauthorized: false`, so
 * the decision is made here, as Kestrel makes it in its validation callback.
 *
 * @module
 */
import { X509Certificate } from "node:crypto";
import type * as tls from "node:tls";
import { ClientCertificateMode, type ResolvedHttpsOptions } from "./https-options.js";

/** The certificate to expose, or the reason to close the connection. */
export type ClientCertificateDecision = { readonly ok: true; readonly certificate: X509Certificate | null } | { readonly ok: false; readonly reason: string };

/** Leaf first, then issuers, like .NET's `X509Chain.ChainElements`. */
function peerChain(socket: tls.TLSSocket): X509Certificate[] {
  const chain: X509Certificate[] = [];
  let current: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  const seen = new Set<tls.DetailedPeerCertificate>();
  while (current?.raw !== undefined && !seen.has(current)) {
    seen.add(current);
    chain.push(new X509Certificate(current.raw));
    current = current.issuerCertificate;
  }
  return chain;
}

/**
 * The chain verification result, as tls.Server reports it on a socket it
 * asked for a certificate: `authorized`, or the OpenSSL code in
 * `authorizationError` (e.g. `UNABLE_TO_VERIFY_LEAF_SIGNATURE`).
 */
function verificationErrors(socket: tls.TLSSocket): string[] {
  if (socket.authorized) return [];
  const error: unknown = socket.authorizationError;
  if (error === undefined || error === null) return ["UNABLE_TO_VERIFY"];
  return [error instanceof Error ? ((error as Error & { code?: string }).code ?? error.message) : String(error)];
}

export function decideClientCertificate(
  socket: tls.TLSSocket,
  options: Pick<ResolvedHttpsOptions, "clientCertificateMode" | "clientCertificateValidation">,
): ClientCertificateDecision {
  if (options.clientCertificateMode === ClientCertificateMode.NoCertificate) return { ok: true, certificate: null };
  const certificate = socket.getPeerX509Certificate() ?? null;
  if (certificate === null) {
    return options.clientCertificateMode === ClientCertificateMode.RequireCertificate
      ? { ok: false, reason: "client certificate required but none was sent" }
      : { ok: true, certificate: null };
  }
  // A certificate that was sent is always checked, in Allow mode too (Kestrel does the same).
  const errors = verificationErrors(socket);
  let accepted: boolean;
  if (options.clientCertificateValidation === undefined) {
    accepted = errors.length === 0;
  } else {
    try {
      accepted = options.clientCertificateValidation(certificate, peerChain(socket), errors) === true;
    } catch {
      accepted = false;
    }
  }
  return accepted ? { ok: true, certificate } : { ok: false, reason: `client certificate rejected${errors.length ? ` (${errors[0]})` : ""}` };
}
