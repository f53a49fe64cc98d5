/**
 * The server's options (Kestrel's `KestrelServerOptions`): limits, the
 * endpoints configured in code, and endpoint defaults.
 *
 * @module
 */
import { AccessLog, type EndPoint, ipEndPoint, OptionsValidationError, ServerLimits, unixEndPoint } from "@x/abstractions";
import { isIP } from "node:net";
import type { ServerCertificate } from "@x/https-sni";
import { EndpointConfigurationLoader } from "./endpoint-configuration.js";
import { type ConfigureHttpsOptions, ListenOptions } from "./listen-options.js";

/** Configures one endpoint's {@link ListenOptions}. */
export type ConfigureListenOptions = (listenOptions: ListenOptions) => void;

function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new OptionsValidationError(`Invalid port ${port}: it must be an integer from 0 to 65535`, "Port");
  }
}

/**
 * @example
 * options.limits.maxRequestBodySize = 10 * 1024;
 * options.listen("127.0.0.1", 5000);
 * options.listenLocalhost(5001, (listen) => listen.use(myConnectionMiddleware));
 */
export class ServerOptions {
  /** Server-wide limits (Kestrel's `Limits`). */
  readonly limits = new ServerLimits();
  /** Whether responses carry a `Server` header (Kestrel's AddServerHeader, default true). */
  addServerHeader = true;
  /** Accepted for ASP.NET Core compatibility; Node has no synchronous socket I/O to allow. */
  allowSynchronousIO = false;
  /**
   * Kestrel's DisableStringReuse: by default the strings of a request line or
   * header line whose bytes repeat the previous request's on the same
   * connection are reused; set true to parse every request afresh.
   */
  disableStringReuse = false;
  /**
   * The access log: set `accessLog.sink` for one entry per request, including
   * the requests the server rejects itself (400, 408, 413, 414, 431). Off
   * (no sink) by default; the sink may be set or cleared while running.
   */
  readonly accessLog = new AccessLog();
  /** Endpoints configured in code, in order. */
  readonly listenOptions: ListenOptions[] = [];
  /**
   * Where relative certificate paths given in code (`useHttps("certs/site.pfx")`,
   * `{ certPath, keyPath }`) resolve: the host's content root, as Kestrel's
   * `UseHttps(fileName)` combines it with `IHostEnvironment.ContentRootPath`.
   * Unset (a bare `Server`), they resolve against the working directory.
   */
  contentRoot: string | undefined = undefined;
  /**
   * The certificate `useHttps()` and `https://` URLs use when none is given
   * (Kestrel's default certificate; hosting fills it from `Certificates:Default`).
   */
  defaultCertificate: ServerCertificate | undefined;
  /**
   * The development certificate (`x-dev-certs https`), used when there is no
   * `defaultCertificate`. The host sets it in the Development environment;
   * with it and no endpoint configured, `https://localhost:5001` is bound too.
   */
  developmentCertificate: ServerCertificate | undefined;
  /**
   * Why the development certificate is not used although it exists: the
   * host sets this outside Development. An HTTPS endpoint left without a
   * certificate then says this, instead of telling the user to create the
   * certificate they already have.
   */
  developmentCertificateNotice: string | undefined;
  #configurationLoader: EndpointConfigurationLoader | undefined;
  #endpointDefaults: ConfigureListenOptions | undefined;
  #httpsDefaults: ConfigureHttpsOptions | undefined;

  /**
   * Where configuration endpoints come from, and code hooks for them by name
   * (Kestrel's `Configure(IConfiguration)`). Without an argument the host's
   * `Kestrel` section is kept; a section replaces it. Each call returns a new
   * loader, and the last one is used. `reloadOnChange` (default: true for
   * the host's own section, false for one given here) makes the host rebind
   * the endpoints whose settings change while it runs.
   *
   * @example
   * options.configure(config.getSection("Kestrel")).endpoint("Admin", (lo) => lo.use(allowOnlyLoopback));
   */
  configure(configuration?: unknown, reloadOnChange?: boolean): EndpointConfigurationLoader {
    this.#configurationLoader = new EndpointConfigurationLoader(configuration, reloadOnChange);
    return this.#configurationLoader;
  }

  /** The loader of the last `configure` call, if any. */
  get configurationLoader(): EndpointConfigurationLoader | undefined {
    return this.#configurationLoader;
  }

