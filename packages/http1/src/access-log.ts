/**
 * Access log entries for HTTP/1.x requests: the app's responses and the
 * server's own rejections (400, 408, 413, 414, 431, 505).
 *
 * @module
 */
import type { AccessLog, ConnectionInfo } from "@x/abstractions";
import type { RequestHead } from "./request-head.js";

/** The time the first byte of a head arrived, or -1 when the log was off then. */
export function accessLogStart(log: AccessLog | null): number {
  return log !== null && log.sink !== null ? performance.now() : -1;
}

export function writeAccessLog(
  log: AccessLog,
  head: RequestHead | null,
  startedAt: number,
  connection: ConnectionInfo,
  outcome: { status: number; bytes: number; rejected: boolean; aborted: boolean },
): void {
  // A rejection can come before the request line was read whole: method and target are then unknown.
  const lineRead = head !== null && head.method !== "";
  log.write({
    method: lineRead ? head.method : "",
    path: lineRead ? head.rawTarget : "",
    status: outcome.status,
    bytes: outcome.bytes,
    durationMs: startedAt < 0 ? 0 : performance.now() - startedAt,
    protocol: lineRead && head.versionMinor === 0 ? "HTTP/1.0" : "HTTP/1.1",
    connectionId: connection.id,
    remoteAddress: connection.remoteAddress,
    rejected: outcome.rejected,
    aborted: outcome.aborted,
  });
}
