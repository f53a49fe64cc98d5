/**
 * What an `X-Forwarded-Proto` or `X-Forwarded-Host` value may be, and which
 * forwarded hosts are allowed: ASP.NET Core's scheme and host character
 * checks and its `HostString.MatchesAny`.
 *
 * @module
 */
import { domainToASCII } from "node:url";

function isAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** RFC 3986 §3.1: `scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`. */
export function isValidScheme(value: string): boolean {
  if (value.length === 0 || !isAlpha(value.charCodeAt(0))) return false;
  for (let i = 1; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (!isAlpha(c) && !isDigit(c) && c !== 0x2b && c !== 0x2d && c !== 0x2e) return false;
  }
  return true;
}

// Host characters as Kestrel and Http.Sys accept them: RFC 3986 reg-name without
// "*" / "+" / "," / ";" / "=" and percent-encoding.
const HOST_CHARS = new Uint8Array(128);
for (const c of "!$&'()-._~") HOST_CHARS[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) HOST_CHARS[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) HOST_CHARS[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) HOST_CHARS[c] = 1;

function isHostChar(c: number): boolean {
  return c < 128 && HOST_CHARS[c] === 1;
}

function isIPv6HostChar(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66) || c === 0x3a || c === 0x2e;
}

/** `:digits` from `offset` to the end. */
function isPortSuffix(value: string, offset: number): boolean {
  if (value.charCodeAt(offset) !== 0x3a || value.length === offset + 1) return false;
  for (let i = offset + 1; i < value.length; i++) if (!isDigit(value.charCodeAt(i))) return false;
  return true;
}

/**
 * A host as ASP.NET Core's forwarded-headers middleware accepts it: a name
 * (or IPv4 address) of host characters, or `[IPv6]`, then an optional
 * `:port`. Spaces, `/`, `?`, `#`, `@`, `%` and the like are refused.
 */
export function isValidHost(value: string): boolean {
  if (value.length === 0) return false;
  const first = value.charCodeAt(0);
  if (first === 0x5b) {
    let i = 1;
    while (i < value.length && isIPv6HostChar(value.charCodeAt(i))) i++;
    // `[::1]` is the shortest IPv6 host.
    if (i >= value.length || value.charCodeAt(i) !== 0x5d || i - 1 < 3) return false;
    return i + 1 === value.length || isPortSuffix(value, i + 1);
  }
  if (first === 0x3a) return false; // only a port
  let i = 0;
  while (i < value.length && isHostChar(value.charCodeAt(i))) i++;
  return i === value.length || isPortSuffix(value, i);
}

/** The host part of `host[:port]` or `[v6][:port]`. */
function hostPart(value: string): string {
  if (value.charCodeAt(0) === 0x5b) {
    const close = value.indexOf("]");
    return close === -1 ? value : value.slice(0, close + 1);
  }
  const colon = value.indexOf(":");
  return colon === -1 ? value : value.slice(0, colon);
}

/** Lower-case ASCII (punycode) form, so `BÜCHER.example` and `xn--bcher-kva.example` compare equal. */
function normalizeHost(host: string): string {
  const lower = host.toLowerCase();
  if (/^[\x00-\x7f]*$/.test(lower)) return lower;
  // domainToASCII returns "" for what it cannot convert; keep those as typed.
  return domainToASCII(lower) || lower;
}

/**
 * The `allowedHosts` option: exact names (case-insensitive, the port ignored)
 * and `*.suffix` wildcards, which match subdomains only, never the bare
 * suffix. Empty, `*`, `[::]` or `0.0.0.0` allow every host.
 */
export class AllowedHosts {
  /** True when any host is allowed: no patterns, or one of `*`, `[::]`, `0.0.0.0`. */
  readonly allowAll: boolean;
  readonly #exact = new Set<string>();
  /** `.suffix` of each `*.suffix` pattern, lower case. */
  readonly #suffixes: string[] = [];

  /** `patterns` are host names (port ignored), `*.suffix` wildcards, or `*`; an empty list allows every host. */
  constructor(patterns: readonly string[]) {
    let allowAll = patterns.length === 0;
    for (const pattern of patterns) {
      if (pattern === "*" || pattern === "[::]" || pattern === "0.0.0.0") allowAll = true;
      else if (pattern.startsWith("*.")) this.#suffixes.push(normalizeHost(pattern.slice(1)));
      else this.#exact.add(normalizeHost(hostPart(pattern)));
    }
    this.allowAll = allowAll;
  }

  /** True when `value` (`host[:port]`, already validated) matches a pattern. */
  matches(value: string): boolean {
    if (this.allowAll) return true;
    const host = normalizeHost(hostPart(value));
    if (this.#exact.has(host)) return true;
    for (const suffix of this.#suffixes) {
      if (host.length > suffix.length && host.endsWith(suffix)) return true;
    }
    return false;
  }
}
