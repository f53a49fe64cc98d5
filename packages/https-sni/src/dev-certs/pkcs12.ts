/**
 * Building a PKCS#12 (PFX) file, the format `dotnet dev-certs https
 * --export-path` writes by default, with PKI.js: the private key in a
 * PKCS#8 shrouded key bag (PBES2: PBKDF2-HMAC-SHA256, AES-256-CBC), the
 * certificate in a cert bag, both tagged with the same localKeyID, and an
 * HMAC-SHA256 integrity MAC. OpenSSL 3 (node:tls), .NET, Java and Windows
 * read it without legacy algorithms. PKI.js is loaded on first use.
 *
 * @module
 */
import { createHash, createPrivateKey, X509Certificate } from "node:crypto";
import type { SafeBag } from "pkijs";

/** PBKDF2 rounds for the key (native WebCrypto, so it can be high). */
const KEY_ITERATIONS = 100_000;
/** PKCS#12 KDF rounds for the MAC (OpenSSL's default). */
const MAC_ITERATIONS = 2048;

const OID_DATA_BAG_KEY = "1.2.840.113549.1.12.10.1.2"; // pkcs8ShroudedKeyBag
const OID_DATA_BAG_CERT = "1.2.840.113549.1.12.10.1.3"; // certBag
const OID_CERT_X509 = "1.2.840.113549.1.9.22.1"; // x509Certificate
const OID_LOCAL_KEY_ID = "1.2.840.113549.1.9.21";
const OID_FRIENDLY_NAME = "1.2.840.113549.1.9.20";

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** What goes into the PFX. */
export interface Pkcs12Input {
  /** The certificate, PEM. */
  readonly cert: string;
  /** Its private key, PEM (unencrypted); omit for a certificate-only bundle. */
  readonly key?: string;
  /** Protects the key and the MAC; the empty string when absent (OpenSSL tries it when none is given). */
  readonly password?: string;
  /** The friendlyName attribute shown by certificate stores. */
  readonly friendlyName?: string;
}

/**
 * Encodes a certificate (and its key) as a PKCS#12 file that
 * `tls.createSecureContext({ pfx, passphrase })` loads.
 *
 * @example
 * const pfx = await createPkcs12({ cert, key, password: "secret" });
 */
export async function createPkcs12(input: Pkcs12Input): Promise<Buffer> {
  const pkijs = await import("pkijs");
  const asn1js = await import("asn1js");
  const password = toArrayBuffer(Buffer.from(input.password ?? "", "utf8"));
  const certDer = new X509Certificate(input.cert).raw;
  const localKeyId = createHash("sha1").update(certDer).digest();

  const attributes = () => [
    new pkijs.Attribute({ type: OID_LOCAL_KEY_ID, values: [new asn1js.OctetString({ valueHex: toArrayBuffer(localKeyId) })] }),
    ...(input.friendlyName === undefined
      ? []
      : [new pkijs.Attribute({ type: OID_FRIENDLY_NAME, values: [new asn1js.BmpString({ value: input.friendlyName })] })]),
  ];

  const safeBags: SafeBag[] = [
    new pkijs.SafeBag({
      bagId: OID_DATA_BAG_CERT,
      bagValue: new pkijs.CertBag({ certId: OID_CERT_X509, parsedValue: pkijs.Certificate.fromBER(toArrayBuffer(certDer)) }),
      bagAttributes: attributes(),
    }),
  ];
  if (input.key !== undefined) {
    const keyDer = createPrivateKey(input.key).export({ format: "der", type: "pkcs8" });
    const keyBag = new pkijs.PKCS8ShroudedKeyBag({ parsedValue: pkijs.PrivateKeyInfo.fromBER(toArrayBuffer(keyDer)) });
    await keyBag.makeInternalValues({
      password,
      contentEncryptionAlgorithm: { name: "AES-CBC", length: 256 },
      hmacHashAlgorithm: "SHA-256",
      iterationCount: KEY_ITERATIONS,
    });
    safeBags.unshift(new pkijs.SafeBag({ bagId: OID_DATA_BAG_KEY, bagValue: keyBag, bagAttributes: attributes() }));
  }

  const authenticatedSafe = new pkijs.AuthenticatedSafe({
    parsedValue: { safeContents: [{ privacyMode: 0, value: new pkijs.SafeContents({ safeBags }) }] },
  });
  await authenticatedSafe.makeInternalValues({ safeContents: [{}] });
  const pfx = new pkijs.PFX({ parsedValue: { integrityMode: 0, authenticatedSafe } });
  await pfx.makeInternalValues({
    password,
    iterations: MAC_ITERATIONS,
    pbkdf2HashAlgorithm: "SHA-256",
    hmacHashAlgorithm: "SHA-256",
  });
  return Buffer.from(pfx.toSchema().toBER(false));
}
