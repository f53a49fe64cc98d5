/**
 * `@x/host-filtering`: the `AllowedHosts` middleware, ASP.NET Core's
 * `HostFilteringMiddleware`. Requests whose Host (HTTP/1.x) or `:authority`
 * (HTTP/2) is not an allowed host get 400 and go no further.
 *
 * @module
 */
export { HOST_FILTERING_FAILURE_BODY, HostFilteringMiddleware, hostFiltering } from "./host-filtering-middleware.js";
export { parseAllowedHosts } from "./options.js";
export type { HostFilteringOptions } from "./options.js";
