/**
 * Host matching for the host filtering middleware: the `AllowedHosts`
 * entries normalised once (ASP.NET Core's `MiddlewareConfigurationManager`),
 * and the per-request comparison (ASP.NET Core's `HostString.MatchesAny`).
 *
 * Entries are trimmed and lower-cased, ports are dropped, international names
 * become punycode and IPv6 literals their canonical bracketed form, so that a
 * request costs one `Set` lookup and, for wildcards, one `endsWith` per
 * `*.suffix` entry. No regular expression runs per request.
 *
 * @module
 */
import { domainToASCII } from "node:url";
import { type Logger, nullLogger } from "@x/abstractions";

/** The normalised pattern of an entry that allows any non-empty host. */
export const ANY_HOST = "*";

// A DNS-style host name: labels of letters, digits, '_' and inner '-', joined
// by single dots, with an optional trailing dot (a fully qualified name). IPv4
// addresses fit it too. Used on configuration only, never per request.
const HOST_NAME = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*\.?$/;
const DIGITS = /^\d*$/;

/**
 * Normalises one `AllowedHosts` entry, or returns `null` when it is not a
 * valid host (the caller logs a warning and skips it).
 *
 * The result is {@link ANY_HOST} (`*`, and also `[::]` and `0.0.0.0`, which
 * ASP.NET Core's `IsTopLevelWildcard` treats as "any host" because they are
 * Kestrel's listen-on-any addresses), `*.suffix` for a subdomain wildcard, a
 * canonical bracketed IPv6 literal (`[::1]`), or a lower-case ASCII name
 * (international names in punycode). A port (`example.com:8080`,
 * `[::1]:443`) is dropped: allowed hosts are host names without ports.
 *
 * @example
 * normalizeAllowedHost(" Example.COM:8080 "); // "example.com"
 * normalizeAllowedHost("*.bücher.example");   // "*.xn--bcher-kva.example"
 * normalizeAllowedHost("0:0::1");             // "[::1]"
 * normalizeAllowedHost("exa mple.com");       // null
 */
export function normalizeAllowedHost(entry: string): string | null {
  let value = entry.trim().toLowerCase();
  if (value.length === 0) return null;
  if (value === ANY_HOST) return ANY_HOST;
  const wildcard = value.startsWith("*.");
  if (wildcard) value = value.slice(2);

  let host: string | null;
  if (value.charCodeAt(0) === 0x5b /* [ */) {
    // `[v6]` or `[v6]:port`.
    const close = value.indexOf("]");
    if (close === -1) return null;
    const rest = value.slice(close + 1);
    if (rest.length > 0 && !(rest.charCodeAt(0) === 0x3a /* : */ && DIGITS.test(rest.slice(1)))) return null;
    host = canonicalIPv6(value.slice(0, close + 1));
  } else {
    const first = value.indexOf(":");
    if (first !== -1 && first !== value.lastIndexOf(":")) {
      // Two or more colons without brackets: an IPv6 literal, which cannot carry a port
      // (ASP.NET Core's HostString does the same and adds the brackets).
      host = canonicalIPv6(`[${value}]`);
    } else {
      if (first !== -1) {
        if (!DIGITS.test(value.slice(first + 1))) return null;
        value = value.slice(0, first);
      }
      if (!wildcard && (value === ANY_HOST || value === "0.0.0.0")) return ANY_HOST;
      host = normalizeHostName(value);
    }
  }
  if (host === null) return null;
  if (wildcard) return host.charCodeAt(0) === 0x5b ? null : `*.${host}`;
  if (host === "[::]") return ANY_HOST;
  return host;
}

/** A lower-case host name, in punycode when it is an international name; `null` when invalid. */
function normalizeHostName(name: string): string | null {
  // Only non-ASCII names go through the WHATWG host parser: it would also
  // rewrite ASCII names that look like numbers (`127.1` → `127.0.0.1`).
  const ascii = isAscii(name) ? name : domainToASCII(name);
  return HOST_NAME.test(ascii) ? ascii : null;
}

/** The canonical form of a bracketed IPv6 literal (`[0:0::1]` → `[::1]`), or `null` when it is not one. */
export function canonicalIPv6(bracketed: string): string | null {
  try {
    const hostname = new URL(`http://${bracketed}/`).hostname;
    return hostname.charCodeAt(0) === 0x5b ? hostname : null;
  } catch {
    return null;
  }
}

/**
 * The host part of a Host header or `:authority` value: `[v6]:port` gives
 * `[v6]`, `name:port` gives `name` when the port is all digits (possibly
 * none, as `example.com:`). Returns `null` for a value that cannot be a host:
 * a port that is not a number, or an IPv6 literal without brackets (RFC 3986
 * §3.2.2 requires them in a URI's authority; Kestrel rejects such a Host
 * before any middleware, so this never lets one through).
 *
 * @example
 * hostWithoutPort("[::1]:8080");     // "[::1]"
 * hostWithoutPort("Example.com:80"); // "Example.com"
 * hostWithoutPort("::1");            // null
 */
