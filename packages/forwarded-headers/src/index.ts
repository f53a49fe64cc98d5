/**
 * `@x/forwarded-headers`: ASP.NET Core's `ForwardedHeadersMiddleware` for the
 * `@x` server. Behind a reverse proxy (nginx, a load balancer), it takes the
 * client's address, the original scheme and the original host from
 * `X-Forwarded-For`, `X-Forwarded-Proto` and `X-Forwarded-Host`, but only
 * from proxies it trusts (`knownProxies`, `knownNetworks`), and keeps what it
 * replaced in `X-Original-For`, `-Proto` and `-Host`.
 *
 * @module
 */
export { ForwardedHeadersMiddleware, forwardedHeaders } from "./forwarded-headers-middleware.js";
export type { AllowedHosts } from "./host-rules.js";
export type { IpAddress } from "./ip-address.js";
export { IpNetwork, parseIpNetwork } from "./ip-network.js";
export { DEFAULT_KNOWN_NETWORKS, DEFAULT_KNOWN_PROXIES, ForwardedHeaders, resolveForwardedHeadersOptions } from "./options.js";
export type { ForwardedHeadersOptions, ResolvedForwardedHeadersOptions } from "./options.js";
