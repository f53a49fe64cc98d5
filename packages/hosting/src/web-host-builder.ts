/**
 * The web side of the host (`IWebHostBuilder`): Kestrel options, the
 * application pipeline, URLs and settings.
 *
 * @module
 */
import type { ApplicationBuilder } from "@x/abstractions";
import type { ServerOptions } from "@x/server";
import type { Configuration } from "./configuration/index.js";
import type { HostEnvironment } from "./host-environment.js";
import type { ConfigureForwardedHeaders, ConfigureHostFiltering } from "./web-defaults.js";

/** What web host callbacks are given: the app configuration and the environment. */
export interface WebHostBuilderContext {
  readonly configuration: Configuration;
  readonly hostingEnvironment: HostEnvironment;
}

/**
 * A `configureKestrel` callback: `(context, options) => ...` or `(options) => ...`, as ASP.NET
 * Core's two ConfigureKestrel overloads. The first parameter is both: the options, with the
 * context's `configuration` and `hostingEnvironment` on top (see kestrel-callback-argument.ts).
 */
export type ConfigureKestrel = (contextOrOptions: ServerOptions & WebHostBuilderContext, options: ServerOptions) => void;

/** Builds the app's middleware pipeline (ASP.NET Core's `Configure`). */
export type ConfigureApp = (app: ApplicationBuilder, context: WebHostBuilderContext) => void;

/** Host setting keys, as ASP.NET Core's `WebHostDefaults`. */
export const WebHostDefaults = {
  ServerUrlsKey: "urls",
  PreferHostingUrlsKey: "preferHostingUrls",
  EnvironmentKey: "environment",
  ApplicationKey: "applicationName",
  ContentRootKey: "contentRoot",
  ShutdownTimeoutKey: "shutdownTimeoutSeconds",
} as const;

/** Configures the web host inside a host (ASP.NET Core's `IWebHostBuilder`): server options, the app's pipeline and host settings. */
export class WebHostBuilder {
  /** @internal */ readonly kestrelCallbacks: ConfigureKestrel[] = [];
  /** @internal */ readonly appCallbacks: ConfigureApp[] = [];
  /** @internal */ readonly settings = new Map<string, string>();
  /** @internal */ readonly hostFilteringCallbacks: ConfigureHostFiltering[] = [];
  /** @internal */ readonly forwardedHeadersCallbacks: ConfigureForwardedHeaders[] = [];
  /** @internal Set by `configureWebHostDefaults`: host filtering and forwarded headers go in front of the app. */
  useWebDefaults = false;

  /**
   * Configures the server's options; runs after the `Kestrel` configuration
   * section is applied. Both of ASP.NET Core's forms work and infer their
   * types under `strict`: `(options) => ...` and `(context, options) => ...`
   * (the first parameter is the options and the context at once, so default
   * or rest parameters cannot make the wrong form be chosen).
   *
   * @example
   * web.configureKestrel((options) => { options.limits.maxRequestBodySize = 1_000_000; });
   * web.configureKestrel((context, options) => {
   *   if (context.hostingEnvironment.isDevelopment()) options.addServerHeader = false;
   * });
   */
  configureKestrel(configure: ConfigureKestrel): this {
    this.kestrelCallbacks.push(configure);
    return this;
  }

  /** Builds the application pipeline. The last call wins, as ASP.NET Core's Configure. */
  configure(configure: ConfigureApp): this {
    this.appCallbacks.length = 0;
    this.appCallbacks.push(configure);
    return this;
  }

  /**
   * Adjusts the host filtering that `configureWebHostDefaults` adds in front
   * of the app. Hosts set here win over the `AllowedHosts` key.
   *
   * @example
   * web.configureHostFiltering((o) => { o.allowEmptyHosts = false; });
   */
  configureHostFiltering(configure: ConfigureHostFiltering): this {
    this.hostFilteringCallbacks.push(configure);
    return this;
  }

  /**
   * Adjusts the forwarded headers middleware that `configureWebHostDefaults`
   * adds when `ASPNETCORE_FORWARDEDHEADERS_ENABLED=true`.
   *
   * @example
   * web.configureForwardedHeaders((o) => { o.knownNetworks = ["10.0.0.0/8"]; });
   */
  configureForwardedHeaders(configure: ConfigureForwardedHeaders): this {
    this.forwardedHeadersCallbacks.push(configure);
    return this;
  }

  /** The URLs to listen on when no endpoint is configured in code or configuration. */
  useUrls(...urls: string[]): this {
    return this.useSetting(WebHostDefaults.ServerUrlsKey, urls.join(";"));
  }

  /** Sets the environment name (the `environment` host setting). */
  useEnvironment(environment: string): this {
    return this.useSetting(WebHostDefaults.EnvironmentKey, environment);
  }

  /** The graceful shutdown timeout, in milliseconds (default 30 s). */
  useShutdownTimeout(ms: number): this {
    return this.useSetting(WebHostDefaults.ShutdownTimeoutKey, String(ms / 1000));
  }

  /**
   * Sets a host setting, such as `urls` or `preferHostingUrls`. `PORT`,
   * `TOKEN` and `APPL_PATH` are also read by the IIS integration of
   * `configureWebHostDefaults`, over `ASPNETCORE_PORT`, `_TOKEN` and `_APPL_PATH`.
   */
  useSetting(key: string, value: string): this {
    this.settings.set(key, value);
    return this;
  }
}
