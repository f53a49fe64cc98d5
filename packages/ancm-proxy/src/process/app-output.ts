/**
 * Where an app process's stdout and stderr go: with `stdoutLogEnabled`, a
 * file named as ANCM names it (`{stdoutLogFile}_{yyyyMMddHHmmss}_{pid}.log`,
 * folders created); always, the first 30 KB in memory for the startup
 * failure log and error page.
 *
 * @module
 */
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { dirname } from "node:path";

/** ANCM keeps this much of a failed start's output. */
export const STARTUP_OUTPUT_LIMIT = 30 * 1024;

/** `{prefix}_{yyyyMMddHHmmss}_{pid}.log`, in local time as ANCM writes it. */
export function stdoutLogFileName(prefix: string, pid: number, at: Date = new Date()): string {
  const p = (n: number, width = 2) => String(n).padStart(width, "0");
  const stamp = `${p(at.getFullYear(), 4)}${p(at.getMonth() + 1)}${p(at.getDate())}${p(at.getHours())}${p(at.getMinutes())}${p(at.getSeconds())}`;
  return `${prefix}_${stamp}_${pid}.log`;
}

/** An app process's stdout and stderr: the first {@link STARTUP_OUTPUT_LIMIT} bytes kept in memory, all of it to the stdout log file when enabled. */
export class AppOutput {
  readonly #chunks: Buffer[] = [];
  #captured = 0;
  #file: WriteStream | null = null;
  #pending: Buffer[] | null;
  readonly #logPrefix: string | null;
  #fileName: string | null = null;
  #fileError: Error | null = null;

  /** `logPrefix` set: write to a log file once the pid is known. */
  constructor(logPrefix: string | null) {
    this.#logPrefix = logPrefix;
    this.#pending = logPrefix === null ? null : [];
  }

  /** The log file's path, once opened. */
  get fileName(): string | null {
    return this.#fileName;
  }

  /** Why the log file could not be written, if it could not. */
  get fileError(): Error | null {
    return this.#fileError;
  }

  /** The first 30 KB written, as text. */
  get startupOutput(): string {
    return Buffer.concat(this.#chunks).toString("utf8");
  }

  /** Opens `{prefix}_{stamp}_{pid}.log` and writes what arrived before the pid was known. */
  openLogFile(pid: number): void {
    if (this.#logPrefix === null || this.#file !== null || this.#fileError !== null) return;
    const name = stdoutLogFileName(this.#logPrefix, pid);
    try {
      mkdirSync(dirname(name), { recursive: true });
      const file = createWriteStream(name, { flags: "a" });
      file.on("error", (error) => {
        this.#fileError = error;
        this.#file = null;
      });
      this.#file = file;
      this.#fileName = name;
      for (const chunk of this.#pending ?? []) file.write(chunk);
    } catch (error) {
      this.#fileError = error as Error;
    }
    this.#pending = null;
  }

  /** Takes a chunk of the process's output. */
  write(chunk: Buffer): void {
    if (this.#captured < STARTUP_OUTPUT_LIMIT) {
      const part = chunk.subarray(0, STARTUP_OUTPUT_LIMIT - this.#captured);
      this.#chunks.push(part);
      this.#captured += part.length;
    }
    if (this.#file !== null) this.#file.write(chunk);
    else this.#pending?.push(chunk);
  }

  /** Flushes and closes the log file, if any. */
  close(): Promise<void> {
    const file = this.#file;
    this.#file = null;
    if (file === null) return Promise.resolve();
    return new Promise((resolve) => file.end(resolve));
  }
}
