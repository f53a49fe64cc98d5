/**
 * `ForwardedHeadersOptions`, as ASP.NET Core's, and their validation: the
 * middleware checks and normalises them once, when it is created, so a bad
 * proxy address or network fails at startup, never per request.
 *
 * @module
 */
import { isToken, OptionsValidationError } from "@x/abstractions";
import { AllowedHosts } from "./host-rules.js";
import { type IpAddress, parseIpAddress } from "./ip-address.js";
import { type IpNetwork, parseIpNetwork } from "./ip-network.js";

/** Which headers to process: flags with .NET's values, combined with `|`. */
export const ForwardedHeaders = {
  None: 0,
  XForwardedFor: 1,
  XForwardedHost: 2,
  XForwardedProto: 4,
  All: 7,
} as const;

/** Options of the forwarded headers middleware (ASP.NET Core's `ForwardedHeadersOptions`). */
export interface ForwardedHeadersOptions {
  /** `ForwardedHeaders` flags to process. Default `None`: the middleware changes nothing. */
  forwardedHeaders?: number;
  /** How many entries (proxies) to process, from the right. Default 1; `null` means no limit. */
  forwardLimit?: number | null;
  /** Proxy addresses to trust. Default `["127.0.0.1", "::1"]`. */
  knownProxies?: string[];
  /** Proxy networks (CIDR) to trust. Default `["127.0.0.0/8"]`. */
  knownNetworks?: string[];
  /** Hosts accepted from X-Forwarded-Host (`example.com`, `*.example.com`, `*`). Default empty: any host. */
  allowedHosts?: string[];
  /** Require the same number of values in every processed header. Default false. */
  requireHeaderSymmetry?: boolean;
  /** Default `X-Forwarded-For`. */
  forwardedForHeaderName?: string;
  /** Default `X-Forwarded-Proto`. */
  forwardedProtoHeaderName?: string;
  /** Default `X-Forwarded-Host`. */
  forwardedHostHeaderName?: string;
  /** Default `X-Original-For`. */
  originalForHeaderName?: string;
  /** Default `X-Original-Proto`. */
  originalProtoHeaderName?: string;
  /** Default `X-Original-Host`. */
  originalHostHeaderName?: string;
}

/** Options after validation, with every default filled in. */
export interface ResolvedForwardedHeadersOptions {
  readonly forwardedHeaders: number;
  readonly forwardLimit: number | null;
  readonly knownProxies: readonly IpAddress[];
  readonly knownNetworks: readonly IpNetwork[];
  readonly allowedHosts: AllowedHosts;
  readonly requireHeaderSymmetry: boolean;
  readonly forwardedForHeaderName: string;
  readonly forwardedProtoHeaderName: string;
  readonly forwardedHostHeaderName: string;
  readonly originalForHeaderName: string;
  readonly originalProtoHeaderName: string;
  readonly originalHostHeaderName: string;
}

/** `knownProxies` by default: the loopback addresses. */
export const DEFAULT_KNOWN_PROXIES: readonly string[] = Object.freeze(["127.0.0.1", "::1"]);
/** `knownNetworks` by default: the IPv4 loopback network. */
export const DEFAULT_KNOWN_NETWORKS: readonly string[] = Object.freeze(["127.0.0.0/8"]);

type HeaderNameKey =
  | "forwardedForHeaderName"
  | "forwardedProtoHeaderName"
  | "forwardedHostHeaderName"
  | "originalForHeaderName"
  | "originalProtoHeaderName"
  | "originalHostHeaderName";

const DEFAULT_HEADER_NAMES: Readonly<Record<HeaderNameKey, string>> = {
  forwardedForHeaderName: "X-Forwarded-For",
  forwardedProtoHeaderName: "X-Forwarded-Proto",
  forwardedHostHeaderName: "X-Forwarded-Host",
  originalForHeaderName: "X-Original-For",
  originalProtoHeaderName: "X-Original-Proto",
  originalHostHeaderName: "X-Original-Host",
};

