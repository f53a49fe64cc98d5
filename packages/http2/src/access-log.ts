/**
 * Access log entries for HTTP/2 streams: the app's responses and the
 * streams the server answers itself (431, 413).
 *
 * @module
 */
import type { AccessLog, ConnectionInfo } from "@x/abstractions";
import type { HeaderField } from "./hpack.js";

/** Now, when the access log is on; -1 otherwise (the clock is not read). */
export function accessLogStart(log: AccessLog | null): number {
  return log !== null && log.sink !== null ? performance.now() : -1;
}

export function writeAccessLog(
  log: AccessLog,
  request: { method: string; path: string },
  startedAt: number,
  connection: ConnectionInfo,
  outcome: { status: number; bytes: number; rejected: boolean; aborted: boolean },
): void {
  log.write({
    method: request.method,
    path: request.path,
    status: outcome.status,
    bytes: outcome.bytes,
    durationMs: startedAt < 0 ? 0 : performance.now() - startedAt,
    protocol: "HTTP/2",
    connectionId: connection.id,
    remoteAddress: connection.remoteAddress,
    rejected: outcome.rejected,
    aborted: outcome.aborted,
  });
}

/** `:method` and `:path` of a request the server rejects before validating it (they may be missing). */
export function pseudoHeadersOf(fields: readonly HeaderField[]): { method: string; path: string } {
  let method = "";
  let path = "";
  for (const field of fields) {
    if (field.name === ":method") method = field.value;
    else if (field.name === ":path") path = field.value;
    if (method !== "" && path !== "") break;
  }
  return { method, path };
}
