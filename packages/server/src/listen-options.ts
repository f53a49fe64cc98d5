/**
 * One endpoint to listen on and how its connections are handled
 * (Kestrel's `ListenOptions`): the endpoint, the protocols, and the
 * connection middleware that runs before the protocol handler, TLS
 * (`useHttps`) included.
 *
 * @module
 */
import { type ConnectionMiddleware, type EndPoint, formatEndPoint, type Heartbeat, type Logger, OptionsValidationError } from "@x/abstractions";
import { resolve as resolvePath } from "node:path";
import { createHttpsMiddleware, type HttpsConnectionAdapterOptions, loadCertificate, type ServerCertificate } from "@x/https-sni";
import { createConnectionLoggingMiddleware } from "./connection-logging.js";
import { alpnProtocolsFor, HttpProtocols } from "./http-protocols.js";
import type { ServerOptions } from "./server-options.js";

/** Configures the HTTPS options of one endpoint (Kestrel's `Action<HttpsConnectionAdapterOptions>`). */
export type ConfigureHttpsOptions = (options: HttpsConnectionAdapterOptions) => void;

/** PEM certificate and key files for `useHttps({ certPath, keyPath })`; relative paths resolve against `ServerOptions.contentRoot` (the host's content root). */
export interface HttpsCertificateFiles {
  readonly certPath: string;
  readonly keyPath?: string;
  /** Passphrase of an encrypted key. */
  readonly password?: string;
}

/** What the server hands to connection middleware factories when it starts. */
export interface ConnectionMiddlewareContext {
  /** Creates the TLS middleware's logger (`X.Server.Https`). */
  readonly createLogger: (category: string) => Logger;
  readonly heartbeat: Heartbeat;
  /** Aborted when the server stops; middleware releases what it holds (file watches) then. */
  readonly signal: AbortSignal;
}

/** Middleware added with `use`, or made at start by a built-in (`useHttps`, `useConnectionLogging`). */
type MiddlewareEntry =
  | { readonly kind: "plain"; readonly middleware: ConnectionMiddleware }
  | { readonly kind: "https"; readonly options: HttpsConnectionAdapterOptions }
  | { readonly kind: "logging"; readonly category: string };

/** Kestrel's `UseConnectionLogging()` category, in our naming. */
const CONNECTION_LOGGING_CATEGORY = "X.Server.ConnectionLogging";

/** Kestrel's message when `UseHttps()` finds no certificate. */
const NO_CERTIFICATE =
  "No server certificate was specified for HTTPS, and no default certificate is configured. " +
  "Pass a certificate to useHttps(...), set ServerOptions.defaultCertificate (or Certificates:Default in configuration), " +
  "or set serverCertificate / serverCertificateSelector in useHttps(options => ...).";

function isCertificate(value: object): value is ServerCertificate {
  return "pfx" in value || ("cert" in value && "key" in value);
}

/** One endpoint (Kestrel's `ListenOptions`): where to listen, which protocols, and its connection middleware (TLS, logging). */
export class ListenOptions {
  /** Where to listen. */
  readonly endPoint: EndPoint;
  /** The protocols accepted (default `Http1AndHttp2`). */
  protocols: HttpProtocols = HttpProtocols.Http1AndHttp2;
  /** `http`, or `https` once TLS middleware is added. */
  scheme: "http" | "https" = "http";
  /** Set by `listenLocalhost` and `localhost` URLs: binds 127.0.0.1 and ::1 as one endpoint. */
  readonly isLocalhost: boolean;
  /** The endpoint's name in the `Kestrel:Endpoints` configuration, when it came from there. */
  endpointName: string | undefined;
  /** The server options this endpoint belongs to: the default certificate and HTTPS defaults come from there. */
  readonly serverOptions: ServerOptions | undefined;
  readonly #entries: MiddlewareEntry[] = [];

  /** An endpoint at `endPoint`; `isLocalhost` marks one made for a `localhost` URL; `serverOptions` supply the endpoint defaults. */
  constructor(endPoint: EndPoint, isLocalhost = false, serverOptions?: ServerOptions) {
    this.endPoint = endPoint;
    this.isLocalhost = isLocalhost;
    this.serverOptions = serverOptions;
  }

  /** Adds connection middleware; it runs per connection, in the order added. */
  use(middleware: ConnectionMiddleware): this {
    if (typeof middleware !== "function") throw new TypeError("middleware must be a function");
    this.#entries.push({ kind: "plain", middleware });
    return this;
  }

  /** The middleware added with `use`, in order (the TLS middleware of `useHttps` is created at start). */
  get middleware(): readonly ConnectionMiddleware[] {
    return this.#entries.flatMap((e) => (e.kind === "plain" ? [e.middleware] : []));
  }

  /**
   * Logs every byte the connection reads and writes at debug level (Kestrel's
   * `UseConnectionLogging`): encrypted TLS records when added before
   * `useHttps`, decrypted HTTP after it. Free when debug is off for its category.
   *
   * @param category the logger category, default `X.Server.ConnectionLogging`.
   * @example
   * options.listen("127.0.0.1", 5001, (lo) => lo.useConnectionLogging("Raw").useHttps().useConnectionLogging("Decrypted"));
   */
  useConnectionLogging(category = CONNECTION_LOGGING_CATEGORY): this {
    this.#entries.push({ kind: "logging", category });
    return this;
  }

  /** True once `useHttps` was called. */
  get isTls(): boolean {
    return this.#entries.some((e) => e.kind === "https");
  }

