/**
 * The `Kestrel` configuration section applied to `ServerOptions`, as
 * `createDefaultBuilder` does with `options.Configure(config.GetSection("Kestrel"))`:
 * `Limits` (with `Http2`), `Endpoints`, `EndpointDefaults`, and the
 * server-wide switches. Every conversion error names the key at fault.
 *
 * @module
 */
import { type Logger, minDataRate, type MinDataRate, OptionsValidationError, type ServerLimits } from "@x/abstractions";
import { type ListenOptions, listenOptionsFromUrl, parseBindingAddress, parseHttpProtocols, type ServerOptions } from "@x/server";
import type { HttpsConnectionAdapterOptions } from "@x/https-sni";
import { readCertificate, readClientCertificateMode, readSni, readSslProtocols } from "./certificate-configuration.js";
import { type Configuration, ConfigurationBindingError, type ConfigurationSection, getBoolean, getNumber, parseTimeSpan } from "./configuration/index.js";

/** JSON `null` arrives as "", which means "no limit" for the nullable limits. */
function nullableNumber(config: Configuration, key: string): number | null | undefined {
  const raw = config.get(key);
  if (raw === undefined) return undefined;
  if (raw.trim() === "" || raw.trim().toLowerCase() === "null") return null;
  return getNumber(config, key);
}

function timeSpan(config: Configuration, key: string, path: string): number | undefined {
  const raw = config.get(key);
  if (raw === undefined) return undefined;
  return parseTimeSpan(raw, path);
}

function dataRate(config: Configuration, key: string): MinDataRate | null | undefined {
  const section = config.getSection(key);
  if (!section.exists()) return undefined;
  if (section.value !== undefined && (section.value.trim() === "" || section.value.trim().toLowerCase() === "null")) return null;
  const bytesPerSecond = getNumber(section, "BytesPerSecond");
  const gracePeriod = timeSpan(section, "GracePeriod", `${section.path}:GracePeriod`);
  if (bytesPerSecond === undefined || gracePeriod === undefined) {
    throw new ConfigurationBindingError(section.path, section.value ?? "", "a data rate with both BytesPerSecond and GracePeriod");
  }
  return minDataRate(bytesPerSecond, gracePeriod);
}

function set<T>(value: T | undefined, apply: (v: T) => void): void {
  if (value !== undefined) apply(value);
}

/** Applies `Kestrel:Limits` onto `limits`. */
export function applyLimits(section: Configuration, limits: ServerLimits): void {
  const p = (k: string) => `Kestrel:Limits:${k}`;
  set(nullableNumber(section, "MaxConcurrentConnections"), (v) => (limits.maxConcurrentConnections = v));
  set(nullableNumber(section, "MaxConcurrentUpgradedConnections"), (v) => (limits.maxConcurrentUpgradedConnections = v));
  set(nullableNumber(section, "MaxRequestBodySize"), (v) => (limits.maxRequestBodySize = v));
  set(nullableNumber(section, "MaxRequestBufferSize"), (v) => (limits.maxRequestBufferSize = v));
  set(nullableNumber(section, "MaxResponseBufferSize"), (v) => (limits.maxResponseBufferSize = v));
  set(getNumber(section, "MaxRequestHeaderCount"), (v) => (limits.maxRequestHeaderCount = v));
  set(getNumber(section, "MaxRequestHeadersTotalSize"), (v) => (limits.maxRequestHeadersTotalSize = v));
  set(getNumber(section, "MaxRequestLineSize"), (v) => (limits.maxRequestLineSize = v));
  set(timeSpan(section, "KeepAliveTimeout", p("KeepAliveTimeout")), (v) => (limits.keepAliveTimeout = v));
  set(timeSpan(section, "RequestHeadersTimeout", p("RequestHeadersTimeout")), (v) => (limits.requestHeadersTimeout = v));
  set(dataRate(section, "MinRequestBodyDataRate"), (v) => (limits.minRequestBodyDataRate = v));
  set(dataRate(section, "MinResponseDataRate"), (v) => (limits.minResponseDataRate = v));
  const h2 = section.getSection("Http2");
  const h = limits.http2;
  set(getNumber(h2, "MaxStreamsPerConnection"), (v) => (h.maxStreamsPerConnection = v));
  set(getNumber(h2, "HeaderTableSize"), (v) => (h.headerTableSize = v));
  set(getNumber(h2, "MaxFrameSize"), (v) => (h.maxFrameSize = v));
  set(getNumber(h2, "MaxRequestHeaderFieldSize"), (v) => (h.maxRequestHeaderFieldSize = v));
  set(getNumber(h2, "InitialConnectionWindowSize"), (v) => (h.initialConnectionWindowSize = v));
  set(getNumber(h2, "InitialStreamWindowSize"), (v) => (h.initialStreamWindowSize = v));
  set(timeSpan(h2, "KeepAlivePingTimeout", p("Http2:KeepAlivePingTimeout")), (v) => (h.keepAlivePingTimeout = v));
  const delay = h2.get("KeepAlivePingDelay");
  if (delay !== undefined) h.keepAlivePingDelay = delay.trim() === "" ? null : parseTimeSpan(delay, p("Http2:KeepAlivePingDelay"));
}

