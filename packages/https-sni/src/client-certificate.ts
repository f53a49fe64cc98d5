/**
 * Applies `clientCertificateMode` and `clientCertificateValidation` to a
 * finished handshake. node:tls runs with `rejectUnauthorized: false`, so the
 * decision is made here, as Kestrel makes it in its validation callback.
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
 * The chain verification result. tls.Server sets `authorized` and
 * `authorizationError` from the handle's `verifyError()` when the handshake
 * ends; a TLSSocket made without a server never does, so ask the handle the
 * same way (present since Node 0.x, used by tls.Server in Node 20 and 22).
 */
function verificationErrors(socket: tls.TLSSocket): string[] {
  const handle = (socket as unknown as { _handle?: { verifyError?: () => (Error & { code?: string }) | null } })._handle;
  if (typeof handle?.verifyError !== "function") return ["UNABLE_TO_VERIFY"];
  const error = handle.verifyError();
  return error ? [error.code ?? error.message] : [];
}

export function decideClientCertificate(socket: tls.TLSSocket, options: ResolvedHttpsOptions): ClientCertificateDecision {
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