export function hostWithoutPort(value: string): string | null {
  if (value.charCodeAt(0) === 0x5b /* [ */) {
    const close = value.indexOf("]");
    if (close === -1) return null;
    if (close === value.length - 1) return value;
    if (value.charCodeAt(close + 1) !== 0x3a /* : */ || !allDigits(value, close + 2)) return null;
    return value.slice(0, close + 1);
  }
  const colon = value.lastIndexOf(":");
  if (colon === -1) return value;
  if (value.indexOf(":") !== colon || !allDigits(value, colon + 1)) return null;
  return value.slice(0, colon);
}

function allDigits(value: string, from: number): boolean {
  for (let i = from; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

function isAscii(value: string): boolean {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 0x7f) return false;
  return true;
}

/**
 * The allowed hosts in the form a request is checked against: a `Set` of
 * exact names and IPv6 literals, and the suffixes (`.example.com`) of the
 * `*.example.com` wildcards. Immutable; build a new one when the options change.
 *
 * @example
 * const matcher = HostMatcher.create(["example.com", "*.example.net"]);
 * matcher.isAllowed("EXAMPLE.com:8080"); // true
 * matcher.isAllowed("a.b.example.net");  // true
 * matcher.isAllowed("example.net");      // false
 */
export class HostMatcher {
  /** True when filtering is off: the list was empty or held `*` (or `[::]`, `0.0.0.0`). */
  readonly allowsAnyHost: boolean;
  /** Exact names and canonical bracketed IPv6 literals, lower-case ASCII. */
  readonly exactHosts: ReadonlySet<string>;
  /** Wildcard suffixes with their leading dot: `*.example.com` is stored as `.example.com`. */
  readonly wildcardSuffixes: readonly string[];

  private constructor(allowsAnyHost: boolean, exactHosts: ReadonlySet<string>, wildcardSuffixes: readonly string[]) {
    this.allowsAnyHost = allowsAnyHost;
    this.exactHosts = exactHosts;
    this.wildcardSuffixes = wildcardSuffixes;
  }

  /**
   * Normalises `allowedHosts` once. An empty list turns filtering off, as does
   * an entry `*` anywhere in it. An entry that is not a valid host is logged at
   * warning and skipped; it does **not** turn filtering off, so a list of only
   * invalid entries allows no host at all (ASP.NET Core likewise keeps such an
   * entry, which then matches nothing).
   */
  static create(allowedHosts: readonly string[] = [], logger: Logger = nullLogger): HostMatcher {
    if (allowedHosts.length === 0) return new HostMatcher(true, new Set(), []);
    const exact = new Set<string>();
    const suffixes: string[] = [];
    for (const entry of allowedHosts) {
      const pattern = typeof entry === "string" ? normalizeAllowedHost(entry) : null;
      if (pattern === null) {
        logger.warn({ entry: String(entry).slice(0, 256) }, `Ignoring the allowed host '${String(entry).slice(0, 256)}': it is not a valid host name`);
        continue;
      }
      if (pattern === ANY_HOST) {
        // ASP.NET Core: "Wildcard detected, all requests with hosts will be allowed."
        logger.debug("Wildcard detected, all requests with hosts will be allowed");
        return new HostMatcher(true, new Set(), []);
      }
      if (pattern.startsWith("*.")) {
        const suffix = pattern.slice(1);
        if (!suffixes.includes(suffix)) suffixes.push(suffix);
      } else {
        exact.add(pattern);
      }
    }
    if (logger.isLevelEnabled("debug")) {
      logger.debug({ allowedHosts: [...exact, ...suffixes.map((s) => `*${s}`)] }, "Allowed hosts configured");
    }
    return new HostMatcher(false, exact, suffixes);
  }

  /**
   * Whether a non-empty Host header (or `:authority`) value is allowed. The
   * port is ignored, the comparison is case-insensitive, an international
   * name is compared in punycode and an IPv6 literal in its canonical form.
   * A trailing dot is significant (`example.com.` does not match
   * `example.com`), as in ASP.NET Core.
   */
  isAllowed(hostHeader: string): boolean {
    if (this.allowsAnyHost) return true;
    const raw = hostWithoutPort(hostHeader);
    if (raw === null || raw.length === 0) return false;
    // V8 returns the same string when nothing changes case: no copy for the usual lower-case Host.
    const host = raw.toLowerCase();
    if (this.exactHosts.has(host)) return true;
    if (host.charCodeAt(0) === 0x5b /* [ */) {
      // Not in its canonical form (`[0:0::1]`), or not allowed at all.
      const canonical = canonicalIPv6(host);
      return canonical !== null && canonical !== host && this.exactHosts.has(canonical);
    }
    if (this.#matchesWildcard(host)) return true;
    if (isAscii(host)) return false;
    // An international name as sent (an HTTP/2 :authority may carry one): compare its punycode form.
    const ascii = domainToASCII(host);
    if (ascii.length === 0 || ascii === host) return false;
    return this.exactHosts.has(ascii) || this.#matchesWildcard(ascii);
  }

  #matchesWildcard(host: string): boolean {
    const suffixes = this.wildcardSuffixes;
    for (let i = 0; i < suffixes.length; i++) {
      const suffix = suffixes[i]!;
      // `*.example.com` needs at least one character before `.example.com`: never the apex itself.
      if (host.length > suffix.length && host.endsWith(suffix)) return true;
    }
    return false;
  }
}
