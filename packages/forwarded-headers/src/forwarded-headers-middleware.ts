/**
 * ASP.NET Core's `ForwardedHeadersMiddleware`: applies `X-Forwarded-For`,
 * `-Proto` and `-Host` to the request when they come from a trusted proxy,
 * reading the entries right to left (the rightmost was added by the proxy
 * closest to us) and stopping at the first untrusted hop, at the first value
 * that does not parse, or after `forwardLimit` entries.
 *
 * @module
 */
import type { ConnectionInfo, HttpContext, Logger, Middleware } from "@x/abstractions";
import { nullLogger } from "@x/abstractions";
import { commaSeparatedValues, truncateConsumed } from "./header-values.js";
import { isValidHost, isValidScheme } from "./host-rules.js";
import { formatIpAddress, formatIpEndPoint, type IpAddress, ipAddressEquals, mappedIPv4, parseIpAddress } from "./ip-address.js";
import { type ParsedIpEndPoint, parseIpEndPoint } from "./ip-endpoint.js";
import { ForwardedHeaders, type ForwardedHeadersOptions, type ResolvedForwardedHeadersOptions, resolveForwardedHeadersOptions } from "./options.js";

const NO_VALUES: readonly string[] = [];

/** The `index`-th value counting from the right (0 is the rightmost), or empty past the left end. */
function fromRight(values: readonly string[], index: number): string {
  return index < values.length ? values[values.length - 1 - index]! : "";
}

/** ASP.NET Core's `ForwardedHeadersMiddleware`: applies `X-Forwarded-For`, `-Proto` and `-Host` from trusted proxies to the request. */
export class ForwardedHeadersMiddleware {
  /** The validated options, defaults filled in. */
  readonly options: ResolvedForwardedHeadersOptions;
  readonly #logger: Logger;
  readonly #checkKnownIps: boolean;

  /** The middleware for `app.use(...)`: applies the forwarded headers, then calls `next`. */
  readonly invoke: Middleware = (context, next) => {
    this.applyForwarders(context);
    return next(context);
  };

  /** @throws OptionsValidationError for invalid options (a bad proxy address or network, a forward limit below 1, ...). */
  constructor(options?: ForwardedHeadersOptions, logger: Logger = nullLogger) {
    this.options = resolveForwardedHeadersOptions(options);
    this.#logger = logger;
    // Both lists empty: every peer is trusted, as in ASP.NET Core.
    this.#checkKnownIps = this.options.knownProxies.length > 0 || this.options.knownNetworks.length > 0;
  }

  /** Applies the forwarded headers to `context` (ASP.NET Core's `ApplyForwarders`). Never throws on malformed headers. */
  applyForwarders(context: HttpContext): void {
    const options = this.options;
    const flags = options.forwardedHeaders;
    if (flags === ForwardedHeaders.None) return;
    const checkFor = (flags & ForwardedHeaders.XForwardedFor) !== 0;
    const checkProto = (flags & ForwardedHeaders.XForwardedProto) !== 0;
    const checkHost = (flags & ForwardedHeaders.XForwardedHost) !== 0;
    const symmetry = options.requireHeaderSymmetry;
    const request = context.request;
    const headers = request.headers;

    // 1. Gather the values of every processed header.
    let forwardedFor = NO_VALUES;
    let forwardedProto = NO_VALUES;
    let forwardedHost = NO_VALUES;
    let entryCount = 0;
    if (checkFor) {
      forwardedFor = commaSeparatedValues(headers, options.forwardedForHeaderName);
      entryCount = forwardedFor.length;
    }
    if (checkProto) {
      forwardedProto = commaSeparatedValues(headers, options.forwardedProtoHeaderName);
      if (symmetry && checkFor && forwardedFor.length !== forwardedProto.length) {
        this.#logger.warn(`Parameter count mismatch between ${options.forwardedForHeaderName} and ${options.forwardedProtoHeaderName}.`);
        return;
      }
      entryCount = Math.max(entryCount, forwardedProto.length);
    }
    if (checkHost) {
      forwardedHost = commaSeparatedValues(headers, options.forwardedHostHeaderName);
      if (symmetry && ((checkFor && forwardedFor.length !== forwardedHost.length) || (checkProto && forwardedProto.length !== forwardedHost.length))) {
        this.#logger.warn(
          `Parameter count mismatch between ${options.forwardedHostHeaderName} and ${options.forwardedForHeaderName} or ${options.forwardedProtoHeaderName}.`,
        );
        return;
      }
      entryCount = Math.max(entryCount, forwardedHost.length);
    }
    if (options.forwardLimit !== null && entryCount > options.forwardLimit) entryCount = options.forwardLimit;
    if (entryCount === 0) return;

