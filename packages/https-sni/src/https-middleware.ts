/**
 * TLS as connection middleware (Kestrel's `HttpsConnectionMiddleware`): reads
 * the ClientHello, picks the SNI entry and the certificate once, runs the handshake on
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
import { CertificateReloader } from "./certificate-reloader.js";
import { decideClientCertificate } from "./client-certificate.js";
import { HandshakeTimeouts } from "./handshake-timeouts.js";
import {
  ClientCertificateMode,
  type HttpsConnectionAdapterOptions,
  type ResolvedHttpsOptions,
  type ResolvedTlsSettings,
  resolveHttpsOptions,
  type TlsAuthenticationOptions,
} from "./https-options.js";
import { readClientHello } from "./read-client-hello.js";
import { TlsConnectionFeature, TlsHandshakeFeature } from "./tls-handshake-feature.js";
import { type EndpointSettings, TlsServerPool } from "./tls-server-pool.js";

/** Why a handshake was given up; only logged, never thrown to the caller. */
class HandshakeFailure extends Error {}

function ignoreError(): void {}

/** True when onAuthenticate set options that live in a SecureContext rather than on the socket. */
function needsOwnContext(auth: TlsAuthenticationOptions): boolean {
  return auth.ciphers !== undefined || auth.ecdhCurve !== undefined || auth.sigalgs !== undefined || auth.honorCipherOrder !== undefined;
}

/** OpenSSL's client-certificate refusals, in the words decideClientCertificate uses for the same cases. */
const OPENSSL_REASONS: Readonly<Record<string, string>> = {
  ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE: "client certificate required but none was sent",
  ERR_SSL_CERTIFICATE_VERIFY_FAILED: "client certificate rejected (it does not chain to a trusted CA)",
};

/** A log-friendly reason for a failed handshake: our own message, or OpenSSL's with its code. */
function failureReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as Error & { code?: unknown }).code;
  if (typeof code !== "string") return error.message;
  return OPENSSL_REASONS[code] ?? `${error.message} (${code})`;
}

/** How long a refused handshake may take to deliver its alert before the connection is cut. */
const ALERT_FLUSH_MS = 1_000;

/**
 * Half-closes `raw` once what is queued (the TLS alert) is written, so the
 * client reads why it was refused rather than a reset; bounded in time.
 */
