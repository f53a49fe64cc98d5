/**
 * Shared test helpers: temporary directories and bounded waiting.
 *
 * @module
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Logger, LogLevel } from "@x/abstractions";

/** Creates a fresh directory under the OS temp dir. */
export async function makeTempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), "x-config-"));
}

export async function removeDir(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
}

/**
 * Polls `predicate` every 20 ms until it holds, failing after `timeoutMs`.
 * Watch tests use it instead of fixed sleeps.
 */
export async function waitFor(predicate: () => boolean, timeoutMs = 5000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A logger that records calls, for asserting what a failed reload reported. */
export function recordingLogger(): Logger & { records: Array<{ level: LogLevel; args: unknown[] }> } {
  const records: Array<{ level: LogLevel; args: unknown[] }> = [];
  const log =
    (level: LogLevel) =>
    (...args: unknown[]) => {
      records.push({ level, args });
    };
  const logger = {
    records,
    trace: log("trace"),
    debug: log("debug"),
    info: log("info"),
    warn: log("warn"),
    error: log("error"),
    fatal: log("fatal"),
    isLevelEnabled: () => true,
    child: () => logger,
  };
  return logger;
}