/** Applies the whole `Kestrel` section's settings (not its endpoints) to `options`. */
export function applyKestrelSettings(kestrel: Configuration, options: ServerOptions, logger: Logger, contentRoot = process.cwd()): void {
  const defaultCertificate = readCertificate(kestrel.getSection("Certificates:Default"), contentRoot);
  if (defaultCertificate !== undefined) options.defaultCertificate = defaultCertificate;
  set(getBoolean(kestrel, "AddServerHeader"), (v) => (options.addServerHeader = v));
  set(getBoolean(kestrel, "DisableStringReuse"), (v) => (options.disableStringReuse = v));
  const allowSync = getBoolean(kestrel, "AllowSynchronousIO");
  if (allowSync !== undefined) {
    options.allowSynchronousIO = allowSync;
    logger.debug("Kestrel:AllowSynchronousIO is accepted for compatibility and has no effect in Node.js");
  }
  applyLimits(kestrel.getSection("Limits"), options.limits);
  applyEndpointDefaults(kestrel, options);
}

/**
 * `EndpointDefaults` (`Protocols`, `SslProtocols`, `ClientCertificateMode`)
 * for every endpoint, from code, URLs or configuration, applied before the
 * code's `configureEndpointDefaults` / `configureHttpsDefaults`, as Kestrel's
 * configuration loader does. Values are read and checked now, so an invalid
 * one fails the start naming its key.
 */
export function applyEndpointDefaults(section: Configuration, options: ServerOptions): void {
  const defaults = section.getSection("EndpointDefaults");
  const protocolsValue = defaults.get("Protocols");
  const protocols = protocolsValue === undefined ? undefined : parseHttpProtocols(protocolsValue, `${defaults.path}:Protocols`);
  const sslProtocols = readSslProtocols(defaults, "SslProtocols", `${defaults.path}:SslProtocols`);
  const mode = readClientCertificateMode(defaults, "ClientCertificateMode", `${defaults.path}:ClientCertificateMode`);
  options.configurationEndpointDefaults =
    protocols === undefined
      ? undefined
      : (listenOptions) => {
          listenOptions.protocols = protocols;
        };
  options.configurationHttpsDefaults =
    sslProtocols === undefined && mode === undefined
      ? undefined
      : (https) => {
          if (sslProtocols !== undefined) https.sslProtocols = sslProtocols;
          if (mode !== undefined) https.clientCertificateMode = mode;
        };
}

/** True for a configuration section, as `options.configure(section)` must receive. */
export function isConfiguration(value: unknown): value is Configuration {
  return typeof value === "object" && value !== null && typeof (value as Configuration).getSection === "function" && typeof (value as Configuration).get === "function";
}

/** Every `https` setting of one configuration endpoint, in the shape `useHttps` takes. */
/** The endpoint's own HTTPS settings; `EndpointDefaults` reach it through `options.configurationHttpsDefaults`. */
function readHttpsOptions(endpoint: ConfigurationSection, contentRoot: string): HttpsConnectionAdapterOptions {
  const https: HttpsConnectionAdapterOptions = {};
  const certificate = readCertificate(endpoint.getSection("Certificate"), contentRoot);
  if (certificate !== undefined) https.serverCertificate = certificate;
  const sslProtocols = readSslProtocols(endpoint, "SslProtocols", `${endpoint.path}:SslProtocols`);
  if (sslProtocols !== undefined) https.sslProtocols = sslProtocols;
  const mode = readClientCertificateMode(endpoint, "ClientCertificateMode", `${endpoint.path}:ClientCertificateMode`);
  if (mode !== undefined) https.clientCertificateMode = mode;
  const sni = readSni(endpoint.getSection("Sni"), contentRoot);
  if (sni !== undefined) https.sni = sni;
  return https;
}

/** Copies the settings that are set, so the HTTPS defaults from code stay for the rest. */
function assignDefined(target: HttpsConnectionAdapterOptions, source: HttpsConnectionAdapterOptions): void {
  for (const [key, value] of Object.entries(source)) {
    if (value !== undefined) (target as Record<string, unknown>)[key] = value;
  }
}

/** One endpoint created from configuration, with what it was made from. */
export interface ConfigurationEndpoint {
  /** The endpoint's name as written in configuration. */
  readonly name: string;
  /**
   * Everything the endpoint was built from (its section, `EndpointDefaults`,
   * and `Certificates:Default` when it relies on it): equal fingerprints mean
   * a reload can keep the endpoint bound as it is.
   */
  readonly fingerprint: string;
  readonly listenOptions: ListenOptions;
}

/** The values of a section, keys lower-cased (configuration keys ignore case). */
function snapshot(section: Configuration): Array<[string, string]> {
  return section.asEntries().map(([key, value]) => [key.toLowerCase(), value]);
}

