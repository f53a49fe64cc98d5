/**
 * TLS as connection middleware (Kestrel's `HttpsConnectionMiddleware`): reads
 * the ClientHello, picks a certificate once, runs the handshake on
 * `connection.transport` in a pooled, never-listening `tls.Server` (see
 * tls-server-pool.ts; public node:tls APIs only), then hands the decrypted
 * stream to the next middleware with `TlsHandshakeFeature` and
 * `TlsConnectionFeature` set.
 *
 * A failed handshake (bad ClientHello, timeout, no certificate, rejected
 * client certificate) aborts that connection only, is logged at debug, and
 * never throws.
 *
 * @module
 */
import type { Duplex } from "node:stream";
import type * as tls from "node:tls";
import { type ConnectionContext, type ConnectionMiddleware, type Heartbeat, type Logger, nullLogger } from "@x/abstractions";
import type { ServerCertificate } from "./certificate.js";
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
import { TlsServerPool } from "./tls-server-pool.js";

/** Why a handshake was given up; only logged, never thrown to the caller. */
class HandshakeFailure extends Error {}

function ignoreError(): void {}

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
  // Servers (each holding a SecureContext) are pooled per certificate object:
  // building a context parses keys and costs far more than the handshake's
  // own work, so it is never done per connection.
  const pool = new TlsServerPool(versions);
  if (settings.serverCertificate !== undefined) {
    pool.warm({
      certificate: settings.serverCertificate,
      alpnProtocols: settings.alpnProtocols,
      requestCert: settings.clientCertificateMode !== ClientCertificateMode.NoCertificate,
    });
  }

  return async function httpsMiddleware(connection, next) {
    const socket = await handshake(connection, settings, pool, timeouts, logger);
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
  pool: TlsServerPool,
  timeouts: HandshakeTimeouts,
  logger: Logger,
): Promise<tls.TLSSocket | null> {
  const raw: Duplex = connection.transport;
  let socket: tls.TLSSocket | undefined;
  let timedOut = false;
  let abortHandshake: ((error: unknown) => void) | undefined;
  // Kestrel's HandshakeTimeout covers the whole handshake, ClientHello included.
  const deadline = timeouts.start(() => {
    timedOut = true;
    raw.destroy();
    abortHandshake?.(new HandshakeFailure("handshake timed out"));
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
    if (timedOut || raw.destroyed) throw new HandshakeFailure("connection closed before the handshake");
    const outcome = await pool.handshake(
      {
        certificate: auth.serverCertificate,
        alpnProtocols: auth.alpnProtocols,
        requestCert: auth.requestCert,
        custom: needsOwnContext(auth)
          ? { ciphers: auth.ciphers, ecdhCurve: auth.ecdhCurve, sigalgs: auth.sigalgs, honorCipherOrder: auth.honorCipherOrder }
          : undefined,
      },
      raw,
      (abort) => {
        abortHandshake = abort;
      },
    );
    if (!outcome.ok) throw outcome.error;
    socket = outcome.socket;
    const decision = decideClientCertificate(socket, settings);
    if (!decision.ok) throw new HandshakeFailure(decision.reason);
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
