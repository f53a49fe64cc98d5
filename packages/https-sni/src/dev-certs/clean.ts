/**
 * `x-dev-certs https --clean`: remove the development certificate.
 *
 * @module
 */
import { rmSync } from "node:fs";
import { developmentCertificatePaths } from "./paths.js";

/**
 * Removes the development certificate and its key from `directory`. Returns
 * whether there was anything to remove; no error when the files are absent.
 * Files exported with {@link exportDevelopmentCertificate} are left alone.
 *
 * @example
 * cleanDevelopmentCertificate(); // true the first time, false after
 */
export function cleanDevelopmentCertificate(directory?: string): boolean {
  const { certificatePath, keyPath } = developmentCertificatePaths(directory);
  let removed = false;
  for (const path of [certificatePath, keyPath]) {
    try {
      rmSync(path);
      removed = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  return removed;
}
