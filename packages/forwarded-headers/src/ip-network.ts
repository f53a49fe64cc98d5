/**
 * CIDR networks (`10.0.0.0/8`, `fd00::/8`), as ASP.NET Core's `IPNetwork`:
 * an address belongs to a network of its own family whose first
 * `prefixLength` bits it shares. An IPv4-mapped IPv6 address is an IPv6
 * address here; the middleware also checks its IPv4 form.
 *
 * @module
 */
import { OptionsValidationError } from "@x/abstractions";
import { formatIpAddress, type IpAddress, parseIpAddress } from "./ip-address.js";

/** An IP network in CIDR form (`10.0.0.0/8`, `fd00::/8`), for `knownNetworks`. */
export class IpNetwork {
  /** The network address, canonical, with the bits after the prefix cleared. */
  readonly prefix: string;
  /** The number of leading bits that must match. */
  readonly prefixLength: number;
  /** IPv4 or IPv6. */
  readonly family: 4 | 6;
  readonly #bytes: Uint8Array;

  /** @internal Use {@link parseIpNetwork}. */
  constructor(address: IpAddress, prefixLength: number) {
    const bytes = address.bytes.slice();
    // Clear the host bits, so `10.1.2.3/8` is the network `10.0.0.0/8`.
    for (let bit = prefixLength; bit < bytes.length * 8; bit++) bytes[bit >> 3] &= ~(0x80 >> (bit & 7));
    this.#bytes = bytes;
    this.family = address.family;
    this.prefixLength = prefixLength;
    this.prefix = formatIpAddress({ family: address.family, bytes, zone: "" });
  }

  /** True when `address` (text or parsed) is of this network's family and inside it. */
  contains(address: string | IpAddress): boolean {
    const ip = typeof address === "string" ? parseIpAddress(address) : address;
    if (ip === null || ip.family !== this.family) return false;
    const whole = this.prefixLength >> 3;
    for (let i = 0; i < whole; i++) if (ip.bytes[i] !== this.#bytes[i]) return false;
    const rest = this.prefixLength & 7;
    if (rest === 0) return true;
    const mask = (0xff << (8 - rest)) & 0xff;
    return (ip.bytes[whole]! & mask) === this.#bytes[whole];
  }

  /** `prefix/prefixLength`. */
  toString(): string {
    return `${this.prefix}/${this.prefixLength}`;
  }
}

/**
 * Parses `address/prefixLength`: IPv4 with a length of 0-32, IPv6 with 0-128.
 *
 * @throws OptionsValidationError naming the value when it is not a CIDR network.
 */
export function parseIpNetwork(cidr: string): IpNetwork {
  const fail = (why: string): never => {
    throw new OptionsValidationError(`Invalid IP network ${JSON.stringify(cidr)}: ${why}`);
  };
  if (typeof cidr !== "string") return fail("expected a string such as '10.0.0.0/8'");
  const slash = cidr.indexOf("/");
  if (slash === -1) return fail("expected 'address/prefixLength', such as '10.0.0.0/8' or 'fd00::/8'");
  const addressText = cidr.slice(0, slash);
  const lengthText = cidr.slice(slash + 1);
  const address = addressText.includes("%") ? null : parseIpAddress(addressText);
  if (address === null) return fail(`'${addressText}' is not an IPv4 or IPv6 address`);
  const max = address.family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(lengthText) || Number(lengthText) > max) {
    return fail(`the prefix length must be a whole number from 0 to ${max}`);
  }
  return new IpNetwork(address, Number(lengthText));
}
