/**
 * What the bridge keeps per connection, found from a request in one
 * `WeakMap` lookup: the connection's socket (node:http gives every request
 * of a connection the same `req.socket`), the exchange in flight, and the
 * request count for `maxRequestsPerSocket`. One 'close' and one 'end'
 * listener per connection tell the exchange in flight that its client went
 * away, where node:http's `abortIncoming` does the same.
 *
 * @module
 */
import { ConnectionTransportFeature, type ConnectionInfo, type HttpContext } from "@x/abstractions";
import { Socket } from "node:net";
import type { Duplex } from "node:stream";

/** An exchange as the connection sees it. */
export interface ConnectionExchange {
  /** The connection closed while the exchange was in flight. */
  onConnectionClosed(): void;
}

/** One connection's bridge state. */
export class ConnectionState {
  /** The connection's current stream (a TLS socket after TLS middleware), or null when unknown. */
  readonly transport: Duplex | null;
  /** The stream as `req.socket`: a real `net.Socket` (or `tls.TLSSocket`), else null. */
  readonly socket: Socket | null;
  /** The addresses of the connection itself (as the socket has them), once a request showed them. */
  ownInfo: ConnectionInfo | null = null;
  /** The HTTP/1.x exchange in flight (requests on one connection run one at a time). */
  current: ConnectionExchange | null = null;
  /** Requests seen on this connection (node's `maxRequestsPerSocket`). */
  requests = 0;
  closed = false;

  constructor(transport: Duplex | null) {
    this.transport = transport;
    this.socket = transport instanceof Socket ? transport : null;
    transport?.once("close", onTransportClose.bind(undefined, this));
    transport?.once("end", onTransportEnd.bind(undefined, this));
  }
}

/** Whether `info` is the connection's own addresses, not ones middleware (forwarded headers) put there for one request. */
export function isOwnInfo(state: ConnectionState, info: ConnectionInfo): boolean {
  if (info === state.ownInfo) return true;
  const socket = state.socket;
  if (socket === null || info.remoteAddress !== (socket.remoteAddress ?? null) || info.remotePort !== (socket.remotePort ?? 0)) return false;
  state.ownInfo = info;
  return true;
}

function onTransportClose(state: ConnectionState): void {
  state.closed = true;
  const current = state.current;
  state.current = null;
  current?.onConnectionClosed();
}

/**
 * The client's FIN: node:http (httpAllowHalfOpen off, its default) aborts the
 * requests in flight (`abortIncoming`) and ends the socket, so `res` closes
 * without 'finish'. A long poll or an event stream learns the client left.
 */
function onTransportEnd(state: ConnectionState): void {
  const current = state.current;
  state.current = null;
  current?.onConnectionClosed();
}

const byInfo = new WeakMap<ConnectionInfo, ConnectionState>();
const byTransport = new WeakMap<object, ConnectionState>();

/** The state of `ctx`'s connection, created on its first request. */
export function connectionStateOf(ctx: HttpContext): ConnectionState {
  const info = ctx.connection;
  let state = byInfo.get(info);
  if (state !== undefined) return state;
  const transport = ctx.features.get(ConnectionTransportFeature) ?? null;
  const key: object = transport?.rawTransport ?? info;
  state = byTransport.get(key);
  if (state === undefined) {
    state = new ConnectionState(transport?.transport ?? null);
    byTransport.set(key, state);
  }
  byInfo.set(info, state);
  return state;
}
