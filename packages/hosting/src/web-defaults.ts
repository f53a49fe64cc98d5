/**
 * The request middleware `configureWebHostDefaults` puts in front of the
 * app, as ASP.NET Core's startup filters do: host filtering (always; off
 * while `AllowedHosts` is `*` or absent), then forwarded headers (when
 * `ASPNETCORE_FORWARDEDHEADERS_ENABLED=true`).
 *
 * @module
 */
import { ForwardedHeaders, type ForwardedHeadersOptions } from "@x/forwarded-headers";
import { type HostFilteringOptions, parseAllowedHosts } from "@x/host-filtering";
import type { Configuration } from "./configuration/index.js";

/** Adjusts the host filtering options in code (ASP.NET Core's `services.Configure<HostFilteringOptions>`). */
export type ConfigureHostFiltering = (options: HostFilteringOptions) => void;
/** Adjusts the forwarded headers options in code (ASP.NET Core's `services.Configure<ForwardedHeadersOptions>`). */
export type ConfigureForwardedHeaders = (options: ForwardedHeadersOptions) => void;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * The options from code, with `AllowedHosts` (semicolon-separated) from
 * configuration when code set no hosts, and `*` when neither did, as
 * ASP.NET Core's web defaults do. Read again on every configuration change.
 */
export function hostFilteringOptionsFrom(configuration: Configuration, configure: readonly ConfigureHostFiltering[]): HostFilteringOptions {
  const options: Mutable<HostFilteringOptions> = {};
  for (const c of configure) c(options);
  if (options.allowedHosts === undefined || options.allowedHosts.length === 0) {
    const hosts = parseAllowedHosts(configuration.get("AllowedHosts"));
    options.allowedHosts = hosts.length > 0 ? hosts : ["*"];
  }
  return options;
}

/**
 * The forwarded headers options when the middleware is on, else null.
 * ASP.NET Core's `ForwardedHeadersOptionsSetup`: `FORWARDEDHEADERS_ENABLED`
 * (`ASPNETCORE_FORWARDEDHEADERS_ENABLED` in the environment) set to `true`
 * turns on X-Forwarded-For and X-Forwarded-Proto and clears the known
 * proxies and networks: the forwarder was enabled by explicit
 * configuration, typically behind a proxy that is not on loopback
 * (a container's gateway). Code may narrow them again.
 */
export function forwardedHeadersOptionsFrom(configuration: Configuration, configure: readonly ConfigureForwardedHeaders[]): ForwardedHeadersOptions | null {
  if ((configuration.get("FORWARDEDHEADERS_ENABLED") ?? "").trim().toLowerCase() !== "true") return null;
  const options: Mutable<ForwardedHeadersOptions> = {
    forwardedHeaders: ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto,
    knownProxies: [],
    knownNetworks: [],
  };
  for (const c of configure) c(options);
  return options;
}
