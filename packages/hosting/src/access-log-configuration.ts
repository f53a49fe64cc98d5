/**
 * The access log from configuration: `AccessLog:Enabled` (default false)
 * turns on one structured line per request in the `X.Server.AccessLog`
 * category, including the requests the server rejects itself (400, 408,
 * 413, 414, 431). It follows configuration reloads.
 *
 * @example appsettings.json
 * { "AccessLog": { "Enabled": true } }
 *
 * @module
 */
import type { AccessLog, AccessLogEntry, AccessLogSink, Logger } from "@x/abstractions";
import { type Configuration, getBoolean } from "./configuration/index.js";

/** The logger category of the access log; its level rules turn it on and off. */
export const ACCESS_LOG_CATEGORY = "X.Server.AccessLog";

/** One info line per request: the fields structured, the message readable. */
export function accessLogSink(logger: Logger): AccessLogSink {
  return (entry: AccessLogEntry) => {
    const { method, path, protocol, status } = entry;
    logger.info(
      {
        method,
        path,
        status,
        bytes: entry.bytes,
        durationMs: Math.round(entry.durationMs * 1000) / 1000,
        protocol,
        connectionId: entry.connectionId,
        remoteAddress: entry.remoteAddress,
        rejected: entry.rejected,
        aborted: entry.aborted,
      },
      `${method || "-"} ${path || "-"} ${protocol} ${status}`,
    );
  };
}

/**
 * Sets `sink` when `AccessLog:Enabled` is true and clears it when false; a
 * sink the app set in code is left alone. Throws naming the key for a
 * value that is not a boolean.
 */
export function applyAccessLogConfiguration(configuration: Configuration, accessLog: AccessLog, sink: AccessLogSink): void {
  const enabled = getBoolean(configuration, "AccessLog:Enabled") ?? false;
  if (enabled) {
    if (accessLog.sink === null) accessLog.sink = sink;
  } else if (accessLog.sink === sink) {
    accessLog.sink = null;
  }
}
