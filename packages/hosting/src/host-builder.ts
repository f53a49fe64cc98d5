/**
 * The generic host builder (`IHostBuilder`) and `createDefaultBuilder`'s
 * defaults: host configuration from `DOTNET_`/`ASPNETCORE_` environment
 * variables and the command line; app configuration from `appsettings.json`,
 * `appsettings.{Environment}.json`, environment variables and the command
 * line, later sources winning.
 *
 * @module
 */
import { join } from "node:path";
import { ConfigurationBuilder, type ConfigurationRoot } from "./configuration/index.js";
import { AppHost } from "./app-host.js";
import { type PinoLoggerFactoryOptions, readLogFormat } from "./logging/pino-logger-factory.js";
import { Environments, HostEnvironment } from "./host-environment.js";
import { WebHostBuilder, WebHostDefaults } from "./web-host-builder.js";

/** What app configuration and logging callbacks are given: the configuration so far and the environment. */
export interface HostBuilderContext {
  readonly configuration: ConfigurationRoot;
  readonly hostingEnvironment: HostEnvironment;
}

/** Adds sources to the host configuration. */
export type ConfigureHostConfiguration = (builder: ConfigurationBuilder) => void;
/** Adds sources to the app configuration, knowing the host configuration and environment. */
export type ConfigureAppConfiguration = (context: HostBuilderContext, builder: ConfigurationBuilder) => void;
/** Adjusts the pino logger factory's options: its destination, or a root pino logger of the app's own. */
export type ConfigureLogging = (context: HostBuilderContext, options: PinoLoggerFactoryOptions) => void;

/** Options of {@link HostBuilder}. */
export interface HostBuilderOptions {
  /** Command-line arguments, e.g. `process.argv.slice(2)`. */
  args?: readonly string[];
  /** Environment variables; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Apply createDefaultBuilder's configuration sources. */
  defaults?: boolean;
}

/** Builds an {@link AppHost} (ASP.NET Core's `HostBuilder`): host configuration, app configuration, logging, and a web host with `configureWebHostDefaults`. */
export class HostBuilder {
  readonly #args: readonly string[];
  readonly #env: NodeJS.ProcessEnv;
  readonly #defaults: boolean;
  readonly #hostConfigCallbacks: ConfigureHostConfiguration[] = [];
  readonly #appConfigCallbacks: ConfigureAppConfiguration[] = [];
  readonly #loggingCallbacks: ConfigureLogging[] = [];
  #web: WebHostBuilder | null = null;
  #built = false;

  /** A builder without defaults unless `options.defaults` is true (see `Host.createDefaultBuilder`). */
  constructor(options: HostBuilderOptions = {}) {
    this.#args = options.args ?? [];
    this.#env = options.env ?? process.env;
    this.#defaults = options.defaults ?? false;
  }

  /** Adds to the host configuration (environment, content root, ...); callbacks run in order at build time. */
  configureHostConfiguration(configure: ConfigureHostConfiguration): this {
    this.#hostConfigCallbacks.push(configure);
    return this;
  }

  /** Adds to the app configuration; callbacks run in order at build time, after the defaults' sources. */
  configureAppConfiguration(configure: ConfigureAppConfiguration): this {
    this.#appConfigCallbacks.push(configure);
    return this;
  }

  /** Adjusts the pino logger factory's options; callbacks run in order at build time. */
  configureLogging(configure: ConfigureLogging): this {
    this.#loggingCallbacks.push(configure);
    return this;
  }

