/**
 * ASP.NET Core's IIS integration, out-of-process (`UseIISIntegration`: its
 * `IISSetupFilter` and `IISMiddleware`): the app side of the ASP.NET Core
 * Module. The front process (`x-ancm`) starts the app with
 * `ASPNETCORE_PORT`, `ASPNETCORE_TOKEN` and `ASPNETCORE_APPL_PATH` and
 * proxies requests to `http://127.0.0.1:{PORT}` over HTTP/1.1, adding the
 * pairing token (`MS-ASPNETCORE-TOKEN`), the client certificate
 * (`MS-ASPNETCORE-CLIENTCERT`) and `X-Forwarded-For`/`-Proto`. It asks the app
 * to stop with `POST {APPL_PATH}/iisintegration` and `MS-ASPNETCORE-EVENT: shutdown`.
 *
 * `createDefaultBuilder().configureWebHostDefaults(...)` turns it on when
 * `PORT` is set in the host configuration (`ASPNETCORE_PORT` in the environment).
 *
 * @module
 */
import { timingSafeEqual, X509Certificate } from "node:crypto";
import { type HttpContext, type Logger, type Middleware, nullLogger, OptionsValidationError } from "@x/abstractions";
import { ForwardedHeaders, ForwardedHeadersMiddleware } from "@x/forwarded-headers";
import { TlsConnectionFeature } from "@x/https-sni";
import type { Configuration } from "./configuration/index.js";

/** The request headers the front adds, shared with `x-ancm`. */
export const IIS_HEADERS = {
  /** The pairing token (`ASPNETCORE_TOKEN`), on every proxied request. */
  token: "MS-ASPNETCORE-TOKEN",
  /** `shutdown` on `POST {APPL_PATH}/iisintegration` asks the app to stop. */
  event: "MS-ASPNETCORE-EVENT",
  /** The client's TLS certificate, base64 DER. */
  clientCert: "MS-ASPNETCORE-CLIENTCERT",
} as const;

/** The last segment of the shutdown request's path: `POST {APPL_PATH}/iisintegration`. */
export const IIS_SHUTDOWN_PATH = "iisintegration";

/** The `MS-ASPNETCORE-EVENT` value that asks the app to stop (compared ignoring case). */
export const IIS_SHUTDOWN_EVENT = "shutdown";

/** The environment variables the front sets (read through the host configuration, `ASPNETCORE_` stripped). */
export const IisIntegrationKeys = {
  port: "PORT",
  token: "TOKEN",
  applicationPath: "APPL_PATH",
} as const;

/** The IIS integration settings ANCM passes to the app (`ASPNETCORE_PORT`, `_TOKEN`, `_APPL_PATH`, ...). */
export interface IisIntegrationSettings {
  /** `ASPNETCORE_PORT`: the app listens on `127.0.0.1` at this port only. */
  readonly port: number;
  /** `http://127.0.0.1:{port}`. */
  readonly url: string;
  /** `ASPNETCORE_TOKEN`, or undefined when the front sets none (then no request is checked). */
  readonly token: string | undefined;
  /** `ASPNETCORE_APPL_PATH` normalised: `""` for `/`, else `/app` (leading slash, no trailing slash). */
  readonly pathBase: string;
}

function setting(configuration: Configuration, key: string): string | undefined {
  const value = configuration.get(key);
  return value !== undefined && value !== "" ? value : undefined;
}

/** `/`, `""` → `""`; `app/` → `/app`. */
export function normalizeApplicationPath(path: string | undefined): string {
  let p = (path ?? "").trim();
  while (p.endsWith("/")) p = p.slice(0, -1);
  if (p === "") return "";
  return p.startsWith("/") ? p : `/${p}`;
}

/**
 * The IIS integration settings, or null when `PORT` is not set. The host
 * reads them from the web host's settings, as ASP.NET Core's
 * `GetSetting("PORT") ?? Environment.GetEnvironmentVariable("ASPNETCORE_PORT")`:
 * the `ASPNETCORE_`-prefixed environment variables (prefix stripped), then
 * `useSetting` from code. Not the command line or `appsettings.json`, so a
 * `--port` argument meant for the app does not turn the integration on.
 *
 * @throws OptionsValidationError (key `ASPNETCORE_PORT`) when the port is not a whole number from 1 to 65535.
 */
export function readIisIntegrationSettings(configuration: Configuration): IisIntegrationSettings | null {
  const raw = setting(configuration, IisIntegrationKeys.port);
  if (raw === undefined) return null;
  const text = raw.trim();
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 1 && port <= 65_535)) {
    throw new OptionsValidationError(`ASPNETCORE_PORT '${raw}' is not a port number from 1 to 65535`, "ASPNETCORE_PORT");
  }
  return Object.freeze({
    port,
    url: `http://127.0.0.1:${port}`,
    token: setting(configuration, IisIntegrationKeys.token),
    pathBase: normalizeApplicationPath(setting(configuration, IisIntegrationKeys.applicationPath)),
  });
}

