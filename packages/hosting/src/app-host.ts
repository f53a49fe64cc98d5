/**
 * The built host (.NET's `IHost`): starts the server with the application
 * pipeline, logs the bound addresses, stops gracefully on SIGINT/SIGTERM or
 * `stopApplication()`, and raises the lifetime events in order.
 *
 * @module
 */
import { ApplicationBuilder, type LoggerFactory, OptionsValidationError, type RequestDelegate, ServerAddressesFeature } from "@x/abstractions";
import { findDevelopmentCertificate } from "@x/https-sni";
import { Server, ServerOptions, splitUrls } from "@x/server";
import { ApplicationLifetime } from "./application-lifetime.js";
import { type Configuration, type ConfigurationRoot, getBoolean, getNumber } from "./configuration/index.js";
import type { HostEnvironment } from "./host-environment.js";
import { readCertificate } from "./certificate-configuration.js";
import { applyKestrelSettings, isConfiguration, loadEndpoints } from "./kestrel-configuration.js";
import { PinoLoggerFactory, type PinoLoggerFactoryOptions, readLogLevelRules } from "./logging/pino-logger-factory.js";
import { type WebHostBuilder, type WebHostBuilderContext, WebHostDefaults } from "./web-host-builder.js";

export interface AppHostInit {
  configuration: ConfigurationRoot;
  hostConfiguration: ConfigurationRoot;
  environment: HostEnvironment;
  web: WebHostBuilder | null;
  loggerFactory?: LoggerFactory;
  logging?: PinoLoggerFactoryOptions;
}

/** ASP.NET Core's default HostOptions.ShutdownTimeout. */
const DEFAULT_SHUTDOWN_TIMEOUT_S = 30;
const SIGNALS = ["SIGINT", "SIGTERM"] as const;

export class AppHost {
  readonly configuration: ConfigurationRoot;
  readonly environment: HostEnvironment;
  readonly lifetime = new ApplicationLifetime();
  readonly loggerFactory: LoggerFactory;
  readonly #hostConfiguration: ConfigurationRoot;
  readonly #web: WebHostBuilder | null;
  #server: Server | null = null;
  #state: "created" | "starting" | "started" | "stopping" | "stopped" = "created";
  #stopping: Promise<void> | null = null;

  constructor(init: AppHostInit) {
    this.configuration = init.configuration;
    this.#hostConfiguration = init.hostConfiguration;
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
  }

  /** The running server (after `start`). */
  get server(): Server | null {
    return this.#server;
  }

  /** Starts the server; rejects (after logging) when it cannot bind or is misconfigured. */
  async start(): Promise<void> {
    if (this.#state !== "created") throw new Error("The host has already been started");
    this.#state = "starting";
    const logger = this.loggerFactory.createLogger("X.Hosting.Lifetime");
    try {
      if (this.#web !== null) {
        const server = this.#createServer();
        this.#server = server;
        await server.start(this.#buildApplication());
        for (const url of server.addresses) logger.info(`Now listening on: ${url}`);
      }
    } catch (error) {
      const key = (error as { key?: string }).key;
      this.loggerFactory
        .createLogger("X.Hosting")
        .fatal({ err: error, key }, `Unable to start the host: ${(error as Error).message}${key && this.environment.isDevelopment() ? ` (check the configuration key '${key}')` : ""}`);
      this.#state = "stopped";
      this.configuration.dispose();
      throw error;
    }
    this.#state = "started";
    logger.info("Application started. Press Ctrl+C to shut down.");
    logger.info(`Hosting environment: ${this.environment.environmentName}`);
    logger.info(`Content root path: ${this.environment.contentRootPath}`);
    this.lifetime.notifyStarted();
  }

  /** Stops gracefully: in-flight requests get up to the shutdown timeout (30 s by default). */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  /** Starts, waits for SIGINT, SIGTERM or `stopApplication()`, then stops. */
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
      await this.start();
      await this.lifetime.stopRequested;
      await this.stop();
    } finally {
      for (const s of SIGNALS) process.off(s, onSignal);
    }
  }

  get shutdownTimeoutMs(): number {
    const seconds = getNumber(this.configuration, WebHostDefaults.ShutdownTimeoutKey) ?? DEFAULT_SHUTDOWN_TIMEOUT_S;
    return seconds * 1000;
  }

  async #stop(): Promise<void> {
    if (this.#state === "created" || this.#state === "stopped") {
      this.#state = "stopped";
      this.configuration.dispose();
      return;
    }
    this.#state = "stopping";
    const logger = this.loggerFactory.createLogger("X.Hosting.Lifetime");
    logger.info("Application is shutting down...");
    this.lifetime.notifyStopping();
    try {
      await this.#server?.stop(this.shutdownTimeoutMs);
    } finally {
      this.configuration.dispose();
      this.#hostConfiguration.dispose();
      this.#state = "stopped";
      this.lifetime.notifyStopped();
    }
  }

  #context(): WebHostBuilderContext {
    return { configuration: this.configuration, hostingEnvironment: this.environment };
  }

  #createServer(): Server {
    const web = this.#web!;
    const options = new ServerOptions();
    const logger = this.loggerFactory.createLogger("X.Server");
    const kestrel = this.configuration.getSection("Kestrel");
    const contentRoot = this.environment.contentRootPath;
    applyKestrelSettings(kestrel, options, logger, contentRoot);
    if (this.environment.isDevelopment()) {
      // Kestrel's development certificate: the fallback after Certificates:Default (x-dev-certs https creates it).
      options.developmentCertificate = findDevelopmentCertificate();
      if (options.developmentCertificate !== undefined) logger.debug("Using the development certificate from x-dev-certs");
    }
    const context = this.#context();
    for (const configure of web.kestrelCallbacks) {
      if (configure.length >= 2) (configure as (c: WebHostBuilderContext, o: ServerOptions) => void)(context, options);
      else (configure as (o: ServerOptions) => void)(options);
    }
    // options.configure(section) in code replaces the section endpoints come from, as in Kestrel.
    const endpointsSection = this.#endpointsSection(options, kestrel);
    if (endpointsSection !== kestrel) {
      const certificate = readCertificate(endpointsSection.getSection("Certificates:Default"), contentRoot);
      if (certificate !== undefined) options.defaultCertificate = certificate;
    }
    // Configuration endpoints are created after the code callbacks (so endpoint defaults apply), and bind first.
    options.listenOptions.unshift(...loadEndpoints(endpointsSection, options, logger, contentRoot));
    const server = new Server(options, { loggerFactory: this.loggerFactory });
    const addresses = server.addresses;
    for (const url of splitUrls(this.configuration.get(WebHostDefaults.ServerUrlsKey))) addresses.push(url);
    const prefer = getBoolean(this.configuration, WebHostDefaults.PreferHostingUrlsKey);
    if (prefer !== undefined) server.features.get(ServerAddressesFeature)!.preferHostingUrls = prefer;
    return server;
  }

  #endpointsSection(options: ServerOptions, kestrel: Configuration): Configuration {
    const section = options.configurationLoader?.configuration;
    if (section === undefined) return kestrel;
    if (!isConfiguration(section)) {
      throw new OptionsValidationError("options.configure(section) expects a configuration section, such as context.configuration.getSection(\"Kestrel\")", "Kestrel");
    }
    return section;
  }

  #buildApplication(): RequestDelegate {
    const app = new ApplicationBuilder();
    const context = this.#context();
    for (const configure of this.#web!.appCallbacks) configure(app, context);
    return app.build();
  }
}