  /** Adds the web host: the server (Kestrel) and the application pipeline. */
  configureWebHost(configure: (web: WebHostBuilder) => void): this {
    this.#web ??= new WebHostBuilder();
    configure(this.#web);
    return this;
  }

  /**
   * The web host with ASP.NET Core's web defaults: `ASPNETCORE_`-prefixed
   * environment variables in the host configuration, the server configured
   * from the `Kestrel` section, host filtering from `AllowedHosts` in front
   * of the app, and forwarded headers (For and Proto) when
   * `ASPNETCORE_FORWARDEDHEADERS_ENABLED=true`. With `ASPNETCORE_PORT` set
   * (the app started by the `x-ancm` front, as by IIS's ASP.NET Core
   * Module), the IIS integration: only `http://127.0.0.1:{PORT}` is bound,
   * and its middleware (pairing token, shutdown event, `APPL_PATH` path base,
   * client certificate, forwarded headers) runs first.
   */
  configureWebHostDefaults(configure: (web: WebHostBuilder) => void): this {
    this.#web ??= new WebHostBuilder();
    this.#web.useWebDefaults = true;
    return this.configureWebHost(configure);
  }

  /** Sets the environment name (`Development`, `Staging`, `Production`, ...) in the host configuration. */
  useEnvironment(environment: string): this {
    return this.configureHostConfiguration((b) => b.addInMemoryCollection({ [WebHostDefaults.EnvironmentKey]: environment }));
  }

  /** Sets the content root in the host configuration. */
  useContentRoot(path: string): this {
    return this.configureHostConfiguration((b) => b.addInMemoryCollection({ [WebHostDefaults.ContentRootKey]: path }));
  }

  /** Builds the host. Can only be called once. */
  build(): AppHost {
    if (this.#built) throw new Error("build() can only be called once");
    this.#built = true;
    const hostConfig = this.#buildHostConfiguration();
    const environment = new HostEnvironment(
      hostConfig.get(WebHostDefaults.EnvironmentKey) || Environments.Production,
      hostConfig.get(WebHostDefaults.ApplicationKey) || "app",
      hostConfig.get(WebHostDefaults.ContentRootKey) || process.cwd(),
    );
    let appConfig: ConfigurationRoot | undefined;
    try {
      appConfig = this.#buildAppConfiguration(hostConfig, environment);
      const logging: PinoLoggerFactoryOptions = {};
      const context: HostBuilderContext = { configuration: appConfig, hostingEnvironment: environment };
      for (const configure of this.#loggingCallbacks) configure(context, logging);
      logging.format ??= readLogFormat(appConfig, environment.isDevelopment());
      const webSettings = this.#buildWebSettings();
      return new AppHost({ configuration: appConfig, hostConfiguration: hostConfig, webSettings, environment, web: this.#web, logging });
    } catch (error) {
      // No host will own the configuration: close its file watchers.
      appConfig?.dispose();
      hostConfig.dispose();
      throw error;
    }
  }

  #buildHostConfiguration(): ConfigurationRoot {
    const builder = new ConfigurationBuilder();
    builder.addInMemoryCollection({ [WebHostDefaults.ContentRootKey]: process.cwd() });
    if (this.#defaults) {
      builder.addEnvironmentVariables("DOTNET_", this.#env);
      if (this.#web) builder.addEnvironmentVariables("ASPNETCORE_", this.#env);
    }
    // Settings from code (useUrls, useSetting) override the environment; the command line overrides them.
    if (this.#web && this.#web.settings.size > 0) builder.addInMemoryCollection(Object.fromEntries(this.#web.settings));
    if (this.#defaults && this.#args.length > 0) builder.addCommandLine(this.#args);
    for (const configure of this.#hostConfigCallbacks) configure(builder);
    return builder.build();
  }

  /**
   * The web host's own settings, as ASP.NET Core's `GenericWebHostBuilder`
   * keeps them apart from the host configuration: `ASPNETCORE_` environment
   * variables (with the defaults), then `useSetting` from code. The IIS
   * integration (`ASPNETCORE_PORT`, `_TOKEN`, `_APPL_PATH`) reads them.
   */
  #buildWebSettings(): ConfigurationRoot | undefined {
    if (this.#web === null) return undefined;
    const builder = new ConfigurationBuilder();
    if (this.#defaults) builder.addEnvironmentVariables("ASPNETCORE_", this.#env);
    if (this.#web.settings.size > 0) builder.addInMemoryCollection(Object.fromEntries(this.#web.settings));
    return builder.build();
  }

  #buildAppConfiguration(hostConfig: ConfigurationRoot, environment: HostEnvironment): ConfigurationRoot {
    const builder = new ConfigurationBuilder();
    builder.addConfiguration(hostConfig);
    if (this.#defaults) {
      const root = environment.contentRootPath;
      builder.addJsonFile(join(root, "appsettings.json"), { optional: true, reloadOnChange: true });
      builder.addJsonFile(join(root, `appsettings.${environment.environmentName}.json`), { optional: true, reloadOnChange: true });
      builder.addEnvironmentVariables(undefined, this.#env);
      if (this.#args.length > 0) builder.addCommandLine(this.#args);
    }
    const provisional: HostBuilderContext = { configuration: hostConfig, hostingEnvironment: environment };
    for (const configure of this.#appConfigCallbacks) configure(provisional, builder);
    return builder.build();
  }
}
