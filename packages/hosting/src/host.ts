/**
 * `Host`, the entry point ASP.NET Core users know: `Host.createDefaultBuilder(args)`.
 *
 * @module
 */
import { HostBuilder } from "./host-builder.js";

/** Entry points to the generic host (ASP.NET Core's static `Host` class). */
export const Host = {
  /**
   * A builder with ASP.NET Core's defaults: content root = cwd; host
   * configuration from `DOTNET_` (and, for web hosts, `ASPNETCORE_`)
   * environment variables and the command line; app configuration from
   * `appsettings.json`, `appsettings.{Environment}.json` (both optional and
   * reloaded on change), environment variables and the command line; the
   * server configured from the `Kestrel` section; logging levels from
   * `Logging:LogLevel`.
   *
   * @example
   * await Host.createDefaultBuilder(process.argv.slice(2))
   *   .configureWebHostDefaults((web) => web.configure((app) => app.run((ctx) => ctx.response.end("Hello"))))
   *   .build()
   *   .run();
   */
  createDefaultBuilder(args: readonly string[] = [], env: NodeJS.ProcessEnv = process.env): HostBuilder {
    return new HostBuilder({ args, env, defaults: true });
  },

  /** A builder without any default configuration sources. */
  createEmptyBuilder(): HostBuilder {
    return new HostBuilder({ defaults: false });
  },
} as const;
