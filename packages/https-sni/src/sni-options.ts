/**
 * Per-host-name TLS settings (Kestrel's `Endpoints:{Name}:Sni` section and its
 * `SniOptionsSelector`): each entry may carry its own certificate, TLS
 * versions, client certificate mode and ALPN protocols, and falls back to the
 * endpoint's settings for what it leaves out.
 *
 * Matching, as Kestrel does it: an exact name first (case-insensitive), then
 * the longest `*.suffix` wildcard (which matches subdomains, never the bare
 * suffix), then `*`, which also serves clients that sent no SNI. No match
 * closes the connection.
 *
 * @module
 */
import { domainToASCII } from "node:url";
import { OptionsValidationError } from "@x/abstractions";
import type { ServerCertificate } from "./certificate.js";
import type { ClientCertificateMode, SslProtocolName } from "./https-options.js";

/** One SNI entry; anything left out comes from the endpoint's HTTPS options. */
export interface SniOptions {
  readonly serverCertificate?: ServerCertificate;
  readonly sslProtocols?: readonly SslProtocolName[] | number;
  readonly clientCertificateMode?: ClientCertificateMode;
  /** ALPN protocols for this name, most preferred first (the server derives them from the entry's `Protocols`). */
  readonly alpnProtocols?: readonly string[];
}

/** Host name (`a.example.com`, `*.example.com` or `*`) to its settings. */
export type SniMap = Readonly<Record<string, SniOptions>>;

/** The SNI entry a connection uses, with the name it matched. */
export interface SniMatch<T = SniOptions> {
  readonly pattern: string;
  readonly options: T;
}

/** Lower-case ASCII (punycode) form of a host name, so `BÜCHER.example` and `xn--bcher-kva.example` match. */
function normalizeName(name: string): string {
  const lower = name.toLowerCase();
  // domainToASCII returns "" for names it cannot convert; keep those as typed.
  return domainToASCII(lower) || lower;
}

/** Finds the entry for a host name; `T` is what an entry holds (resolved settings in the middleware). */
export class SniOptionsSelector<T = SniOptions> {
  readonly #exact = new Map<string, SniMatch<T>>();
  /** `.suffix` (the `*` dropped, the dot kept) to its entry, longest suffix first. */
  readonly #wildcards: Array<readonly [string, SniMatch<T>]> = [];
  readonly #any: SniMatch<T> | undefined;

  /** @throws OptionsValidationError for an empty map, a duplicate or a malformed name. */
  constructor(map: Readonly<Record<string, T>>) {
    const names = Object.keys(map);
    if (names.length === 0) throw new OptionsValidationError("The SNI map has no entries", "Sni");
    let any: SniMatch<T> | undefined;
    for (const pattern of names) {
      const match: SniMatch<T> = { pattern, options: map[pattern]! };
      if (pattern === "*") {
        any = match;
      } else if (pattern.startsWith("*.")) {
        const suffix = normalizeName(pattern.slice(1));
        if (suffix.length < 2 || suffix.includes("*")) throw new OptionsValidationError(`Invalid SNI wildcard '${pattern}'`, `Sni:${pattern}`);
        this.#wildcards.push([suffix, match]);
      } else {
        if (pattern.length === 0 || pattern.includes("*")) {
          throw new OptionsValidationError(`Invalid SNI host name '${pattern}': use a name, '*.suffix' or '*'`, `Sni:${pattern}`);
        }
        const name = normalizeName(pattern);
        // Names are case-insensitive: `A.test` and `a.test` in one map would be ambiguous.
        if (this.#exact.has(name)) throw new OptionsValidationError(`Duplicate SNI host name '${pattern}'`, `Sni:${pattern}`);
        this.#exact.set(name, match);
      }
    }
    this.#wildcards.sort((a, b) => b[0].length - a[0].length);
    this.#any = any;
  }

  /** Every entry, for validating and warming their certificates at startup. */
  get entries(): SniMatch<T>[] {
    return [...this.#exact.values(), ...this.#wildcards.map(([, m]) => m), ...(this.#any ? [this.#any] : [])];
  }

  /** The entry for `serverName` (null when the client sent no SNI), or undefined when none matches. */
  select(serverName: string | null): SniMatch<T> | undefined {
    if (serverName !== null && serverName !== "") {
      const name = normalizeName(serverName);
      const exact = this.#exact.get(name);
      if (exact !== undefined) return exact;
      for (const [suffix, match] of this.#wildcards) {
        if (name.length > suffix.length && name.endsWith(suffix)) return match;
      }
    }
    return this.#any;
  }
}
