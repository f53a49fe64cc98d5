/**
 * Where the development certificate lives: one directory per user, holding
 * `localhost.pem` (the certificate) and `localhost.key` (its private key).
 *
 * @module
 */
import { homedir } from "node:os";
import { join } from "node:path";

/** File name of the development certificate inside its directory. */
export const DEVELOPMENT_CERTIFICATE_FILE = "localhost.pem";

/** File name of the development certificate's private key inside its directory. */
export const DEVELOPMENT_KEY_FILE = "localhost.key";

/** The two files that make up the development certificate. */
export interface DevelopmentCertificatePaths {
  readonly directory: string;
  /** `<directory>/localhost.pem`. */
  readonly certificatePath: string;
  /** `<directory>/localhost.key`, written with mode 0600. */
  readonly keyPath: string;
}

/**
 * The directory of the development certificate: `$X_DEV_CERTS_HOME` when set
 * (and not empty), otherwise `~/.x/dev-certs/https` (the home directory
 * follows `HOME` on POSIX systems).
 *
 * @example
 * developmentCertificateDirectory({ X_DEV_CERTS_HOME: "/tmp/certs" }); // "/tmp/certs"
 */
export function developmentCertificateDirectory(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.X_DEV_CERTS_HOME;
  if (override !== undefined && override !== "") return override;
  return join(homedir(), ".x", "dev-certs", "https");
}

/** The certificate and key paths in `directory` (default: {@link developmentCertificateDirectory}). */
export function developmentCertificatePaths(directory: string = developmentCertificateDirectory()): DevelopmentCertificatePaths {
  return {
    directory,
    certificatePath: join(directory, DEVELOPMENT_CERTIFICATE_FILE),
    keyPath: join(directory, DEVELOPMENT_KEY_FILE),
  };
}
