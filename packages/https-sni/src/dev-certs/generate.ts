/**
 * Making a new development certificate: self-signed, for localhost and the
 * loopback addresses, with the `selfsigned` package (loaded on first use, so
 * servers that never create one do not pay for it).
 *
 * @module
 */
import { DEVELOPMENT_CERTIFICATE_HOST, DEVELOPMENT_CERTIFICATE_IPS } from "./check.js";

const DAY_MS = 24 * 60 * 60 * 1000;

/** A freshly generated certificate and key, PEM text. */
export interface GeneratedCertificate {
  readonly cert: string;
  /** PKCS#8 private key. */
  readonly key: string;
}

/**
 * Generates the development certificate: RSA 2048 (the widest client
 * support), SHA-256, subject CN=localhost, SANs DNS:localhost, IP:127.0.0.1
 * and IP:::1, basicConstraints cA:false (critical), keyUsage digitalSignature
 * and keyEncipherment (critical), extKeyUsage serverAuth. Valid from `now`
 * for `validDays` days.
 */
export async function generateDevelopmentCertificate(validDays: number, now: Date): Promise<GeneratedCertificate> {
  const { generate } = await import("selfsigned");
  const pems = await generate([{ name: "commonName", value: DEVELOPMENT_CERTIFICATE_HOST }], {
    keyType: "rsa",
    keySize: 2048,
    algorithm: "sha256",
    notBeforeDate: now,
    notAfterDate: new Date(now.getTime() + validDays * DAY_MS),
    extensions: [
      { name: "basicConstraints", cA: false, critical: true },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [{ type: 2, value: DEVELOPMENT_CERTIFICATE_HOST }, ...DEVELOPMENT_CERTIFICATE_IPS.map((ip) => ({ type: 7 as const, ip }))],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}
