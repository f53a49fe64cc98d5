/**
 * The built host (.NET's `IHost`): starts the server with the application
 * pipeline, logs the bound addresses, stops gracefully on SIGINT/SIGTERM or
 * `stopApplication()`, and raises the lifetime events in order.
 *
 * @module
 */
import { ApplicationBuilder, type FeatureCollection, type Logger, type LoggerFactory, OptionsValidationError, type RequestDelegate, SERVER_FEATURES_KEY, ServerAddressesFeature } from "@x/abstractions";
import { ForwardedHeadersMiddleware } from "@x/forwarded-headers";
import { HostFilteringMiddleware } from "@x/host-filtering";
import { findDevelopmentCertificate } from "@x/https-sni";
import { Server, ServerOptions, splitUrls } from "@x/server";
import { ACCESS_LOG_CATEGORY, accessLogSink, applyAccessLogConfiguration } from "./access-log-configuration.js";
import { ApplicationLifetime } from "./application-lifetime.js";
import { EndpointReloader } from "./endpoint-reloader.js";
import { type Configuration, type ConfigurationRoot, getBoolean, getNumber } from "./configuration/index.js";
import type { HostEnvironment } from "./host-environment.js";
import { readCertificate } from "./certificate-configuration.js";
import { optionsWithContext } from "./kestrel-callback-argument.js";
import { applyEndpointDefaults, applyKestrelSettings, type ConfigurationEndpoint, isConfiguration, loadConfigurationEndpoints } from "./kestrel-configuration.js";
import { PinoLoggerFactory, type PinoLoggerFactoryOptions, readLogLevelRules } from "./logging/pino-logger-factory.js";
import { type IisIntegrationSettings, IisMiddleware, readIisIntegrationSettings } from "./iis-integration.js";
import { forwardedHeadersOptionsFrom, hostFilteringOptionsFrom } from "./web-defaults.js";
import { type WebHostBuilder, type WebHostBuilderContext, WebHostDefaults } from "./web-host-builder.js";

/** What an {@link AppHost} is built from (see `HostBuilder.build()`). */
export interface AppHostInit {
  configuration: ConfigurationRoot;
  hostConfiguration: ConfigurationRoot;
  /**
   * The web host's own settings (ASP.NET Core's `GenericWebHostBuilder`
   * configuration): `ASPNETCORE_`-prefixed environment variables, then
   * `useSetting` from code. The IIS integration reads `PORT`, `TOKEN` and
   * `APPL_PATH` there. Default: the host configuration.
   */
  webSettings?: Configuration;
  environment: HostEnvironment;
  web: WebHostBuilder | null;
  loggerFactory?: LoggerFactory;
  logging?: PinoLoggerFactoryOptions;
}

/** ASP.NET Core's default HostOptions.ShutdownTimeout. */
/** After a signal-triggered shutdown, how long pending app work may keep the process alive. */
const SIGNAL_EXIT_GRACE_MS = 2_000;
const DEFAULT_SHUTDOWN_TIMEOUT_S = 30;
const SIGNALS = ["SIGINT", "SIGTERM"] as const;

/** A built host (ASP.NET Core's `IHost`): configuration, environment, logging and lifetime, and, for web hosts, the `@x/server` it starts and stops. */
export class AppHost {
  /** The app configuration (host configuration, then the app's sources). */
  readonly configuration: ConfigurationRoot;
  /** The environment name, application name and content root. */
  readonly environment: HostEnvironment;
  /** The started, stopping and stopped events, and `stopApplication()`. */
  readonly lifetime = new ApplicationLifetime();
  /** Creates the loggers of the host, the server and the app. */
  readonly loggerFactory: LoggerFactory;
  readonly #hostConfiguration: ConfigurationRoot;
  readonly #webSettings: Configuration;
  readonly #web: WebHostBuilder | null;
  #server: Server | null = null;
  /** What runs on configuration changes while started (endpoint rebind, access log, host filtering). */
  readonly #onConfigurationChange: Array<() => void> = [];
  #unsubscribe: (() => void) | null = null;
  #endpointReloader: EndpointReloader | null = null;
  /** Set when the IIS integration is on (`ASPNETCORE_PORT` with web defaults). */
  #iis: IisIntegrationSettings | null = null;
  #state: "created" | "starting" | "started" | "stopping" | "stopped" = "created";
  #stopping: Promise<void> | null = null;

