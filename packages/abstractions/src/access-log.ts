/**
 * The access log switch the server hands to its protocol handlers: one
 * entry per request, including the ones the server answers itself (400,
 * 408, 413, 414, 431) before the application sees them. Off by default;
 * while no sink is set the handlers do not even read the clock.
 *
 * @module
 */

/** One request as the access log sees it. */
export interface AccessLogEntry {
  /** The request method; empty when the request line never arrived whole. */
  readonly method: string;
  /** The request target as received (path and query); empty when unknown. */
  readonly path: string;
  /** The status sent (the app's, or the server's for rejected requests and failures). */
  readonly status: number;
  /** Response body bytes written, after any framing was removed. */
  readonly bytes: number;
  /** From the first byte of the request head to the end of the response, in milliseconds. */
  readonly durationMs: number;
  /** `HTTP/1.0`, `HTTP/1.1` or `HTTP/2`. */
  readonly protocol: string;
  readonly connectionId: string;
  /** The peer's address (the connection's, not a forwarded one). */
  readonly remoteAddress: string | null;
  /** True when the server answered without running the application. */
  readonly rejected: boolean;
  /** True when the connection or stream was aborted before the response completed. */
  readonly aborted: boolean;
}

/** Receives one access log entry per completed request. */
export type AccessLogSink = (entry: AccessLogEntry) => void;

/**
 * A mutable switch shared by the server and its connections: set `sink` to
 * turn the access log on (a configuration reload may turn it off again).
 *
 * @example
 * server.options.accessLog.sink = (entry) => logger.info(entry, "request");
 */
export class AccessLog {
  /** Where entries go; null turns the access log off. */
  sink: AccessLogSink | null = null;

  /** Hands an entry to the sink; a throwing sink never disturbs the connection. */
  write(entry: AccessLogEntry): void {
    const sink = this.sink;
    if (sink === null) return;
    try {
      sink(entry);
    } catch {
      // The access log is diagnostics: losing a line beats failing a request.
    }
  }
}
