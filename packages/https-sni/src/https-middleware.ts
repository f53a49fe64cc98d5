/**
 * TLS as connection middleware (Kestrel's `HttpsConnectionMiddleware`): reads
 * the ClientHello, picks a certificate once, runs the handshake on
 * `connection.transport`, then hands the decrypted stream to the next
 * middleware with `TlsHandshakeFeature` and `TlsConnectionFeature` set.
 *
 * A failed handshake (bad ClientHello, timeout, no certificate, rejected
 * client certificate) aborts that connection only, is logged at debug, and
 * never throws.
 *
 * @module
 */
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import * as tls from "node:tls";
import { type ConnectionContext, type ConnectionMiddleware, type Heartbeat, type Logger, nullLogger } from "@x/abstractions";
import { createCertificateContext, type ServerCertificate } from "./certificate.js";
import { decideClientCertificate } from "./client-certificate.js";
import { HandshakeTimeouts } from "./handshake-timeouts.js";
import {
  ClientCertificateMode,
  type HttpsConnectionAdapterOptions,
  type ResolvedHttpsOptions,
  resolveHttpsOptions,
  type TlsAuthenticationOptions,
} from "./https-options.js";
import { readClientHello } from "./read-client-hello.js";
import { TlsConnectionFeature, TlsHandshakeFeature } from "./tls-handshake-feature.js";

/** Why a handshake was given up; only logged, never thrown to the caller. */
class HandshakeFailure extends Error {}

/** node:tls internals used by tls.Server; see `releaseControl`. */
interface TlsSocketInternals {
  _releaseControl?: () => void;
}

function ignoreError(): void {}

/**
 * A standalone server TLSSocket reports handshake errors only as the
 * internal `_tlsError` event until control is released, as tls.Server does
 * after 'secureConnection'; afterwards errors are ordinary 'error' events.
 */
function waitForSecure(socket: tls.TLSSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: unknown) => {
      socket.off("secure", onSecure);
      socket.off("_tlsError", done);
      socket.off("error", done);
      socket.off("close", onClose);
      if (error === undefined) resolve();
      else reject(error);
    };
    const onSecure = () => done();
    const onClose = () => done(new HandshakeFailure("connection closed during the handshake"));
    socket.on("secure", onSecure);
    socket.on("_tlsError", done);
    socket.on("error", done);
    socket.on("close", onClose);
  });
}

/** True when onAuthenticate set options that live in a SecureContext rather than on the socket. */
function needsOwnContext(auth: TlsAuthenticationOptions): boolean {
  return auth.ciphers !== undefined || auth.ecdhCurve !== undefined || auth.sigalgs !== undefined || auth.honorCipherOrder !== undefined;
}

/**
 * Creates the HTTPS connection middleware. Options are validated and the
 * default certificate's SecureContext is built here, at startup.
 *
 * @param logger receives one debug entry per failed handshake, with the reason.
 * @param heartbeat the server's heartbeat; when given, handshake deadlines are
 *   checked on its ticks instead of by one timer per handshake.
 *
 * @throws OptionsValidationError for invalid options, CertificateError for an unusable `serverCertificate`.
 * @example
 * const https = createHttpsMiddleware({ serverCertificate: loadCertificate({ path: "site.pfx", password }) });
 * const pipeline = composeConnectionMiddleware([https], http1Handler);
 */
export function createHttpsMiddleware(options: HttpsConnectionAdapterOptions, logger: Logger = nullLogger, heartbeat?: Heartbeat): ConnectionMiddleware {
  const settings = resolveHttpsOptions(options);
  const timeouts = new HandshakeTimeouts(settings.handshakeTimeout, heartbeat);
  const versions: tls.SecureContextOptions = { minVersion: settings.minVersion };
  if (settings.maxVersion !== undefined) versions.maxVersion = settings.maxVersion;
  // One SecureContext per certificate object: building one parses keys and
  // costs far more than the handshake's own work, so never do it per connection.
  const contexts = new WeakMap<ServerCertificate, tls.SecureContext>();
  const contextFor = (certificate: ServerCertificate): tls.SecureContext => {
    let context = contexts.get(certificate);
    if (context === undefined) {
      context = createCertificateContext(certificate, versions);
      contexts.set(certificate, context);
    }
    return context;
  };
  if (settings.serverCertificate !== undefined) contextFor(settings.serverCertificate);

  return async function httpsMiddleware(connection, next) {
    const socket = await handshake(connection, settings, contextFor, versions, timeouts, logger);
    if (socket === null) return;
    connection.transport = socket;
    await next(connection);
  };
}