function invalid(key: string, message: string, cause?: unknown): never {
  throw new OptionsValidationError(`ForwardedHeadersOptions.${key}: ${message}`, key, cause);
}

function stringList(options: ForwardedHeadersOptions, key: "knownProxies" | "knownNetworks" | "allowedHosts", fallback: readonly string[]): readonly string[] {
  const value = options[key];
  if (value === undefined) return fallback;
  if (!Array.isArray(value)) invalid(key, `expected an array of strings, got ${JSON.stringify(value)}`);
  for (const item of value) {
    if (typeof item !== "string") invalid(key, `expected an array of strings, got the entry ${JSON.stringify(item)}`);
  }
  return value;
}

function headerName(options: ForwardedHeadersOptions, key: HeaderNameKey): string {
  const value = options[key];
  if (value === undefined) return DEFAULT_HEADER_NAMES[key];
  if (typeof value !== "string" || !isToken(value)) invalid(key, `${JSON.stringify(value)} is not a valid header name`);
  return value;
}

/**
 * Validates `options` and fills in the defaults.
 *
 * @throws OptionsValidationError naming the option and the bad value.
 */
export function resolveForwardedHeadersOptions(options: ForwardedHeadersOptions = {}): ResolvedForwardedHeadersOptions {
  if (options === null || typeof options !== "object") invalid("options", `expected an object, got ${JSON.stringify(options)}`);

  const forwardedHeaders = options.forwardedHeaders ?? ForwardedHeaders.None;
  if (!Number.isInteger(forwardedHeaders) || forwardedHeaders < 0 || forwardedHeaders > ForwardedHeaders.All) {
    invalid("forwardedHeaders", `${JSON.stringify(forwardedHeaders)} is not a combination of ForwardedHeaders flags (0 to 7)`);
  }

  const forwardLimit = options.forwardLimit === undefined ? 1 : options.forwardLimit;
  if (forwardLimit !== null && (typeof forwardLimit !== "number" || !Number.isInteger(forwardLimit) || forwardLimit < 1)) {
    invalid("forwardLimit", `must be a whole number of at least 1, or null for no limit; got ${JSON.stringify(forwardLimit)}`);
  }

  const knownProxies: IpAddress[] = [];
  for (const text of stringList(options, "knownProxies", DEFAULT_KNOWN_PROXIES)) {
    const address = parseIpAddress(text.trim());
    if (address === null) invalid("knownProxies", `${JSON.stringify(text)} is not an IPv4 or IPv6 address`);
    knownProxies.push(address);
  }

  const knownNetworks: IpNetwork[] = [];
  for (const text of stringList(options, "knownNetworks", DEFAULT_KNOWN_NETWORKS)) {
    try {
      knownNetworks.push(parseIpNetwork(text.trim()));
    } catch (error) {
      invalid("knownNetworks", error instanceof Error ? error.message : String(error), error);
    }
  }

  const hosts = stringList(options, "allowedHosts", []);
  for (const host of hosts) if (host.trim().length === 0) invalid("allowedHosts", "an entry is empty");

  const requireHeaderSymmetry = options.requireHeaderSymmetry ?? false;
  if (typeof requireHeaderSymmetry !== "boolean") invalid("requireHeaderSymmetry", `expected a boolean, got ${JSON.stringify(requireHeaderSymmetry)}`);

  return Object.freeze({
    forwardedHeaders,
    forwardLimit,
    knownProxies: Object.freeze(knownProxies),
    knownNetworks: Object.freeze(knownNetworks),
    allowedHosts: new AllowedHosts(hosts.map((h) => h.trim())),
    requireHeaderSymmetry,
    forwardedForHeaderName: headerName(options, "forwardedForHeaderName"),
    forwardedProtoHeaderName: headerName(options, "forwardedProtoHeaderName"),
    forwardedHostHeaderName: headerName(options, "forwardedHostHeaderName"),
    originalForHeaderName: headerName(options, "originalForHeaderName"),
    originalProtoHeaderName: headerName(options, "originalProtoHeaderName"),
    originalHostHeaderName: headerName(options, "originalHostHeaderName"),
  });
}
