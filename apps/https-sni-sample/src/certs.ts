/**
 * Self-signed certificates for the sample's SNI names: `certs/<name>.pem` and
 * `certs/<name>.key` (PEM), one per name, CN and DNS SAN set to the name.
 * For local use only: the private keys are written unencrypted.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generate } from "selfsigned";

/** The names `appsettings.json` has an `Sni` entry with a certificate for. */
export const SNI_NAMES = ["a.localhost", "b.localhost"] as const;

export interface WrittenCertificate {
  readonly name: string;
  readonly certPath: string;
  readonly keyPath: string;
}

/** Writes `<dir>/<name>.pem` and `<dir>/<name>.key` for each name; returns their paths. */
export async function writeCertificates(dir: string, names: readonly string[] = SNI_NAMES): Promise<WrittenCertificate[]> {
  mkdirSync(dir, { recursive: true });
  const written: WrittenCertificate[] = [];
  for (const name of names) {
    const pems = await generate([{ name: "commonName", value: name }], {
      keyType: "ec",
      algorithm: "sha256",
      notAfterDate: new Date(Date.now() + 365 * 24 * 3600 * 1000),
      extensions: [
        { name: "basicConstraints", cA: false },
        { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
        { name: "extKeyUsage", serverAuth: true },
        { name: "subjectAltName", altNames: [{ type: 2, value: name }] },
      ],
    });
    const certPath = join(dir, `${name}.pem`);
    const keyPath = join(dir, `${name}.key`);
    writeFileSync(certPath, pems.cert);
    writeFileSync(keyPath, pems.private, { mode: 0o600 });
    written.push({ name, certPath, keyPath });
  }
  return written;
}
