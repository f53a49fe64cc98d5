/**
 * Decides which endpoints to bind and binds them (Kestrel's `AddressBinder`):
 * endpoints from code win over hosting URLs unless `preferHostingUrls`;
 * with neither, `http://localhost:5000` (and `https://localhost:5001` when a
 * development certificate is available). `localhost` binds both loopbacks.
 *
 * @module
 */
import { type EndPoint, ipEndPoint, type Logger, OptionsValidationError, unixEndPoint } from "@x/abstractions";
import { AddressInUseError, AddressNotAvailableError } from "@x/transport-sockets";
import { type BindingAddress, parseBindingAddress } from "./binding-address.js";
import type { ServerCertificate } from "@x/https-sni";
import { type ConfigureHttpsOptions, ListenOptions } from "./listen-options.js";
import type { ServerOptions } from "./server-options.js";

/** Kestrel's default when nothing is configured. */
export const DEFAULT_URL = "http://localhost:5000";
/** Also bound by default when a development certificate is available, as Kestrel does. */
export const DEFAULT_HTTPS_URL = "https://localhost:5001";

/** Binds one endpoint; returns the actual endpoint (port 0 resolved) and how to unbind it. */
export type BindEndPoint = (endPoint: EndPoint, listenOptions: ListenOptions) => Promise<{ endPoint: EndPoint; unbind(): Promise<void> }>;

export interface BoundEndpoint {
  readonly listenOptions: ListenOptions;
  readonly url: string;
  readonly unbind: () => Promise<void>;
}

/** Which endpoints to bind, given the code endpoints and the hosting URLs. */
export function resolveListenOptions(options: ServerOptions, urls: readonly string[], preferHostingUrls: boolean, logger: Logger): ListenOptions[] {
  const code = options.listenOptions;
  if (code.length > 0 && urls.length > 0 && !preferHostingUrls) {
    logger.warn(`Overriding address(es) '${urls.join(", ")}'. Binding to endpoints defined in code (listen) or configuration instead.`);
    return code;
  }
  if (urls.length > 0) return urls.map((url) => listenOptionsFromUrl(options, parseBindingAddress(url), logger));
  if (code.length > 0) return code;
  const defaults = [listenOptionsFromUrl(options, parseBindingAddress(DEFAULT_URL), logger)];
  if (options.developmentCertificate !== undefined) defaults.push(listenOptionsFromUrl(options, parseBindingAddress(DEFAULT_HTTPS_URL), logger));
  return defaults;
}

/** An endpoint's own TLS settings (from `Kestrel:Endpoints:{Name}`), used for `https://` URLs. */
export interface UrlHttpsSettings {
  /** The endpoint's certificate; without it the server's default certificate is used. */
  readonly certificate?: ServerCertificate;
  /** Adjusts the endpoint's HTTPS options (SSL protocols, client certificate mode, ...). */
  readonly configure?: ConfigureHttpsOptions;
  /**
   * Asked after `beforeHttps`: true when the endpoint's HTTPS options bring a
   * certificate, selector or SNI map of their own, so no default is needed.
   */
  readonly providesCertificate?: () => boolean;
  /** Runs after the endpoint defaults and before TLS is added (configuration endpoint hooks). */
  readonly beforeHttps?: (listenOptions: ListenOptions) => void;
}

/** The {@link ListenOptions} for a parsed URL: localhost, any address, an IP or a Unix socket; `https` URLs get TLS from `httpsSettings` or the defaults. */
export function listenOptionsFromUrl(options: ServerOptions, address: BindingAddress, logger: Logger, httpsSettings?: UrlHttpsSettings): ListenOptions {
  let listenOptions: ListenOptions;
  switch (address.host.kind) {
    case "unix":
      listenOptions = new ListenOptions(unixEndPoint(address.host.path), false, options);
      break;
    case "localhost":
      if (address.port === 0) {
        throw new OptionsValidationError(
          `Dynamic port binding is not supported when binding to localhost (${address.url}). Bind to 127.0.0.1:0 or [::1]:0 instead.`,
          "urls",
        );
      }
      listenOptions = new ListenOptions(ipEndPoint("127.0.0.1", address.port), true, options);
      break;
    case "ip":
      listenOptions = new ListenOptions(ipEndPoint(address.host.address, address.port), false, options);
      break;
    case "any":
      if (address.isHostName) {
        logger.info(`Binding to ${address.url}: a host name other than localhost binds every address (dual-stack).`);
      }
      listenOptions = new ListenOptions(ipEndPoint("::", address.port), false, options);
      break;
  }
  const https = address.scheme === "https";
  const certificate = httpsSettings?.certificate;
  // Kestrel: endpoint defaults first, then UseHttps() with the default certificate (unless the defaults added TLS).
  options.applyConfiguration(listenOptions);
  httpsSettings?.beforeHttps?.(listenOptions);
  if (https && !listenOptions.isTls) {
    const fallback = options.defaultCertificate ?? options.developmentCertificate;
    if (certificate === undefined && httpsSettings?.providesCertificate?.() !== true && fallback === undefined) {
      throw new OptionsValidationError(
        `Unable to bind ${address.url}: HTTPS endpoints need a certificate, and no default certificate is configured. ` +
          "Set ServerOptions.defaultCertificate (Certificates:Default in configuration), listen in code with listenOptions.useHttps(certificate)" +
          (options.developmentCertificateNotice !== undefined
            ? `. ${options.developmentCertificateNotice}`
            : ", or, for development, create the development certificate with `npx x-dev-certs https`."),
        "urls",
      );
    }
    if (certificate !== undefined) listenOptions.useHttps(certificate, httpsSettings?.configure);
    else if (httpsSettings?.configure !== undefined) listenOptions.useHttps(httpsSettings.configure);
    else listenOptions.useHttps();
  }
  return listenOptions;
}