  /** Made by `HostBuilder.build()`; apps rarely call it. */
  constructor(init: AppHostInit) {
    this.configuration = init.configuration;
    this.#hostConfiguration = init.hostConfiguration;
    this.#webSettings = init.webSettings ?? init.hostConfiguration;
    this.environment = init.environment;
    this.#web = init.web;
    if (init.loggerFactory) {
      this.loggerFactory = init.loggerFactory;
    } else {
      const factory = new PinoLoggerFactory(readLogLevelRules(init.configuration), init.logging);
      init.configuration.onChange(() => {
        try {
          factory.updateRules(readLogLevelRules(init.configuration));
        } catch (error) {
          factory.createLogger("X.Hosting").warn({ err: error }, "Ignoring invalid Logging:LogLevel configuration");
        }
      });
      this.loggerFactory = factory;
    }
    this.lifetime.logger = this.loggerFactory.createLogger("X.Hosting.Lifetime");
  }

  /** The running server (after `start`). */
  get server(): Server | null {
    return this.#server;
  }

  /** Starts the server; rejects (after logging) when it cannot bind or is misconfigured. */
  start(): Promise<void> {
    if (this.#state !== "created") return Promise.reject(new Error("The host has already been started"));
    this.#state = "starting";
    this.#starting = this.#start();
    return this.#starting;
  }

  #starting: Promise<void> | null = null;

  /**
   * For in-process hosting (`@x/ancm-proxy`, ASP.NET Core's IIS in-process
   * model): builds the app's pipeline and starts the host without a server
   * of its own: the front's server calls the returned delegate. Lifetime
   * events and configuration reloads work as with `start()`; `stop()` raises
   * stopping and stopped.
   */
  async createApplication(): Promise<RequestDelegate> {
    if (this.#state !== "created") throw new Error("The host has already been started");
    if (this.#web === null) throw new Error("The host has no web application: use configureWebHostDefaults or configureWebHost");
    this.#state = "starting";
    let application!: RequestDelegate;
    this.#starting = this.#start(() => {
      application = this.#buildApplication();
      return Promise.resolve();
    });
    await this.#starting;
    return application;
  }

  async #start(withoutServer?: () => Promise<void>): Promise<void> {
    const logger = this.loggerFactory.createLogger("X.Hosting.Lifetime");
    try {
      // Read now so an invalid ShutdownTimeoutSeconds fails the start, naming its key, rather than the stop.
      void this.shutdownTimeoutMs;
      if (withoutServer !== undefined) {
        await withoutServer();
        logger.info("Running in-process: requests come from the front's server");
      } else if (this.#web !== null) {
        const { server, endpoints, endpointsSection } = this.#createServer();
        this.#server = server;
        await server.start(this.#buildApplication(server.features));
        for (const url of server.addresses) logger.info(`Now listening on: ${url}`);
        // Behind the front, the endpoint is fixed: Kestrel:Endpoints changes are not followed.
        if (this.#iis === null) this.#watchEndpoints(server, endpoints, endpointsSection);
      }
    } catch (error) {
      const key = this.#keyOf(error);
      this.loggerFactory
        .createLogger("X.Hosting")
        .fatal({ err: error, key }, `Unable to start the host: ${(error as Error).message}${key && this.environment.isDevelopment() ? ` (check the configuration key '${key}')` : ""}`);
      this.#state = "stopped";
      this.configuration.dispose();
      throw error;
    }
    this.#unsubscribe = this.configuration.onChange(() => {
      for (const onChange of this.#onConfigurationChange) onChange();
    });
    this.#state = "started";
    logger.info("Application started. Press Ctrl+C to shut down.");
    logger.info(`Hosting environment: ${this.environment.environmentName}`);
    logger.info(`Content root path: ${this.environment.contentRootPath}`);
    await this.lifetime.notifyStarted();
  }

  /** Stops gracefully: in-flight requests get up to the shutdown timeout (30 s by default). */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  /**
   * Starts, waits for SIGINT, SIGTERM or `stopApplication()`, then stops.
   * When the host cannot start (an address in use, a bad certificate, an
   * invalid setting), the cause is logged, `process.exitCode` is set to 1
   * and the error is rethrown.
   */
  async run(): Promise<void> {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      if (signals === 1) {
        this.loggerFactory.createLogger("X.Hosting.Lifetime").info(`${signal} received; shutting down`);
        this.lifetime.stopApplication();
        return;
      }
      // A second signal: stop waiting, fall back to the default action (terminate).
      for (const s of SIGNALS) process.off(s, onSignal);
      process.kill(process.pid, signal);
    };
    for (const s of SIGNALS) process.on(s, onSignal);
    try {
      try {
        await this.start();
      } catch (error) {
        process.exitCode = 1;
        throw error;
      }
      await this.lifetime.stopRequested;
      await this.stop();
      if (signals > 0) this.#exitSoon();
    } finally {
      for (const s of SIGNALS) process.off(s, onSignal);
    }
  }

