/**
 * Options of the socket transport, their Kestrel defaults and validation.
 *
 * @module
 */
import { type Logger, nullLogger, OptionsValidationError } from "@x/abstractions";

/** Options for {@link SocketTransportFactory}. */
export interface SocketTransportOptions {
  /**
   * Disables Nagle's algorithm on accepted TCP sockets. Default `true`
   * (Kestrel `SocketTransportOptions.NoDelay`): HTTP writes whole responses,
   * so waiting to coalesce small segments only adds latency.
   */
  noDelay?: boolean;
  /**
   * Maximum length of the queue of connections not yet accepted. Default
   * `512` (Kestrel `SocketTransportOptions.Backlog`); the kernel may cap it
   * (`net.core.somaxconn` on Linux).
   */
  backlog?: number;
  /** Receives listener errors and per-connection socket errors. Default: discard. */
  logger?: Logger;
}

/** {@link SocketTransportOptions} with every default filled in. */
export interface ResolvedSocketTransportOptions {
  readonly noDelay: boolean;
  readonly backlog: number;
  readonly logger: Logger;
}

/** Kestrel `SocketTransportOptions.NoDelay`. */
const kDefaultNoDelay = true;
/** Kestrel `SocketTransportOptions.Backlog`. */
const kDefaultBacklog = 512;

/** Fills in defaults and rejects invalid values at construction, not at bind. */
export function resolveSocketTransportOptions(options: SocketTransportOptions = {}): ResolvedSocketTransportOptions {
  const noDelay = options.noDelay ?? kDefaultNoDelay;
  if (typeof noDelay !== "boolean") {
    throw new OptionsValidationError("noDelay must be a boolean.", "noDelay");
  }
  const backlog = options.backlog ?? kDefaultBacklog;
  if (!Number.isInteger(backlog) || backlog < 0) {
    throw new OptionsValidationError(`backlog must be a non-negative integer, got ${backlog}.`, "backlog");
  }
  return Object.freeze({ noDelay, backlog, logger: options.logger ?? nullLogger });
}
