/**
 * The options of the host filtering middleware (ASP.NET Core's
 * `HostFilteringOptions`) and the parser of the `AllowedHosts` configuration
 * value.
 *
 * @module
 */

/**
 * What the host filtering middleware allows (ASP.NET Core's `HostFilteringOptions`).
 *
 * @example
 * const options: HostFilteringOptions = { allowedHosts: ["example.com", "*.example.com"], allowEmptyHosts: false };
 */
export interface HostFilteringOptions {
  /**
   * The host names requests may carry, without ports: exact names
   * (`example.com`), subdomain wildcards (`*.example.com`, subdomains only),
   * IP addresses (`127.0.0.1`, `[::1]` or `::1`) and international names
   * (compared in punycode). Case-insensitive. An empty list, or one holding
   * `*`, turns filtering off: any non-empty host is allowed. Default `[]`.
   */
  allowedHosts?: readonly string[];
  /**
   * Whether a request without a Host (HTTP/1.0) or with an empty one
   * (`Host:`) is allowed. Default `true`, as ASP.NET Core.
   */
  allowEmptyHosts?: boolean;
  /**
   * Whether a rejected request gets the HTML body
   * `HOST_FILTERING_FAILURE_BODY` (with `Content-Type: text/html`), or
   * an empty one. Default `true`, as ASP.NET Core.
   */
  includeFailureMessage?: boolean;
}

/** The defaults of {@link HostFilteringOptions}, ASP.NET Core's. */
export const DEFAULT_HOST_FILTERING_OPTIONS: Readonly<Required<HostFilteringOptions>> = Object.freeze({
  allowedHosts: Object.freeze([]) as readonly string[],
  allowEmptyHosts: true,
  includeFailureMessage: true,
});

/**
 * Parses the `AllowedHosts` configuration value: names separated by `;`,
 * each trimmed, empty ones dropped (ASP.NET Core splits it the same way).
 * `undefined` gives an empty list.
 *
 * @example
 * parseAllowedHosts("example.com; *.example.com;"); // ["example.com", "*.example.com"]
 */
export function parseAllowedHosts(value: string | undefined): string[] {
  if (value === undefined) return [];
  const hosts: string[] = [];
  for (const part of value.split(";")) {
    const host = part.trim();
    if (host.length > 0) hosts.push(host);
  }
  return hosts;
}
