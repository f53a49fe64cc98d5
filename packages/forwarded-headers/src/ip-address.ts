/**
 * IP address parsing and formatting for the forwarded-headers middleware:
 * strict dotted-decimal IPv4 and RFC 4291 §2.2 IPv6 text forms (with an
 * embedded IPv4 tail and an optional `%zone`), canonical output (RFC 5952),
 * and the IPv4-mapped IPv6 form (`::ffff:a.b.c.d`, RFC 4291 §2.5.5.2).
 *
 * @module
 */

/** An IP address as bytes: 4 for IPv4, 16 for IPv6. */
export interface IpAddress {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
  /** The IPv6 zone (scope) id after `%`, or empty. Ignored by comparisons. */
  readonly zone: string;
}

/** Longer than any IPv6 text form with a reasonable zone id: refused without scanning. */
const MAX_ADDRESS_LENGTH = 100;

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/**
 * Four decimal octets, 0-255, no leading zeros (as `net.isIPv4`; `010` would
 * be octal to some parsers and decimal to others), written into `out` at `offset`.
 */
function parseIPv4Into(text: string, start: number, end: number, out: Uint8Array, offset: number): boolean {
  let octet = 0;
  let digits = 0;
  let index = 0;
  for (let i = start; i <= end; i++) {
    const c = i === end ? 0x2e : text.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || index > 3) return false;
      out[offset + index++] = octet;
      octet = 0;
      digits = 0;
    } else if (isDigit(c)) {
      if (digits > 0 && octet === 0) return false; // leading zero
      octet = octet * 10 + (c - 0x30);
      if (++digits > 3 || octet > 255) return false;
    } else {
      return false;
    }
  }
  return index === 4;
}

function parseIPv6Into(text: string, start: number, end: number, out: Uint8Array): boolean {
  // Up to 8 groups; `::` marks where the zero run goes.
  const groups: number[] = [];
  let gap = -1;
  let i = start;
  if (i === end) return false;
  if (text.charCodeAt(i) === 0x3a) {
    if (i + 1 >= end || text.charCodeAt(i + 1) !== 0x3a) return false;
    gap = 0;
    i += 2;
    if (i === end) {
      out.fill(0);
      return true;
    }
  }
  let ipv4Tail = false;
  while (i < end) {
    let value = 0;
    let digits = 0;
    const groupStart = i;
    while (i < end) {
      const h = hexValue(text.charCodeAt(i));
      if (h < 0) break;
      value = (value << 4) | h;
      i++;
      if (++digits > 4) return false;
    }
    if (i < end && text.charCodeAt(i) === 0x2e) {
      // An IPv4 tail takes the last 32 bits.
      if (groups.length > 6) return false;
      const tail = new Uint8Array(4);
      if (!parseIPv4Into(text, groupStart, end, tail, 0)) return false;
      groups.push((tail[0]! << 8) | tail[1]!, (tail[2]! << 8) | tail[3]!);
      ipv4Tail = true;
      i = end;
      break;
    }
    if (digits === 0) return false;
    groups.push(value);
    if (i === end) break;
    if (text.charCodeAt(i) !== 0x3a) return false;
    i++;
    if (i < end && text.charCodeAt(i) === 0x3a) {
      if (gap !== -1) return false; // a second `::`
      gap = groups.length;
      i++;
      if (i === end) break;
    } else if (i === end) {
      return false; // trailing single `:`
    }
  }
  if (ipv4Tail && i !== end) return false;
  if (gap === -1) {
    if (groups.length !== 8) return false;
  } else if (groups.length > 7) {
    return false;
  }
  const zeros = gap === -1 ? 0 : 8 - groups.length;
  let g = 0;
  for (let k = 0; k < 8; k++) {
    let value: number;
    if (gap !== -1 && k >= gap && k < gap + zeros) value = 0;
    else value = groups[g++]!;
    out[k * 2] = value >> 8;
    out[k * 2 + 1] = value & 0xff;
  }
  return true;
}

/** Parses an IPv4 or IPv6 address (no brackets, no port), or returns null. Never throws. */
export function parseIpAddress(text: string): IpAddress | null {
  if (typeof text !== "string" || text.length === 0 || text.length > MAX_ADDRESS_LENGTH) return null;
  if (text.includes(":")) {
    let end = text.length;
    let zone = "";
    const percent = text.indexOf("%");
    if (percent !== -1) {
      zone = text.slice(percent + 1);
      if (zone.length === 0 || !/^[0-9A-Za-z_.-]+$/.test(zone)) return null;
      end = percent;
    }
    const bytes = new Uint8Array(16);
    return parseIPv6Into(text, 0, end, bytes) ? { family: 6, bytes, zone } : null;
  }
  const bytes = new Uint8Array(4);
  return parseIPv4Into(text, 0, text.length, bytes, 0) ? { family: 4, bytes, zone: "" } : null;
}

/** True for `::ffff:a.b.c.d`. */
export function isIPv4Mapped(address: IpAddress): boolean {
  if (address.family !== 6) return false;
  const b = address.bytes;
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** The IPv4 address inside an IPv4-mapped IPv6 address, or null for any other address. */
export function mappedIPv4(address: IpAddress): IpAddress | null {
  return isIPv4Mapped(address) ? { family: 4, bytes: address.bytes.slice(12, 16), zone: "" } : null;
}

/** True when both are the same family and bytes (zones ignored). */
export function ipAddressEquals(a: IpAddress, b: IpAddress): boolean {
  if (a.family !== b.family) return false;
  for (let i = 0; i < a.bytes.length; i++) if (a.bytes[i] !== b.bytes[i]) return false;
  return true;
}

/** Canonical text: dotted decimal, or RFC 5952 IPv6 (lower case, longest zero run as `::`, mapped as `::ffff:a.b.c.d`). */
export function formatIpAddress(address: IpAddress): string {
  const b = address.bytes;
  if (address.family === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const zone = address.zone === "" ? "" : `%${address.zone}`;
  if (isIPv4Mapped(address)) return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}${zone}`;
  const groups: number[] = [];
  for (let k = 0; k < 8; k++) groups.push((b[k * 2]! << 8) | b[k * 2 + 1]!);
  // The longest run of two or more zero groups, the first one on a tie (RFC 5952 §4.2).
  let bestStart = -1;
  let bestLength = 1;
  for (let k = 0; k < 8; ) {
    if (groups[k] !== 0) {
      k++;
      continue;
    }
    let j = k;
    while (j < 8 && groups[j] === 0) j++;
    if (j - k > bestLength) {
      bestStart = k;
      bestLength = j - k;
    }
    k = j;
  }
  const hex = (from: number, to: number): string =>
    groups
      .slice(from, to)
      .map((g) => g.toString(16))
      .join(":");
  if (bestStart === -1) return hex(0, 8) + zone;
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}${zone}`;
}

/** `a.b.c.d:port` or `[v6]:port`, as .NET's `IPEndPoint.ToString`. */
export function formatIpEndPoint(address: string, port: number): string {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}
