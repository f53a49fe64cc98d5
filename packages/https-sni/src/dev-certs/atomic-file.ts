/**
 * Writing a file so that a concurrent reader sees the old content or the new
 * one, never half of it: write a temporary file next to it, then rename.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { closeSync, fchmodSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/**
 * Replaces `path` with `data` atomically (same-directory rename). The file
 * gets exactly `mode` (not masked by the umask), so a key written with 0o600
 * is never readable by others, not even for a moment.
 */
export function writeFileAtomic(path: string, data: string | Buffer, mode: number): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  const fd = openSync(temporary, "wx", 0o600);
  try {
    try {
      fchmodSync(fd, mode);
      writeSync(fd, typeof data === "string" ? Buffer.from(data, "utf8") : data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