function fingerprintOf(kestrel: Configuration, endpoint: ConfigurationSection): string {
  const parts: unknown[] = [snapshot(endpoint), snapshot(kestrel.getSection("EndpointDefaults"))];
  const usesDefaultCertificate =
    /^\s*https:/i.test(endpoint.get("Url") ?? "") && !endpoint.getSection("Certificate").exists() && !endpoint.getSection("Sni").exists();
  if (usesDefaultCertificate) parts.push(snapshot(kestrel.getSection("Certificates:Default")));
  return JSON.stringify(parts);
}

/**
 * Creates the endpoints of `Kestrel:Endpoints` (or of the section given to
 * `options.configure(section)`). Called after the app's configureKestrel
 * callbacks, so endpoint defaults set in code apply, as in Kestrel. For each
 * endpoint, in Kestrel's order: endpoint defaults, `Protocols`, the HTTPS
 * settings from configuration, the code hook registered with
 * `options.configure().endpoint(name, ...)`, then TLS.
 */
export function loadEndpoints(kestrel: Configuration, options: ServerOptions, logger: Logger, contentRoot = process.cwd()): ListenOptions[] {
  return loadConfigurationEndpoints(kestrel, options, logger, contentRoot).map((e) => e.listenOptions);
}

/**
 * As {@link loadEndpoints}, keeping what each endpoint was made from. With
 * `previous` (a reload), an endpoint whose name and fingerprint are unchanged
 * is returned as it was, so the server keeps it bound; only the others are
 * created anew (and their code hooks run again).
 */
export function loadConfigurationEndpoints(
  kestrel: Configuration,
  options: ServerOptions,
  logger: Logger,
  contentRoot = process.cwd(),
  previous?: ReadonlyMap<string, ConfigurationEndpoint>,
): ConfigurationEndpoint[] {
  const loader = options.configurationLoader;
  const endpoints: ConfigurationEndpoint[] = [];
  const seen = new Set<string>();
  for (const endpoint of kestrel.getSection("Endpoints").getChildren()) {
    seen.add(endpoint.key.toLowerCase());
    const fingerprint = fingerprintOf(kestrel, endpoint);
    const unchanged = previous?.get(endpoint.key.toLowerCase());
    if (unchanged !== undefined && unchanged.fingerprint === fingerprint) {
      endpoints.push(unchanged);
      continue;
    }
    endpoints.push({ name: endpoint.key, fingerprint, listenOptions: createEndpoint(endpoint, options, logger, contentRoot) });
  }
  if (previous === undefined) {
    for (const name of loader?.names ?? []) {
      if (!seen.has(name.toLowerCase())) logger.warn(`options.configure().endpoint("${name}") matches no endpoint in ${kestrel.getSection("Endpoints").path}`);
    }
  }
  return endpoints;
}

function createEndpoint(endpoint: ConfigurationSection, options: ServerOptions, logger: Logger, contentRoot: string): ListenOptions {
  const url = endpoint.get("Url");
  if (url === undefined || url.trim() === "") {
    throw new OptionsValidationError(`The endpoint '${endpoint.key}' is missing the required 'Url' (${endpoint.path}:Url)`, `${endpoint.path}:Url`);
  }
  // The endpoint's own Protocols win over EndpointDefaults (applied with the other defaults first).
  const protocolsValue = endpoint.get("Protocols");
  const protocols = protocolsValue === undefined ? undefined : parseHttpProtocols(protocolsValue, `${endpoint.path}:Protocols`);
  const https = readHttpsOptions(endpoint, contentRoot);
  const hook = options.configurationLoader?.hookFor(endpoint.key);
  let address: ReturnType<typeof parseBindingAddress>;
  try {
    address = parseBindingAddress(url);
  } catch (error) {
    throw new OptionsValidationError(`${endpoint.path}:Url: ${(error as Error).message}`, `${endpoint.path}:Url`, error);
  }
  const isHttps = address.scheme === "https";
  if (!isHttps && (https.serverCertificate !== undefined || https.sni !== undefined)) {
    logger.warn(`The HTTPS settings of ${endpoint.path} (Certificate, Sni) are ignored: the endpoint's Url is not https`);
  }
  try {
    return listenOptionsFromUrl(options, address, logger, {
      certificate: https.serverCertificate,
      providesCertificate: () => https.serverCertificate !== undefined || https.serverCertificateSelector !== undefined || https.sni !== undefined,
      configure: (target) => assignDefined(target, https),
      beforeHttps: (listenOptions) => {
        listenOptions.endpointName = endpoint.key;
        if (protocols !== undefined) listenOptions.protocols = protocols;
        hook?.(listenOptions, { name: endpoint.key, isHttps, httpsOptions: https, configSection: endpoint });
      },
    });
  } catch (error) {
    // Name the endpoint's key: its Url, or the setting the error names (Certificate, ...).
    const inner = error instanceof OptionsValidationError && error.key !== undefined && error.key !== "urls" ? error.key : "Url";
    throw new OptionsValidationError(`${endpoint.path}: ${(error as Error).message}`, `${endpoint.path}:${inner}`, error);
  }
}
