/**
 * Network endpoints: where a listener is bound and who a connection talks to.
 *
 * @module
 */

/** An IP endpoint. `family` is 4 or 6. */
export interface IPEndPoint {
  readonly kind: "ip";
  readonly address: string;
  readonly port: number;
  readonly family: 4 | 6;
}

/** A Unix domain socket path. */
export interface UnixEndPoint {
  readonly kind: "unix";
  readonly path: string;
}

/** Where a listener is bound or a connection comes from: an IP address and port, or a Unix socket path. */
export type EndPoint = IPEndPoint | UnixEndPoint;

/** An IP endpoint; the family is 6 when the address contains `:`, else 4. */
export function ipEndPoint(address: string, port: number): IPEndPoint {
  return { kind: "ip", address, port, family: address.includes(":") ? 6 : 4 };
}

/** A Unix domain socket endpoint. */
export function unixEndPoint(path: string): UnixEndPoint {
  return { kind: "unix", path };
}

/** `127.0.0.1:80`, `[::1]:80` or `unix:/path`. */
export function formatEndPoint(endPoint: EndPoint): string {
  if (endPoint.kind === "unix") return `unix:${endPoint.path}`;
  return endPoint.family === 6 ? `[${endPoint.address}]:${endPoint.port}` : `${endPoint.address}:${endPoint.port}`;
}
