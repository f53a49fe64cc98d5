/**
 * A lock file so that two processes creating the development certificate at
 * the same time do not end up with one's certificate next to the other's key.
 *
 * @module
 */
import { closeSync, openSync, rmSync, statSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

/** A lock older than this is left over from a crashed process and is taken over. */
const STALE_AFTER_MS = 30_000;
const POLL_MS = 50;

function tryAcquire(path: string): boolean {
  try {
    closeSync(openSync(path, "wx", 0o600));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return false;
  }
}

function isStale(path: string): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs > STALE_AFTER_MS;
  } catch {
    return false; // released meanwhile
  }
}

/**
 * Runs `action` while holding the lock file `path` (created exclusively,
 * removed afterwards). Waits for another holder; takes over a lock older than
 * 30 s; gives up after `timeoutMs`.
 */
export async function withLockFile<T>(path: string, action: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (!tryAcquire(path)) {
    if (isStale(path)) rmSync(path, { force: true });
    else if (Date.now() > deadline) throw new Error(`Timed out waiting for the lock file '${path}'`);
    else await sleep(POLL_MS);
  }
  try {
    return await action();
  } finally {
    rmSync(path, { force: true });
  }
}