/** Binds every endpoint; on any failure unbinds what was bound and rethrows. */
export async function bindAll(listenOptions: readonly ListenOptions[], bind: BindEndPoint, logger: Logger): Promise<BoundEndpoint[]> {
  const bound: BoundEndpoint[] = [];
  for (const lo of listenOptions) {
    try {
      bound.push(...(await bindOne(lo, bind, logger)));
    } catch (error) {
      await Promise.allSettled(bound.map((b) => b.unbind()));
      throw namingEndpoint(error, lo);
    }
  }
  return bound;
}

/**
 * Marks a bind failure with the configuration endpoint it belongs to
 * (`error.endpointName`), so the host can name the key at fault.
 */
function namingEndpoint(error: unknown, lo: ListenOptions): unknown {
  if (lo.endpointName !== undefined && error instanceof Error && !("endpointName" in error)) {
    Object.defineProperty(error, "endpointName", { value: lo.endpointName, enumerable: true });
  }
  return error;
}

async function bindOne(lo: ListenOptions, bind: BindEndPoint, logger: Logger): Promise<BoundEndpoint[]> {
  const endPoint = lo.endPoint;
  if (lo.isLocalhost && endPoint.kind === "ip") return bindLocalhost(lo, endPoint.port, bind, logger);
  try {
    const l = await bind(endPoint, lo);
    return [{ listenOptions: lo, url: lo.toUrl(l.endPoint), unbind: () => l.unbind() }];
  } catch (error) {
    // ListenAnyIP: fall back to IPv4 any when IPv6 is disabled on the machine (Kestrel does the same).
    if (endPoint.kind === "ip" && endPoint.address === "::" && error instanceof AddressNotAvailableError) {
      logger.warn(`IPv6 is not available; binding ${lo.toUrl(ipEndPoint("0.0.0.0", endPoint.port))} instead of ${lo.toUrl()}`);
      const l = await bind(ipEndPoint("0.0.0.0", endPoint.port), lo);
      return [{ listenOptions: lo, url: lo.toUrl(l.endPoint), unbind: () => l.unbind() }];
    }
    throw rewrap(error, lo.toUrl());
  }
}

async function bindLocalhost(lo: ListenOptions, port: number, bind: BindEndPoint, logger: Logger): Promise<BoundEndpoint[]> {
  const url = lo.toUrl();
  let v4: Awaited<ReturnType<BindEndPoint>>;
  try {
    v4 = await bind(ipEndPoint("127.0.0.1", port), lo);
  } catch (error) {
    throw rewrap(error, url);
  }
  try {
    const v6 = await bind(ipEndPoint("::1", port), lo);
    return [{ listenOptions: lo, url, unbind: () => Promise.all([v4.unbind(), v6.unbind()]).then(() => {}) }];
  } catch (error) {
    if (error instanceof AddressNotAvailableError) {
      // Kestrel: a missing IPv6 loopback is a warning, not a failure.
      logger.warn(`Unable to bind to ${url} on the IPv6 loopback interface: ${(error as Error).message}`);
      return [{ listenOptions: lo, url, unbind: () => v4.unbind() }];
    }
    await v4.unbind();
    throw rewrap(error, url);
  }
}

function rewrap(error: unknown, url: string): unknown {
  if (error instanceof AddressInUseError) return new AddressInUseError(`Failed to bind to address ${url}: address already in use.`, { cause: error });
  if (error instanceof AddressNotAvailableError) return new AddressNotAvailableError(`Failed to bind to address ${url}: address not available.`, { cause: error });
  return error;
}