    // 2. Walk the entries right to left while the hop that sent them is trusted.
    const original = context.connection;
    // The address whose trust decides whether the next entry is believed: the peer, then each forwarded client.
    let hop: IpAddress | null = original.remoteAddress === null ? null : parseIpAddress(original.remoteAddress);
    // A peer address that is not an IP (never expected from a socket) is never trusted.
    let hopUnparsable = original.remoteAddress !== null && hop === null;
    let remote: ParsedIpEndPoint | null = null;
    let scheme: string | null = null;
    let host: string | null = null;
    let applyChanges = false;
    let entriesConsumed = 0;

    for (; entriesConsumed < entryCount; entriesConsumed++) {
      const index = entriesConsumed;
      // A missing remote address (no IP peer) is allowed for the first hop, as in ASP.NET Core.
      if (this.#checkKnownIps && (hopUnparsable || (hop !== null && !this.#isKnown(hop)))) {
        if (this.#logger.isLevelEnabled("debug")) {
          this.#logger.debug({ remoteAddress: hop === null ? original.remoteAddress : formatIpAddress(hop) }, "Unknown proxy: stopped processing forwarded headers");
        }
        break;
      }

      if (checkFor) {
        const text = fromRight(forwardedFor, index);
        const parsed = text.length === 0 ? null : parseIpEndPoint(text);
        if (parsed !== null) {
          applyChanges = true;
          remote = parsed;
          hop = parsed.address;
          hopUnparsable = false;
        } else if (text.length > 0) {
          if (this.#logger.isLevelEnabled("debug")) this.#logger.debug({ value: text.slice(0, 100) }, "Unparsable IP: stopped processing forwarded headers");
          break;
        } else if (symmetry) {
          this.#logger.warn("Missing forwarded IPAddress.");
          return;
        }
      }

      if (checkProto) {
        const text = fromRight(forwardedProto, index);
        if (text.length > 0 && isValidScheme(text)) {
          applyChanges = true;
          scheme = text;
        } else if (symmetry) {
          this.#logger.warn("Forwarded scheme is not present, this is required by requireHeaderSymmetry.");
          return;
        }
      }

      if (checkHost) {
        const text = fromRight(forwardedHost, index);
        if (text.length > 0 && isValidHost(text) && options.allowedHosts.matches(text)) {
          applyChanges = true;
          host = text;
        } else if (symmetry) {
          this.#logger.warn("Incorrect number of x-forwarded-host header values, see requireHeaderSymmetry.");
          return;
        }
      }
    }

    if (!applyChanges) return;

    // 3. Keep the originals, drop the consumed entries, apply.
    if (remote !== null) {
      if (original.remoteAddress !== null) headers.set(options.originalForHeaderName, formatIpEndPoint(original.remoteAddress, original.remotePort));
      truncateConsumed(headers, options.forwardedForHeaderName, forwardedFor, entriesConsumed);
      const replaced: ConnectionInfo = Object.freeze({
        id: original.id,
        remoteAddress: formatIpAddress(remote.address),
        remotePort: remote.port,
        localAddress: original.localAddress,
        localPort: original.localPort,
      });
      context.connection = replaced;
    }
    if (scheme !== null) {
      headers.set(options.originalProtoHeaderName, request.scheme);
      truncateConsumed(headers, options.forwardedProtoHeaderName, forwardedProto, entriesConsumed);
      request.scheme = scheme;
    }
    if (host !== null) {
      headers.set(options.originalHostHeaderName, request.host);
      truncateConsumed(headers, options.forwardedHostHeaderName, forwardedHost, entriesConsumed);
      request.host = host;
    }
  }

  /** In `knownProxies` or a `knownNetworks` network; an IPv4-mapped address also counts as its IPv4 form. */
  #isKnown(address: IpAddress): boolean {
    const v4 = mappedIPv4(address);
    if (v4 !== null && this.#isKnownExact(v4)) return true;
    return this.#isKnownExact(address);
  }

  #isKnownExact(address: IpAddress): boolean {
    for (const proxy of this.options.knownProxies) if (ipAddressEquals(proxy, address)) return true;
    for (const network of this.options.knownNetworks) if (network.contains(address)) return true;
    return false;
  }
}

/** `app.use(forwardedHeaders({ forwardedHeaders: ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto }))`. */
export function forwardedHeaders(options?: ForwardedHeadersOptions, logger?: Logger): Middleware {
  return new ForwardedHeadersMiddleware(options, logger).invoke;
}
