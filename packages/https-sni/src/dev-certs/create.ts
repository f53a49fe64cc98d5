/**
 * `x-dev-certs https`: make sure a valid development certificate exists,
 * creating (or replacing) it when it does not.
 *
 * @module
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { CertificateInfo, PemCertificate } from "../certificate.js";
import { writeFileAtomic } from "./atomic-file.js";
import { checkDevelopmentCertificate, type DevelopmentCertificateStatus, type ValidDevelopmentCertificate } from "./check.js";
import { generateDevelopmentCertificate } from "./generate.js";
import { withLockFile } from "./lock.js";
import { developmentCertificatePaths } from "./paths.js";

/** Options of {@link createDevelopmentCertificate}. */
export interface CreateDevelopmentCertificateOptions {
  /** Default: {@link developmentCertificateDirectory}. */
  readonly directory?: string;
  /** How long a new certificate is valid. Default 365. */
  readonly validDays?: number;
  /** The current time: start of a new certificate's validity, and the time an existing one is checked at. Default: now. */
  readonly now?: Date;
}

/** The result of {@link createDevelopmentCertificate}. */
export interface CreatedDevelopmentCertificate {
  /** false when a valid certificate was already there and was left unchanged. */
  readonly created: boolean;
  /** What was there before: `valid` when nothing was created, otherwise what was replaced. */
  readonly previous: DevelopmentCertificateStatus;
  /** Why the previous certificate was replaced, when it was. */
  readonly previousReason?: string;
  readonly certificatePath: string;
  readonly keyPath: string;
  readonly certificate: PemCertificate;
  readonly info: CertificateInfo;
}

const LOCK_FILE = ".localhost.lock";

function result(check: ValidDevelopmentCertificate, previous: DevelopmentCertificateStatus, previousReason?: string): CreatedDevelopmentCertificate {
  const { certificatePath, keyPath, certificate, info } = check;
  return { created: previous !== "valid", previous, previousReason, certificatePath, keyPath, certificate, info };
}

/**
 * Returns the development certificate, creating it when there is no valid
 * one (a missing, expired or invalid one is replaced). The directory is
 * created with mode 0700, the key written with mode 0600; each file is
 * replaced atomically, and a lock file keeps concurrent creators apart.
 *
 * @throws when the directory or the files cannot be written.
 * @example
 * const { created, certificatePath } = await createDevelopmentCertificate();
 */
export async function createDevelopmentCertificate(options: CreateDevelopmentCertificateOptions = {}): Promise<CreatedDevelopmentCertificate> {
  const { validDays = 365, now = new Date() } = options;
  if (!Number.isFinite(validDays) || validDays <= 0) throw new RangeError(`validDays must be a positive number, got ${validDays}`);
  const { directory, certificatePath, keyPath } = developmentCertificatePaths(options.directory);
  const existing = checkDevelopmentCertificate(directory, now);
  if (existing.status === "valid") return result(existing, "valid");

  mkdirSync(directory, { recursive: true, mode: 0o700 });
  return withLockFile(join(directory, LOCK_FILE), async () => {
    // Another process may have created it while we waited for the lock.
    const current = checkDevelopmentCertificate(directory, now);
    if (current.status === "valid") return result(current, "valid");
    const generated = await generateDevelopmentCertificate(validDays, now);
    // Key first: a reader between the two renames sees a key mismatch (invalid), never a torn file.
    writeFileAtomic(keyPath, generated.key, 0o600);
    writeFileAtomic(certificatePath, generated.cert, 0o644);
    const written = checkDevelopmentCertificate(directory, now);
    if (written.status !== "valid") throw new Error(`The new development certificate does not check out: ${written.reason}`);
    return result(written, current.status, current.reason);
  });
}