  /**
   * Adds TLS at this position of the connection middleware (Kestrel's
   * `ListenOptions.UseHttps`): middleware added before sees encrypted bytes,
   * middleware added after sees decrypted ones. Sets `scheme` to `https`.
   *
   * - `useHttps()`: the server's `defaultCertificate`.
   * - `useHttps(pfxPath, password?, configure?)`: a PFX/PKCS#12 file (or combined PEM).
   * - `useHttps({ certPath, keyPath?, password? }, configure?)`: PEM files.
   * - `useHttps(certificate, configure?)`, `useHttps(configure)`.
   *
   * Any other form (more arguments, a `configure` that is not a function) throws a TypeError.
   *
   * The HTTPS defaults (`ServerOptions.configureHttpsDefaults`) run first, then
   * `configure`; without a certificate or selector the default certificate is used.
   *
   * @throws OptionsValidationError when no certificate can be found; CertificateError for unreadable files.
   * @example
   * options.listen("127.0.0.1", 5001, (lo) => lo.useHttps("certs/site.pfx", process.env.PFX_PASSWORD));
   */
  useHttps(): this;
  useHttps(pfxPath: string, password?: string, configure?: ConfigureHttpsOptions): this;
  useHttps(files: HttpsCertificateFiles, configure?: ConfigureHttpsOptions): this;
  useHttps(certificate: ServerCertificate, configure?: ConfigureHttpsOptions): this;
  useHttps(configure: ConfigureHttpsOptions): this;
  useHttps(...args: unknown[]): this {
    const [a, b] = args;
    let certificate: ServerCertificate | undefined;
    let configure: ConfigureHttpsOptions | undefined;
    const configureAt = (index: number) => {
      const value = args[index];
      if (value === undefined) return undefined;
      if (typeof value !== "function") throw new TypeError(`useHttps: argument ${index + 1} must be a function (options => ...), got ${typeof value}`);
      return value as ConfigureHttpsOptions;
    };
    const most = (n: number) => {
      if (args.length > n) throw new TypeError(`useHttps takes at most ${n} argument${n === 1 ? "" : "s"} in this form, got ${args.length}`);
    };
    if (a === undefined) {
      most(0);
      // defaults, then the default certificate
    } else if (typeof a === "function") {
      most(1);
      configure = a as ConfigureHttpsOptions;
    } else if (typeof a === "string") {
      most(3);
      if (a.length === 0) throw new OptionsValidationError("The certificate path must not be empty", "Path");
      if (b !== undefined && b !== null && typeof b !== "string") throw new TypeError(`useHttps: the password must be a string, got ${typeof b}`);
      configure = configureAt(2);
      certificate = loadCertificate({ path: this.#resolve(a), password: typeof b === "string" ? b : undefined });
    } else if (typeof a === "object" && a !== null && "certPath" in a) {
      most(2);
      const files = a as HttpsCertificateFiles;
      if (typeof files.certPath !== "string" || files.certPath.length === 0) throw new OptionsValidationError("certPath must not be empty", "Path");
      configure = configureAt(1);
      certificate = loadCertificate({ path: this.#resolve(files.certPath), keyPath: files.keyPath === undefined ? undefined : this.#resolve(files.keyPath), password: files.password });
    } else if (typeof a === "object" && a !== null && isCertificate(a)) {
      most(2);
      certificate = a as ServerCertificate;
      configure = configureAt(1);
    } else {
      throw new TypeError("useHttps expects a certificate, a certificate path, { certPath, keyPath }, or a configure function");
    }
    const options: HttpsConnectionAdapterOptions = {};
    this.serverOptions?.configurationHttpsDefaults?.(options);
    this.serverOptions?.httpsDefaults?.(options);
    if (certificate !== undefined) options.serverCertificate = certificate;
    configure?.(options);
    if (options.serverCertificate === undefined && options.serverCertificateSelector === undefined) {
      const fallback = this.serverOptions?.defaultCertificate ?? this.serverOptions?.developmentCertificate;
      if (fallback !== undefined) options.serverCertificate = fallback;
      // With an SNI map, entries may bring every certificate; the middleware checks that at start.
      else if (options.sni === undefined) {
        const notice = this.serverOptions?.developmentCertificateNotice;
        throw new OptionsValidationError(notice === undefined ? NO_CERTIFICATE : `${NO_CERTIFICATE} ${notice}`, "Certificate");
      }
    }
    this.#entries.push({ kind: "https", options });
    this.scheme = "https";
    return this;
  }

  /** A certificate path from code: relative ones against the content root (Kestrel), else as given. */
  #resolve(path: string): string {
    const root = this.serverOptions?.contentRoot;
    return root === undefined ? path : resolvePath(root, path);
  }

  /**
   * The connection middleware to run, in order, with the TLS middleware of
   * `useHttps` created now (it needs the server's logger and heartbeat).
   * Called by the server at start.
   */
  buildMiddleware(context: ConnectionMiddlewareContext): ConnectionMiddleware[] {
    return this.#entries.map((e) => {
      if (e.kind === "plain") return e.middleware;
      if (e.kind === "logging") return createConnectionLoggingMiddleware(context.createLogger(e.category));
      // ALPN from the endpoint's protocols; the protocol handler is then chosen from the result.
      const alpnProtocols = alpnProtocolsFor(this.protocols);
      const services = { logger: context.createLogger("X.Server.Https"), heartbeat: context.heartbeat, signal: context.signal };
      return createHttpsMiddleware({ ...e.options, alpnProtocols }, services);
    });
  }

  /** The URL this endpoint answers on, e.g. `http://127.0.0.1:5000` or `http://unix:/tmp/x.sock`. */
  toUrl(endPoint: EndPoint = this.endPoint): string {
    if (endPoint.kind === "unix") return `${this.scheme}://unix:${endPoint.path}`;
    if (this.isLocalhost) return `${this.scheme}://localhost:${endPoint.port}`;
    return `${this.scheme}://${formatEndPoint(endPoint)}`;
  }
}
