/**
 * Is there a usable development certificate? Reads the two files, and checks
 * that the key matches, the dates hold and the names cover localhost.
 *
 * @module
 */
import { createPrivateKey, type X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { createCertificateContext, describeCertificate, type CertificateInfo, type PemCertificate } from "../certificate.js";
import { developmentCertificatePaths } from "./paths.js";

/** What {@link checkDevelopmentCertificate} found. */
export type DevelopmentCertificateStatus = "valid" | "missing" | "expired" | "invalid";

/** A usable development certificate. */
export interface ValidDevelopmentCertificate {
  readonly status: "valid";
  readonly certificatePath: string;
  readonly keyPath: string;
  readonly certificate: PemCertificate;
  readonly info: CertificateInfo;
  /** Always absent; here so that `check.reason` reads without narrowing. */
  readonly reason?: undefined;
}

/** No usable development certificate; `reason` says why, `info` is there when the certificate could be read. */
export interface UnusableDevelopmentCertificate {
  readonly status: "missing" | "expired" | "invalid";
  readonly certificatePath: string;
  readonly keyPath: string;
  readonly reason: string;
  readonly info?: CertificateInfo;
}

/** The result of {@link checkDevelopmentCertificate}. */
export type DevelopmentCertificateCheck = ValidDevelopmentCertificate | UnusableDevelopmentCertificate;

/** The names a development certificate must cover (as its subjectAltName). */
export const DEVELOPMENT_CERTIFICATE_HOST = "localhost";
/** The loopback addresses a development certificate must cover. */
export const DEVELOPMENT_CERTIFICATE_IPS: readonly string[] = ["127.0.0.1", "::1"];

type Read = { readonly text: string } | { readonly status: "missing" | "invalid"; readonly reason: string };

function read(path: string, what: string): Read {
  try {
    return { text: readFileSync(path, "utf8") };
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { status: "missing", reason: `No ${what} file at '${path}'` };
    return { status: "invalid", reason: `Cannot read the ${what} file '${path}': ${(cause as Error).message}` };
  }
}

function missingName(x509: X509Certificate): string | undefined {
  if (x509.checkHost(DEVELOPMENT_CERTIFICATE_HOST, { subject: "never" }) === undefined) return `DNS:${DEVELOPMENT_CERTIFICATE_HOST}`;
  for (const ip of DEVELOPMENT_CERTIFICATE_IPS) if (x509.checkIP(ip) === undefined) return `IP:${ip}`;
  return undefined;
}

/**
 * Checks the development certificate in `directory` at time `now`. Valid
 * means: both files readable, the key matches the certificate, `now` lies
 * within its validity period (a certificate not yet valid is `invalid`), and
 * its subjectAltName covers DNS:localhost, IP:127.0.0.1 and IP:::1.
 * Never throws for a bad certificate: the status and `reason` say what is wrong.
 *
 * @example
 * const check = checkDevelopmentCertificate();
 * if (check.status !== "valid") process.stderr.write(`${check.reason}\n`);
 */
export function checkDevelopmentCertificate(directory?: string, now: Date = new Date()): DevelopmentCertificateCheck {
  const { certificatePath, keyPath } = developmentCertificatePaths(directory);
  const paths = { certificatePath, keyPath };
  const cert = read(certificatePath, "certificate");
  if (!("text" in cert)) return { ...paths, ...cert };
  const key = read(keyPath, "key");
  if (!("text" in key)) return { ...paths, ...key };
  const certificate: PemCertificate = { cert: cert.text, key: key.text };
  let info: CertificateInfo;
  try {
    info = describeCertificate(certificate);
  } catch (cause) {
    return { ...paths, status: "invalid", reason: `Cannot parse '${certificatePath}': ${(cause as Error).message}` };
  }
  if (info.notAfter.getTime() < now.getTime()) {
    return { ...paths, info, status: "expired", reason: `The certificate expired on ${info.notAfter.toISOString()}` };
  }
  if (info.notBefore.getTime() > now.getTime()) {
    return { ...paths, info, status: "invalid", reason: `The certificate is not valid before ${info.notBefore.toISOString()}` };
  }
  const missing = missingName(info.x509);
  if (missing !== undefined) {
    return { ...paths, info, status: "invalid", reason: `The certificate's subjectAltName does not include ${missing}` };
  }
  try {
    // OpenSSL keeps one key per type, so an EC key next to an RSA certificate builds a context: compare explicitly.
    if (!info.x509.checkPrivateKey(createPrivateKey(key.text))) {
      return { ...paths, info, status: "invalid", reason: `The key in '${keyPath}' does not belong to the certificate` };
    }
    createCertificateContext(certificate, undefined, `'${certificatePath}' (key '${keyPath}')`);
  } catch (cause) {
    return { ...paths, info, status: "invalid", reason: (cause as Error).message };
  }
  return { ...paths, status: "valid", certificate, info };
}

/**
 * The development certificate when it is valid, otherwise undefined. Never
 * throws: use it to fall back on the development certificate when nothing
 * else is configured.
 *
 * @example
 * const certificate = findDevelopmentCertificate();
 * if (certificate) listenOptions.useHttps(certificate);
 */
export function findDevelopmentCertificate(directory?: string, now?: Date): PemCertificate | undefined {
  try {
    const check = checkDevelopmentCertificate(directory, now);
    return check.status === "valid" ? check.certificate : undefined;
  } catch {
    return undefined;
  }
}
