/**
 * `npm run certs [-- <dir>]`: writes the sample's certificates into `certs/`
 * (or `<dir>`), relative to the current directory, which is where
 * `appsettings.json` expects them when the app is started from the same place.
 */
import { resolve } from "node:path";
import { writeCertificates } from "./certs.js";

const dir = resolve(process.argv[2] ?? "certs");
for (const { name, certPath, keyPath } of await writeCertificates(dir)) {
  process.stdout.write(`${name}: ${certPath} ${keyPath}\n`);
}
