/**
 * The `X-Forwarded-For` entry grammar, as .NET's `IPEndPoint.TryParse`:
 * `1.2.3.4`, `1.2.3.4:80`, `::1` (an unbracketed IPv6 address never has a
 * port), `[::1]` and `[::1]:80`. The port is 0-65535, 0 when absent.
 *
 * @module
 */
import { type IpAddress, parseIpAddress } from "./ip-address.js";

export interface ParsedIpEndPoint {
  readonly address: IpAddress;
  readonly port: number;
}

/** Longest text worth parsing: a bracketed IPv6 address with a zone and a port. */
const MAX_ENDPOINT_LENGTH = 110;

function parsePort(text: string): number {
  if (text.length === 0 || text.length > 5) return -1;
  let port = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    port = port * 10 + (c - 0x30);
  }
  return port <= 65535 ? port : -1;
}

/** Parses an IP endpoint, or returns null. Never throws. */
export function parseIpEndPoint(text: string): ParsedIpEndPoint | null {
  if (text.length === 0 || text.length > MAX_ENDPOINT_LENGTH) return null;
  if (text.charCodeAt(0) === 0x5b) {
    // [v6] or [v6]:port
    const close = text.indexOf("]");
    if (close === -1) return null;
    const address = parseIpAddress(text.slice(1, close));
    if (address === null || address.family !== 6) return null;
    if (close === text.length - 1) return { address, port: 0 };
    if (text.charCodeAt(close + 1) !== 0x3a) return null;
    const port = parsePort(text.slice(close + 2));
    return port === -1 ? null : { address, port };
  }
  const lastColon = text.lastIndexOf(":");
  if (lastColon !== -1 && text.indexOf(":") === lastColon) {
    // One colon: IPv4 and a port.
    const address = parseIpAddress(text.slice(0, lastColon));
    if (address === null || address.family !== 4) return null;
    const port = parsePort(text.slice(lastColon + 1));
    return port === -1 ? null : { address, port };
  }
  // No colon (IPv4) or several (an IPv6 address without brackets, hence without a port).
  const address = parseIpAddress(text);
  return address === null ? null : { address, port: 0 };
}
