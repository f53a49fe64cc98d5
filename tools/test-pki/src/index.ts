/**
 * Test certificates made at run time: a CA, server leaves signed by it
 * (a.test, b.test, *.wild.test, default.test) and a client certificate.
 */
import { generate } from "selfsigned";

export interface TestCert {
  readonly cert: string;
  readonly key: string;
}

export interface TestPki {
  readonly ca: TestCert;
  readonly a: TestCert;
  readonly b: TestCert;
  readonly wild: TestCert;
  readonly fallback: TestCert;
  readonly client: TestCert;
  /** A client certificate from a CA the server does not trust. */
  readonly strangerClient: TestCert;
}

const year = () => new Date(Date.now() + 365 * 24 * 3600 * 1000);

async function makeCa(cn: string): Promise<TestCert> {
  const pems = await generate([{ name: "commonName", value: cn }], {
    keyType: "ec",
    algorithm: "sha256",
    notAfterDate: year(),
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

async function makeLeaf(ca: TestCert, cn: string, usage: "server" | "client"): Promise<TestCert> {
  const pems = await generate([{ name: "commonName", value: cn }], {
    keyType: "ec",
    algorithm: "sha256",
    notAfterDate: year(),
    ca: { key: ca.key, cert: ca.cert },
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
      usage === "server" ? { name: "extKeyUsage", serverAuth: true } : { name: "extKeyUsage", clientAuth: true },
      { name: "subjectAltName", altNames: [{ type: 2, value: cn }] },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

let pki: Promise<TestPki> | undefined;

/** Generated once per test file. */
export function testPki(): Promise<TestPki> {
  pki ??= (async () => {
    const ca = await makeCa("X Test CA");
    const stranger = await makeCa("Stranger CA");
    const [a, b, wild, fallback, client, strangerClient] = await Promise.all([
      makeLeaf(ca, "a.test", "server"),
      makeLeaf(ca, "b.test", "server"),
      makeLeaf(ca, "*.wild.test", "server"),
      makeLeaf(ca, "default.test", "server"),
      makeLeaf(ca, "client.test", "client"),
      makeLeaf(stranger, "stranger.test", "client"),
    ]);
    return { ca, a, b, wild, fallback, client, strangerClient };
  })();
  return pki;
}
