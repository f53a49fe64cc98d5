/**
 * node's `server.listen(...)` argument forms (net.Server's), normalised:
 * `listen()`, `listen(port[, host][, backlog][, cb])`, `listen(path[, backlog][, cb])`,
 * `listen({ port, host, path, backlog, signal, ... }[, cb])`.
 *
 * @module
 */
import { invalidArgValue } from "./node-errors.js";

/** Where to listen. */
export type ListenTarget =
  | { readonly kind: "tcp"; readonly port: number; readonly host: string | undefined; readonly ipv6Only: boolean }
  | { readonly kind: "unix"; readonly path: string };

/** A normalised `listen` call. */
export interface ListenCall {
  readonly target: ListenTarget;
  readonly callback: (() => void) | undefined;
  readonly signal: AbortSignal | undefined;
}

/** node's `net.Server` options object for `listen`. */
export interface ListenOptionsObject {
  port?: number | string;
  host?: string;
  path?: string;
  backlog?: number;
  exclusive?: boolean;
  ipv6Only?: boolean;
  readableAll?: boolean;
  writableAll?: boolean;
  signal?: AbortSignal;
}

function toPort(value: unknown): number {
  const port = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw Object.assign(new RangeError(`options.port should be >= 0 and < 65536. Received ${typeof value === "string" ? `type string ('${value}')` : String(value)}.`), {
      code: "ERR_SOCKET_BAD_PORT",
    });
  }
  return port;
}

function isPortLike(value: unknown): boolean {
  return typeof value === "number" || (typeof value === "string" && value.trim() !== "" && /^\d+$/.test(value.trim()));
}

/** Parses the arguments of a `listen` call as `net.Server#listen` does. */
export function parseListenArguments(args: readonly unknown[]): ListenCall {
  const list = args.slice();
  const callback = typeof list[list.length - 1] === "function" ? (list.pop() as () => void) : undefined;
  const first = list[0];
  if (first === undefined || first === null) return { target: { kind: "tcp", port: 0, host: undefined, ipv6Only: false }, callback, signal: undefined };
  if (typeof first === "object") {
    const o = first as ListenOptionsObject;
    if (typeof o.path === "string" && o.path !== "") return { target: { kind: "unix", path: o.path }, callback, signal: o.signal };
    if (o.port !== undefined || o.host !== undefined || Object.keys(o).length === 0 || o.signal !== undefined) {
      return { target: { kind: "tcp", port: o.port === undefined ? 0 : toPort(o.port), host: o.host, ipv6Only: o.ipv6Only === true }, callback, signal: o.signal };
    }
    throw invalidArgValue("options", JSON.stringify(first), 'must have the property "port" or "path"');
  }
  if (isPortLike(first)) {
    const host = typeof list[1] === "string" ? list[1] : undefined;
    return { target: { kind: "tcp", port: toPort(first), host, ipv6Only: false }, callback, signal: undefined };
  }
  if (typeof first === "string") return { target: { kind: "unix", path: first }, callback, signal: undefined };
  throw invalidArgValue("options", String(first), "is invalid");
}