  /**
   * Endpoint defaults from configuration (`Kestrel:EndpointDefaults`), set by
   * the host. They apply to every endpoint (code, URLs and configuration)
   * before the code's `configureEndpointDefaults`, as in Kestrel.
   */
  configurationEndpointDefaults: ConfigureListenOptions | undefined;
  /**
   * HTTPS defaults from configuration (`Kestrel:EndpointDefaults`'s
   * `SslProtocols` and `ClientCertificateMode`), set by the host; applied
   * before `configureHttpsDefaults`.
   */
  configurationHttpsDefaults: ConfigureHttpsOptions | undefined;

  /** Runs for every endpoint created after this call; the last call wins (Kestrel's ConfigureEndpointDefaults). */
  configureEndpointDefaults(configure: ConfigureListenOptions): this {
    this.#endpointDefaults = configure;
    return this;
  }

  /** The callback set by {@link ServerOptions.configureEndpointDefaults}, if any. */
  get endpointDefaults(): ConfigureListenOptions | undefined {
    return this.#endpointDefaults;
  }

  /**
   * Runs for the HTTPS options of every `useHttps` called after this call,
   * before that call's own configuration; the last call wins (Kestrel's ConfigureHttpsDefaults).
   */
  configureHttpsDefaults(configure: ConfigureHttpsOptions): this {
    if (typeof configure !== "function") throw new TypeError("configure must be a function");
    this.#httpsDefaults = configure;
    return this;
  }

  /** The callback set by {@link ServerOptions.configureHttpsDefaults}, if any. */
  get httpsDefaults(): ConfigureHttpsOptions | undefined {
    return this.#httpsDefaults;
  }

  /** Listens on an IP address (`127.0.0.1`, `::1`, `0.0.0.0`, `::`) and port, or on an endpoint. */
  listen(address: string, port: number, configure?: ConfigureListenOptions): this;
  listen(endPoint: EndPoint, configure?: ConfigureListenOptions): this;
  listen(a: string | EndPoint, b?: number | ConfigureListenOptions, c?: ConfigureListenOptions): this {
    if (typeof a === "string") {
      if (a.toLowerCase() === "localhost") return this.listenLocalhost(b as number, c);
      if (isIP(a) === 0) throw new OptionsValidationError(`'${a}' is not an IP address; use listenLocalhost or listenAnyIP for names`, "Address");
      checkPort(b as number);
      return this.#add(new ListenOptions(ipEndPoint(a, b as number), false, this), c);
    }
    if (a.kind === "ip") checkPort(a.port);
    return this.#add(new ListenOptions(a, false, this), b as ConfigureListenOptions | undefined);
  }

  /** Listens on every IPv4 and IPv6 address (dual-stack `::`). */
  listenAnyIP(port: number, configure?: ConfigureListenOptions): this {
    checkPort(port);
    return this.#add(new ListenOptions(ipEndPoint("::", port), false, this), configure);
  }

  /** Listens on 127.0.0.1 and ::1. Port 0 is refused, as Kestrel does: the two would differ. */
  listenLocalhost(port: number, configure?: ConfigureListenOptions): this {
    checkPort(port);
    if (port === 0) {
      throw new OptionsValidationError("Dynamic port binding is not supported when binding to localhost. Bind to 127.0.0.1:0 or [::1]:0 instead.", "Port");
    }
    return this.#add(new ListenOptions(ipEndPoint("127.0.0.1", port), true, this), configure);
  }

  /** Listens on a Unix domain socket. */
  listenUnixSocket(path: string, configure?: ConfigureListenOptions): this {
    if (typeof path !== "string" || path.length === 0) throw new OptionsValidationError("The Unix socket path must not be empty", "Path");
    return this.#add(new ListenOptions(unixEndPoint(path), false, this), configure);
  }

  /** Applies endpoint defaults (from configuration, then from code), then the endpoint's own configuration. */
  applyConfiguration(listenOptions: ListenOptions, configure?: ConfigureListenOptions): ListenOptions {
    this.configurationEndpointDefaults?.(listenOptions);
    this.#endpointDefaults?.(listenOptions);
    configure?.(listenOptions);
    return listenOptions;
  }

  #add(listenOptions: ListenOptions, configure?: ConfigureListenOptions): this {
    this.listenOptions.push(this.applyConfiguration(listenOptions, configure));
    return this;
  }
}