async function selectCertificate(connection: ConnectionContext, settings: ResolvedHttpsOptions, name: string | null): Promise<ServerCertificate> {
  const selected = settings.serverCertificateSelector ? await settings.serverCertificateSelector(connection, name) : undefined;
  const certificate = selected ?? settings.serverCertificate;
  if (certificate === undefined) throw new HandshakeFailure(`no certificate for ${name === null ? "a client without SNI" : `'${name}'`}`);
  return certificate;
}

async function handshake(
  connection: ConnectionContext,
  settings: ResolvedHttpsOptions,
  contextFor: (certificate: ServerCertificate) => tls.SecureContext,
  versions: tls.SecureContextOptions,
  timeouts: HandshakeTimeouts,
  logger: Logger,
): Promise<tls.TLSSocket | null> {
  const raw: Duplex = connection.transport;
  let socket: tls.TLSSocket | undefined;
  let timedOut = false;
  // Kestrel's HandshakeTimeout covers the whole handshake, ClientHello included.
  const deadline = timeouts.start(() => {
    timedOut = true;
    socket?.destroy();
    raw.destroy();
  });
  // Resets during the handshake must not become uncaught 'error' events.
  raw.on("error", ignoreError);
  let serverName: string | null = null;
  try {
    serverName = await readClientHello(raw);
    const certificate = await selectCertificate(connection, settings, serverName);
    const auth: TlsAuthenticationOptions = {
      serverCertificate: certificate,
      alpnProtocols: [...settings.alpnProtocols],
      requestCert: settings.clientCertificateMode !== ClientCertificateMode.NoCertificate,
    };
    settings.onAuthenticate?.(connection, auth);
    const secureContext = needsOwnContext(auth)
      ? createCertificateContext(auth.serverCertificate, {
          ...versions,
          ciphers: auth.ciphers,
          ecdhCurve: auth.ecdhCurve,
          sigalgs: auth.sigalgs,
          honorCipherOrder: auth.honorCipherOrder,
        })
      : contextFor(auth.serverCertificate);
    if (timedOut || raw.destroyed) throw new HandshakeFailure("connection closed before the handshake");
    socket = new tls.TLSSocket(raw as Socket, {
      isServer: true,
      secureContext,
      // RFC 7301 §3.2: the server selects from the client's list, in our preference order.
      ALPNProtocols: auth.alpnProtocols,
      requestCert: auth.requestCert,
      // Client certificates are judged in decideClientCertificate, not by OpenSSL.
      rejectUnauthorized: false,
    });
    await waitForSecure(socket);
    const decision = decideClientCertificate(socket, settings);
    if (!decision.ok) throw new HandshakeFailure(decision.reason);
    (socket as unknown as TlsSocketInternals)._releaseControl?.();
    socket.on("error", (error) => logger.debug({ connectionId: connection.id, err: error }, "TLS connection error"));
    const cipher = socket.getCipher();
    connection.features.set(TlsHandshakeFeature, {
      protocol: socket.getProtocol() ?? "",
      cipherName: cipher.name,
      negotiatedApplicationProtocol: typeof socket.alpnProtocol === "string" ? socket.alpnProtocol : "",
      hostName: serverName,
    });
    const clientCertificate = decision.certificate;
    connection.features.set(TlsConnectionFeature, {
      clientCertificate,
      getClientCertificate: () => Promise.resolve(clientCertificate),
    });
    return socket;
  } catch (error) {
    const reason = timedOut ? "handshake timed out" : error instanceof Error ? error.message : String(error);
    logger.debug({ connectionId: connection.id, hostName: serverName, reason }, "TLS handshake failed");
    socket?.on("error", ignoreError);
    socket?.destroy();
    connection.abort();
    return null;
  } finally {
    timeouts.stop(deadline);
    raw.off("error", ignoreError);
  }
}