  /**
   * A signal asked the process to end and the host has shut down (requests still running at
   * ShutdownTimeoutSeconds were aborted and logged). App work still pending (timers, open
   * handles of its own) must not keep the process alive: it exits after a short grace for
   * what follows `run()`, unless it ends by itself first (the timer does not hold it).
   */
  #exitSoon(): void {
    const timer = setTimeout(() => {
      this.loggerFactory.createLogger("X.Hosting.Lifetime").warn(`The application still had work pending ${SIGNAL_EXIT_GRACE_MS / 1000} s after the shutdown; exiting`);
      process.exit(process.exitCode ?? 0);
    }, SIGNAL_EXIT_GRACE_MS);
    timer.unref();
  }

  /** `ShutdownTimeoutSeconds` (default 30) in milliseconds; throws naming the key for a value that is not a number of seconds >= 0. */
  get shutdownTimeoutMs(): number {
    const seconds = getNumber(this.configuration, WebHostDefaults.ShutdownTimeoutKey) ?? DEFAULT_SHUTDOWN_TIMEOUT_S;
    if (!(seconds >= 0) || !Number.isFinite(seconds)) {
      throw new OptionsValidationError(`'${seconds}' at 'ShutdownTimeoutSeconds' is not a number of seconds >= 0`, "ShutdownTimeoutSeconds");
    }
    return seconds * 1000;
  }

  async #stop(): Promise<void> {
    // A stop during the start waits for it, so the events stay in order: started, stopping, stopped.
    if (this.#state === "starting") await this.#starting?.catch(() => {});
    if (this.#state === "created" || this.#state === "stopped") {
      this.#state = "stopped";
      this.configuration.dispose();
      return;
    }
    this.#state = "stopping";
    const logger = this.loggerFactory.createLogger("X.Hosting.Lifetime");
    logger.info("Application is shutting down...");
    this.#unsubscribe?.();
    this.#endpointReloader?.dispose();
    let timeoutMs = DEFAULT_SHUTDOWN_TIMEOUT_S * 1000;
    try {
      timeoutMs = this.shutdownTimeoutMs;
    } catch (error) {
      // The setting became invalid after the start (a reload): stop anyway, with the default.
      logger.warn({ err: error }, `Using the default shutdown timeout of ${DEFAULT_SHUTDOWN_TIMEOUT_S} s: ${(error as Error).message}`);
    }
    await this.lifetime.notifyStopping(timeoutMs);
    try {
      await this.#server?.stop(timeoutMs);
    } finally {
      this.configuration.dispose();
      this.#hostConfiguration.dispose();
      this.#state = "stopped";
      await this.lifetime.notifyStopped();
    }
  }

  #context(): WebHostBuilderContext {
    return { configuration: this.configuration, hostingEnvironment: this.environment };
  }

  /** Resolves once configuration-driven endpoint changes queued so far are applied (tests, embedding). */
  get endpointsSettled(): Promise<void> {
    return this.#endpointReloader?.settled ?? Promise.resolve();
  }

  /** The configuration key at fault in a startup error, when it can be told. */
  #keyOf(error: unknown): string | undefined {
    const e = error as { key?: string; endpointName?: string };
    if (e.key !== undefined) return e.key;
    if (e.endpointName !== undefined) {
      const section = this.#endpointsSectionPath ?? "Kestrel";
      return `${section}:Endpoints:${e.endpointName}:Url`;
    }
    return undefined;
  }

  #endpointsSectionPath: string | undefined;

  #watchEndpoints(server: Server, endpoints: ConfigurationEndpoint[], section: Configuration): void {
    const options = server.options;
    if (!(options.configurationLoader?.reloadOnChange ?? true)) return;
    const reloader = new EndpointReloader(
      {
        server,
        options,
        section,
        logger: this.loggerFactory.createLogger("X.Hosting"),
        contentRoot: this.environment.contentRootPath,
        shutdownTimeoutMs: () => this.shutdownTimeoutMs,
      },
      endpoints,
    );
    this.#endpointReloader = reloader;
    this.#onConfigurationChange.push(() => reloader.onConfigurationChanged());
  }

  #createServer(): { server: Server; endpoints: ConfigurationEndpoint[]; endpointsSection: Configuration } {
    const web = this.#web!;
    const options = new ServerOptions();
    const logger = this.loggerFactory.createLogger("X.Server");
    const kestrel = this.configuration.getSection("Kestrel");
    const contentRoot = this.environment.contentRootPath;
    // Relative certificate paths given in code resolve there, as in Kestrel.
    options.contentRoot = contentRoot;
    // UseIISIntegration: on with the web defaults when ASPNETCORE_PORT is set. An invalid port fails the start here.
    const iis = web.useWebDefaults ? readIisIntegrationSettings(this.#webSettings) : null;
    this.#iis = iis;
    // The front enforces the request size; Kestrel:Limits and configureKestrel may still set a limit.
    if (iis !== null) options.limits.maxRequestBodySize = null;
    applyKestrelSettings(kestrel, options, logger, contentRoot);
    if (this.environment.isDevelopment()) {
      // Kestrel's development certificate: the fallback after Certificates:Default (x-dev-certs https creates it).
      options.developmentCertificate = findDevelopmentCertificate();
      if (options.developmentCertificate !== undefined) logger.debug("Using the development certificate from x-dev-certs");
    } else if (findDevelopmentCertificate() !== undefined) {
      // Present but not for this environment: an HTTPS endpoint without a certificate must say so, not "create it".
      const name = this.environment.environmentName;
      options.developmentCertificateNotice =
        `A development certificate exists (x-dev-certs), but it is used only in the Development environment, and this host runs in ${name}. ` +
        `Configure a certificate for ${name} (Certificates:Default, or the endpoint's Certificate), or run with ASPNETCORE_ENVIRONMENT=Development.`;
    }
    const view = optionsWithContext(options, this.#context());
    for (const configure of web.kestrelCallbacks) configure(view, options);
    // options.configure(section) in code replaces the section endpoints come from, as in Kestrel.
    const endpointsSection = this.#endpointsSection(options, kestrel);
    if (endpointsSection !== kestrel) {
      applyEndpointDefaults(endpointsSection, options);
      const certificate = readCertificate(endpointsSection.getSection("Certificates:Default"), contentRoot);
      if (certificate !== undefined) options.defaultCertificate = certificate;
    }
    this.#endpointsSectionPath = endpointsSection === kestrel ? "Kestrel" : (endpointsSection as { path?: string }).path;
    if (iis !== null) return this.#createIisServer(options, iis, endpointsSection, logger);
    // Configuration endpoints are created after the code callbacks (so endpoint defaults apply), and bind first.
    const endpoints = loadConfigurationEndpoints(endpointsSection, options, logger, contentRoot);
    options.listenOptions.unshift(...endpoints.map((e) => e.listenOptions));
    this.#configureAccessLog(options);
    const server = new Server(options, { loggerFactory: this.loggerFactory });
    const addresses = server.addresses;
    for (const url of splitUrls(this.configuration.get(WebHostDefaults.ServerUrlsKey))) addresses.push(url);
    const prefer = getBoolean(this.configuration, WebHostDefaults.PreferHostingUrlsKey);
    if (prefer !== undefined) server.features.get(ServerAddressesFeature)!.preferHostingUrls = prefer;
    return { server, endpoints, endpointsSection };
  }

  /**
   * The server behind the front: only `http://127.0.0.1:{ASPNETCORE_PORT}`.
   * Endpoints from code (`listen`), `Kestrel:Endpoints` (not even loaded, so
   * their certificates are not read) and `urls` are dropped, and logged.
   */
  #createIisServer(
    options: ServerOptions,
    iis: IisIntegrationSettings,
    endpointsSection: Configuration,
    logger: Logger,
  ): { server: Server; endpoints: ConfigurationEndpoint[]; endpointsSection: Configuration } {
    const ignored: string[] = [];
    const code = options.listenOptions.map((lo) => lo.toUrl());
    if (code.length > 0) ignored.push(`endpoints from code (${code.join(", ")})`);
    const configured = endpointsSection
      .getSection("Endpoints")
      .getChildren()
      .map((e) => `${e.key} (${e.get("Url") ?? "no Url"})`);
    if (configured.length > 0) ignored.push(`${this.#endpointsSectionPath ?? "Kestrel"}:Endpoints ${configured.join(", ")}`);
    const urls = splitUrls(this.configuration.get(WebHostDefaults.ServerUrlsKey));
    if (urls.length > 0) ignored.push(`urls (${urls.join(", ")})`);
    options.listenOptions.length = 0;
    logger.info(`ASPNETCORE_PORT is set: listening only on ${iis.url} behind the front${ignored.length > 0 ? `; ignoring ${ignored.join("; ")}` : ""}`);
    this.#configureAccessLog(options);
    const server = new Server(options, { loggerFactory: this.loggerFactory });
    server.addresses.push(iis.url);
    server.features.get(ServerAddressesFeature)!.preferHostingUrls = true;
    return { server, endpoints: [], endpointsSection };
  }

  /** `AccessLog:Enabled` turns the access log on and off, following reloads. */
  #configureAccessLog(options: ServerOptions): void {
    const sink = accessLogSink(this.loggerFactory.createLogger(ACCESS_LOG_CATEGORY));
    applyAccessLogConfiguration(this.configuration, options.accessLog, sink);
    this.#onConfigurationChange.push(() => {
      try {
        applyAccessLogConfiguration(this.configuration, options.accessLog, sink);
      } catch (error) {
        this.loggerFactory.createLogger("X.Hosting").warn({ err: error }, `Ignoring the changed access log setting: ${(error as Error).message}`);
      }
    });
  }

  #endpointsSection(options: ServerOptions, kestrel: Configuration): Configuration {
    const section = options.configurationLoader?.configuration;
    if (section === undefined) return kestrel;
    if (!isConfiguration(section)) {
      throw new OptionsValidationError("options.configure(section) expects a configuration section, such as context.configuration.getSection(\"Kestrel\")", "Kestrel");
    }
    return section;
  }

  /** The app's pipeline; `serverFeatures` is what `app.serverFeatures` shows (none in-process). */
  #buildApplication(serverFeatures?: FeatureCollection): RequestDelegate {
    const app = new ApplicationBuilder(serverFeatures === undefined ? undefined : new Map([[SERVER_FEATURES_KEY, serverFeatures]]));
    const context = this.#context();
    if (this.#iis !== null) {
      const iis = new IisMiddleware(this.#iis, {
        stopApplication: () => this.lifetime.stopApplication(),
        logger: this.loggerFactory.createLogger("X.Hosting.IisIntegration"),
        forwardedHeadersLogger: this.loggerFactory.createLogger("X.ForwardedHeaders"),
      });
      app.use(iis.invoke);
    }
    if (this.#web!.useWebDefaults) this.#useWebDefaults(app);
    for (const configure of this.#web!.appCallbacks) configure(app, context);
    return app.build();
  }

  /**
   * What ASP.NET Core's startup filters put in front of the app: host
   * filtering (re-read when `AllowedHosts` changes), then forwarded headers
   * when `FORWARDEDHEADERS_ENABLED` is true.
   */
  #useWebDefaults(app: ApplicationBuilder): void {
    const web = this.#web!;
    const filter = new HostFilteringMiddleware(hostFilteringOptionsFrom(this.configuration, web.hostFilteringCallbacks), this.loggerFactory.createLogger("X.HostFiltering"));
    this.#onConfigurationChange.push(() => {
      try {
        filter.update(hostFilteringOptionsFrom(this.configuration, web.hostFilteringCallbacks));
      } catch (error) {
        this.loggerFactory.createLogger("X.Hosting").warn({ err: error }, `Ignoring the changed AllowedHosts: ${(error as Error).message}`);
      }
    });
    app.use(filter.invoke);
    const forwarded = forwardedHeadersOptionsFrom(this.configuration, web.forwardedHeadersCallbacks);
    if (forwarded !== null) app.use(new ForwardedHeadersMiddleware(forwarded, this.loggerFactory.createLogger("X.ForwardedHeaders")).invoke);
  }
}

