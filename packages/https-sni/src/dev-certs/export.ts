/**
 * `x-dev-certs https --export-path`: copy the development certificate out,
 * as a PKCS#12 (PFX) bundle or as PEM files, for other tools.
 *
 * @module
 */
import { createPrivateKey } from "node:crypto";
import { mkdirSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import { writeFileAtomic } from "./atomic-file.js";
import { createDevelopmentCertificate } from "./create.js";
import { createPkcs12 } from "./pkcs12.js";

/** Export formats, named as `dotnet dev-certs https --format` names them. */
export type DevelopmentCertificateFormat = "Pem" | "Pfx";

/** Options of {@link exportDevelopmentCertificate}. */
export interface ExportDevelopmentCertificateOptions {
  /** Default `Pfx`, as dotnet. */
  readonly format?: DevelopmentCertificateFormat;
  /**
   * Pfx: protects the bundle (default: the empty password, which node:tls
   * and OpenSSL try when none is given). Pem: encrypts the key file as
   * PKCS#8 (AES-256-CBC); without it the key file is plain.
   */
  readonly password?: string;
  /** Include the private key. Default true; false exports the certificate only (what dotnet does without a password). */
  readonly includePrivateKey?: boolean;
  /** Where the development certificate lives; default {@link developmentCertificateDirectory}. */
  readonly directory?: string;
}

/** The files {@link exportDevelopmentCertificate} wrote. */
export interface ExportedDevelopmentCertificate {
  /** The PFX bundle, or the PEM certificate. */
  readonly path: string;
  /** Pem with the private key: the key file next to `path`. */
  readonly keyPath?: string;
  /** Whether a development certificate had to be created first. */
  readonly created: boolean;
}

/** `out/cert.pem` → `out/cert.key`; `out/cert` → `out/cert.key`. */
export function pemKeyPath(path: string): string {
  const extension = extname(path);
  return join(dirname(path), `${basename(path, extension)}.key`);
}

/**
 * Writes the development certificate (created first when there is no valid
 * one) to `path`. `Pfx`: one PKCS#12 file with certificate and key, loadable
 * with `tls.createSecureContext({ pfx, passphrase })`. `Pem`: the certificate
 * at `path` and the key next to it with the `.key` extension, encrypted with
 * `password` when given. Private key files are written with mode 0600.
 *
 * @throws when the files cannot be written, or when the Pem key file would overwrite `path`.
 * @example
 * await exportDevelopmentCertificate("certs/localhost.pfx", { password: "secret" });
 * await exportDevelopmentCertificate("certs/localhost.pem", { format: "Pem" }); // + certs/localhost.key
 */
export async function exportDevelopmentCertificate(path: string, options: ExportDevelopmentCertificateOptions = {}): Promise<ExportedDevelopmentCertificate> {
  const { format = "Pfx", password, includePrivateKey = true, directory } = options;
  if (format !== "Pem" && format !== "Pfx") throw new TypeError(`Unknown export format '${String(format)}' (expected Pem or Pfx)`);
  const keyPath = format === "Pem" && includePrivateKey ? pemKeyPath(path) : undefined;
  if (keyPath === path) throw new Error(`Cannot export to '${path}': the key file would have the same name; use a .pem or .crt extension`);
  const { certificate, created } = await createDevelopmentCertificate({ directory });
  const cert = String(certificate.cert);
  mkdirSync(dirname(path), { recursive: true });
  if (format === "Pfx") {
    const key = includePrivateKey ? String(certificate.key) : undefined;
    const pfx = await createPkcs12({ cert, key, password, friendlyName: "x development certificate (localhost)" });
    writeFileAtomic(path, pfx, includePrivateKey ? 0o600 : 0o644);
    return { path, created };
  }
  writeFileAtomic(path, cert, 0o644);
  if (keyPath === undefined) return { path, created };
  const privateKey = createPrivateKey(certificate.key);
  const keyPem =
    password === undefined
      ? privateKey.export({ format: "pem", type: "pkcs8" })
      : privateKey.export({ format: "pem", type: "pkcs8", cipher: "aes-256-cbc", passphrase: password });
  writeFileAtomic(keyPath, keyPem, 0o600);
  return { path, keyPath, created };
}
