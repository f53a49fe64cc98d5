/**
 * `@x/hosting`: the generic host. `Host.createDefaultBuilder(args)`,
 * configuration, pino logging, lifetime and the web host that runs `@x/server`.
 *
 * @module
 */
export { AppHost } from "./app-host.js";
export type { AppHostInit } from "./app-host.js";
export { ApplicationLifetime } from "./application-lifetime.js";
export type { LifetimeCallback } from "./application-lifetime.js";
export * from "./configuration/index.js";
export { Host } from "./host.js";
export { HostBuilder } from "./host-builder.js";
export type { ConfigureAppConfiguration, ConfigureHostConfiguration, ConfigureLogging, HostBuilderContext, HostBuilderOptions } from "./host-builder.js";
export { Environments, HostEnvironment } from "./host-environment.js";
export {
  IIS_HEADERS,
  IIS_SHUTDOWN_EVENT,
  IIS_SHUTDOWN_PATH,
  IisIntegrationKeys,
  IisMiddleware,
  normalizeApplicationPath,
  readIisIntegrationSettings,
} from "./iis-integration.js";
export type { IisIntegrationSettings, IisMiddlewareOptions } from "./iis-integration.js";
export { ACCESS_LOG_CATEGORY, accessLogSink, applyAccessLogConfiguration } from "./access-log-configuration.js";
export { applyEndpointDefaults, applyLimits, loadConfigurationEndpoints, loadEndpoints } from "./kestrel-configuration.js";
export type { ConfigurationEndpoint } from "./kestrel-configuration.js";
export { LogLevelRules, toPinoLevel } from "./logging/log-levels.js";
export type { PinoLevel } from "./logging/log-levels.js";
export { PinoLoggerFactory, readLogFormat, readLogLevelRules } from "./logging/pino-logger-factory.js";
export type { LogFormat, PinoLoggerFactoryOptions } from "./logging/pino-logger-factory.js";
export { forwardedHeadersOptionsFrom, hostFilteringOptionsFrom } from "./web-defaults.js";
export type { ConfigureForwardedHeaders, ConfigureHostFiltering } from "./web-defaults.js";
export { WebHostBuilder, WebHostDefaults } from "./web-host-builder.js";
export type { ConfigureApp, ConfigureKestrel, WebHostBuilderContext } from "./web-host-builder.js";
export { ListenOptions, ServerOptions } from "@x/server";
export type { ServerAddresses } from "@x/abstractions";