function flushThenClose(raw: Duplex): Promise<void> {
  if (raw.destroyed || raw.writableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ALERT_FLUSH_MS);
    timer.unref();
    raw.end(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** What the middleware uses from the server around it; all optional when it runs on its own. */
export interface HttpsMiddlewareServices {
  /** Receives one debug entry per failed handshake, with the reason, and certificate reload messages. */
  readonly logger?: Logger;
  /** The server's heartbeat; when given, handshake deadlines are checked on its ticks instead of by one timer per handshake. */
  readonly heartbeat?: Heartbeat;
  /** Aborted when the server stops: certificate file watches end then. */
  readonly signal?: AbortSignal;
}

/** One middleware instance's shared state. */
interface MiddlewareState {
  readonly settings: ResolvedHttpsOptions;
  readonly pool: TlsServerPool;
  readonly timeouts: HandshakeTimeouts;
  readonly reloader: CertificateReloader;
  readonly logger: Logger;
}

/**
 * Creates the HTTPS connection middleware. Options are validated and the
 * SecureContexts of the configured certificates are built here, at startup.
 * Certificates loaded from files (`loadCertificate`, as `useHttps(path)` and
 * configuration do) are reloaded when their files change, until `signal` aborts.
 *
 * @throws OptionsValidationError for invalid options, CertificateError for an unusable certificate.
 * @example
 * const https = createHttpsMiddleware({ serverCertificate: loadCertificate({ path: "site.pfx", password }) });
 * const pipeline = composeConnectionMiddleware([https], http1Handler);
 */
export function createHttpsMiddleware(options: HttpsConnectionAdapterOptions, services: HttpsMiddlewareServices = {}): ConnectionMiddleware {
  const settings = resolveHttpsOptions(options);
  const logger = services.logger ?? nullLogger;
  // Servers (each holding a SecureContext) are pooled per certificate object:
  // building a context parses keys and costs far more than the handshake's
  // own work, so it is never done per connection.
  const state: MiddlewareState = {
    settings,
    pool: new TlsServerPool(),
    timeouts: new HandshakeTimeouts(settings.handshakeTimeout, services.heartbeat),
    reloader: new CertificateReloader(logger),
    logger,
  };
  const warm = (certificate: ServerCertificate | undefined, tlsSettings: ResolvedTlsSettings) => {
    if (certificate === undefined) return;
    state.reloader.watch(certificate);
    state.pool.warm(endpointSettings(certificate, tlsSettings, settings));
  };
  warm(settings.serverCertificate, settings);
  for (const entry of settings.sni?.entries ?? []) warm(entry.options.serverCertificate, entry.options);
  if (services.signal !== undefined) {
    if (services.signal.aborted) state.reloader.close();
    else services.signal.addEventListener("abort", () => state.reloader.close(), { once: true });
  }

  return async function httpsMiddleware(connection, next) {
    const socket = await handshake(connection, state);
    if (socket === null) return;
    connection.transport = socket;
    await next(connection);
  };
}

function endpointSettings(certificate: ServerCertificate, tlsSettings: ResolvedTlsSettings, settings: ResolvedHttpsOptions): EndpointSettings {
  return {
    certificate,
    alpnProtocols: tlsSettings.alpnProtocols,
    requestCert: tlsSettings.clientCertificateMode !== ClientCertificateMode.NoCertificate,
    rejectUnauthorized: tlsSettings.clientCertificateMode === ClientCertificateMode.RequireCertificate && settings.clientCertificateValidation === undefined,
    minVersion: tlsSettings.minVersion,
    maxVersion: tlsSettings.maxVersion,
  };
}

/** The settings for this connection: the SNI entry's when the endpoint has an SNI map, else the endpoint's. */
function connectionSettings(settings: ResolvedHttpsOptions, name: string | null): { tls: ResolvedTlsSettings; certificate: ServerCertificate | undefined } {
  if (settings.sni === undefined) return { tls: settings, certificate: undefined };
  const match = settings.sni.select(name);
  if (match === undefined) {
    throw new HandshakeFailure(name === null ? "the client sent no SNI and the endpoint has no '*' SNI entry" : `no SNI entry matches '${name}'`);
  }
  return { tls: match.options, certificate: match.options.serverCertificate };
}

async function selectCertificate(connection: ConnectionContext, settings: ResolvedHttpsOptions, name: string | null): Promise<ServerCertificate> {
  const selected = settings.serverCertificateSelector ? await settings.serverCertificateSelector(connection, name) : undefined;
  const certificate = selected ?? settings.serverCertificate;
  if (certificate === undefined) throw new HandshakeFailure(`no certificate for ${name === null ? "a client without SNI" : `'${name}'`}`);
  return certificate;
}

async function handshake(connection: ConnectionContext, state: MiddlewareState): Promise<tls.TLSSocket | null> {
  const { settings, pool, timeouts, reloader, logger } = state;
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
  // OpenSSL wrote an alert (handshake_failure, unknown_ca, ...) that must be flushed before the close.
  let alertPending = false;
  try {
    serverName = await readClientHello(raw);
    const chosen = connectionSettings(settings, serverName);
    const certificate = reloader.current(chosen.certificate ?? (await selectCertificate(connection, settings, serverName)));
    const auth: TlsAuthenticationOptions = {
      serverCertificate: certificate,
      alpnProtocols: [...chosen.tls.alpnProtocols],
      requestCert: chosen.tls.clientCertificateMode !== ClientCertificateMode.NoCertificate,
    };
    settings.onAuthenticate?.(connection, auth);
    if (timedOut || raw.destroyed) throw new HandshakeFailure("connection closed before the handshake");
    const outcome = await pool.handshake(
      {
        ...endpointSettings(auth.serverCertificate, chosen.tls, settings),
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
    if (!outcome.ok) {
      socket = outcome.socket;
      alertPending = true;
      throw outcome.error;
    }
    socket = outcome.socket;
    const decision = decideClientCertificate(socket, {
      clientCertificateMode: chosen.tls.clientCertificateMode,
      clientCertificateValidation: settings.clientCertificateValidation,
    });
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
    // node:tls refuses an unverifiable client certificate after the handshake by destroying
    // the socket, which reads as a hang-up; authorizationError says what really happened.
    const authorizationError = alertPending ? socket?.authorizationError : undefined;
    const reason = timedOut
      ? "handshake timed out"
      : authorizationError
        ? `client certificate rejected (${String(authorizationError)})`
        : failureReason(error);
    logger.debug({ connectionId: connection.id, hostName: serverName, reason }, "TLS handshake failed");
    socket?.on("error", ignoreError);
    if (alertPending && !timedOut) await flushThenClose(raw);
    socket?.destroy();
    connection.abort();
    return null;
  } finally {
    timeouts.stop(deadline);
    raw.off("error", ignoreError);
  }
}