/** Options of {@link IisMiddleware}. */
export interface IisMiddlewareOptions {
  /** Called after the 202 of an authenticated shutdown event (the host's `lifetime.stopApplication`). */
  readonly stopApplication: () => void;
  /** `X.Hosting.IisIntegration`. */
  readonly logger?: Logger;
  /** The forwarded headers' logger (`X.ForwardedHeaders`). */
  readonly forwardedHeadersLogger?: Logger;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function utf8(text: string): Buffer {
  return Buffer.from(text, "utf8");
}

/** True when `path` is `base` or starts with `base/` (ignoring case). */
function startsWithSegments(path: string, base: string): boolean {
  if (path.length < base.length) return false;
  if (path.length > base.length && path.charCodeAt(base.length) !== 0x2f) return false;
  return path.slice(0, base.length).toLowerCase() === base.toLowerCase();
}

/**
 * What the IIS integration puts first in the pipeline, in order: the pairing
 * token check (400 on a mismatch), the shutdown event (202, then the host
 * stops), the path base from `APPL_PATH`, the client certificate from
 * `MS-ASPNETCORE-CLIENTCERT`, then `X-Forwarded-For` and `X-Forwarded-Proto`
 * from the front on loopback.
 */
export class IisMiddleware {
  /** The IIS integration settings it enforces. */
  readonly settings: IisIntegrationSettings;
  readonly #expectedToken: Buffer | undefined;
  readonly #shutdownPath: string;
  readonly #stopApplication: () => void;
  readonly #logger: Logger;
  readonly #forwarded: ForwardedHeadersMiddleware;

  /** Enforces `settings` (pairing token, path base, shutdown event); `options.stopApplication` is called on an authenticated shutdown event. */
  constructor(settings: IisIntegrationSettings, options: IisMiddlewareOptions) {
    this.settings = settings;
    this.#expectedToken = settings.token === undefined ? undefined : utf8(settings.token);
    this.#shutdownPath = `${settings.pathBase}/${IIS_SHUTDOWN_PATH}`.toLowerCase();
    this.#stopApplication = options.stopApplication;
    this.#logger = options.logger ?? nullLogger;
    // The front is on loopback: trust it, and only it, for the client's address and scheme.
    this.#forwarded = new ForwardedHeadersMiddleware(
      { forwardedHeaders: ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto, knownProxies: ["127.0.0.1", "::1"] },
      options.forwardedHeadersLogger ?? nullLogger,
    );
  }

  /** The middleware for `app.use(...)`. */
  // Not async: every request behind the front passes here, and the common path adds no promise of its own.
  readonly invoke: Middleware = (context, next) => {
    const request = context.request;
    if (this.#expectedToken !== undefined && !this.#tokenMatches(request.headers.get(IIS_HEADERS.token))) {
      this.#logger.error({ path: request.path }, `'${IIS_HEADERS.token}' does not match the expected pairing token; request rejected`);
      context.response.statusCode = 400;
      return context.response.end();
    }
    if (request.method === "POST" && this.#isShutdownEvent(context)) {
      if (this.#expectedToken !== undefined) {
        this.#logger.info("Shutdown requested by the front (MS-ASPNETCORE-EVENT: shutdown)");
        context.response.statusCode = 202;
        return context.response.end().then(() => this.#stopApplication());
      }
      // Without a pairing token nothing proves the event comes from the front: the app gets the request.
      this.#logger.debug("Ignoring the shutdown event: no pairing token (ASPNETCORE_TOKEN) is configured to authenticate it");
    }
    this.#applyPathBase(context);
    if (request.headers.has(IIS_HEADERS.clientCert)) this.#applyClientCertificate(context);
    this.#forwarded.applyForwarders(context);
    return next(context);
  };

  #tokenMatches(received: string | undefined): boolean {
    if (received === undefined) return false;
    const actual = utf8(received);
    // The token's length is no secret (the front makes 32 hex digits); its content is compared in constant time.
    return actual.length === this.#expectedToken!.length && timingSafeEqual(actual, this.#expectedToken!);
  }

  #isShutdownEvent(context: HttpContext): boolean {
    const request = context.request;
    if (request.method !== "POST") return false;
    if (request.path.toLowerCase() !== this.#shutdownPath) return false;
    return (request.headers.get(IIS_HEADERS.event) ?? "").trim().toLowerCase() === IIS_SHUTDOWN_EVENT;
  }

  /** ASP.NET Core's `UsePathBase(APPL_PATH)`: the matched prefix (as the request spelled it) moves to `pathBase`. */
  #applyPathBase(context: HttpContext): void {
    const base = this.settings.pathBase;
    if (base === "") return;
    const request = context.request;
    if (!startsWithSegments(request.path, base)) return;
    request.pathBase += request.path.slice(0, base.length);
    // The path keeps starting with "/" (HttpRequest's contract): `/app` and `/app/` both give "/".
    request.path = request.path.length === base.length ? "/" : request.path.slice(base.length);
  }

  /** `MS-ASPNETCORE-CLIENTCERT` (base64 DER) becomes the request's `TlsConnectionFeature`; the header is removed. */
  #applyClientCertificate(context: HttpContext): void {
    const headers = context.request.headers;
    const value = headers.get(IIS_HEADERS.clientCert);
    if (value === undefined) return;
    headers.delete(IIS_HEADERS.clientCert);
    const text = value.replace(/\s+/g, "");
    let certificate: X509Certificate;
    try {
      if (text.length === 0 || text.length % 4 !== 0 || !BASE64.test(text)) throw new Error("not base64");
      certificate = new X509Certificate(Buffer.from(text, "base64"));
    } catch (error) {
      if (this.#logger.isLevelEnabled("debug")) {
        this.#logger.debug({ err: error }, `Ignoring the '${IIS_HEADERS.clientCert}' header: it is not a base64 DER certificate`);
      }
      return;
    }
    context.features.set(TlsConnectionFeature, {
      clientCertificate: certificate,
      getClientCertificate: () => Promise.resolve(certificate),
    });
  }
}
