/**
 * `stdoutLogEnabled` in-process: the app writes to the front's own stdout
 * and stderr, so those are copied to the stdout log file while the app is
 * loaded (`{stdoutLogFile}_{yyyyMMddHHmmss}_{pid}.log`, the front's pid, as
 * ANCM names it in-process). They still reach the console too: the front's
 * own log goes there.
 *
 * @module
 */
import { AppOutput } from "./process/app-output.js";

type Write = typeof process.stdout.write;

/** Copies everything written to `process.stdout` and `process.stderr` into a log file at `prefix`, until the returned close. */
export function copyProcessOutput(prefix: string): { readonly fileName: string | null; readonly fileError: Error | null; close(): Promise<void> } {
  const output = new AppOutput(prefix);
  output.openLogFile(process.pid);
  const restores = [process.stdout, process.stderr].map((stream) => {
    const original: Write = stream.write;
    const copying = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
      try {
        const encoding = typeof rest[0] === "string" ? (rest[0] as BufferEncoding) : "utf8";
        output.write(typeof chunk === "string" ? Buffer.from(chunk, encoding) : Buffer.from(chunk as Uint8Array));
      } catch {
        // The copy must never break the front's own output.
      }
      return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as Write;
    stream.write = copying;
    return () => {
      if (stream.write === copying) stream.write = original;
    };
  });
  return {
    get fileName() {
      return output.fileName;
    },
    get fileError() {
      return output.fileError;
    },
    close() {
      for (const restore of restores) restore();
      return output.close();
    },
  };
}
