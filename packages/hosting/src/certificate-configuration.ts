/**
 * Certificates and TLS settings from the `Kestrel` configuration section:
 * `Certificates:Default`, and `Certificate`, `SslProtocols` and
 * `ClientCertificateMode` on `Endpoints:{Name}` (or `EndpointDefaults`).
 * Relative paths start at the content root, as in ASP.NET Core. Every error
 * names the configuration key at fault.
 *
 * @module
 */
import { OptionsValidationError } from "@x/abstractions";
import { type ClientCertificateMode, loadCertificate, type ServerCertificate, type SslProtocolName } from "@x/https-sni";
import { resolve } from "node:path";
import type { Configuration, ConfigurationSection } from "./configuration/index.js";

/** `{ Path, Password }` (PFX) or `{ Path, KeyPath, Password }` (PEM), or undefined when the section is empty. */
export function readCertificate(section: ConfigurationSection, contentRoot: string): ServerCertificate | undefined {
  if (!section.exists()) return undefined;
  const path = section.get("Path");
  if (path === undefined || path.trim() === "") {
    // Kestrel also reads certificate stores (Subject/Store/Location); Node has none to read.
    throw new OptionsValidationError(`'${section.path}' needs a Path (certificate stores are not supported; use a PFX or PEM file)`, `${section.path}:Path`);
  }
  const keyPath = section.get("KeyPath");
  try {
    return loadCertificate({
      path: resolve(contentRoot, path),
      keyPath: keyPath === undefined || keyPath.trim() === "" ? undefined : resolve(contentRoot, keyPath),
      password: section.get("Password"),
    });
  } catch (error) {
    throw new OptionsValidationError(`${section.path}: ${(error as Error).message}`, `${section.path}:Path`, error);
  }
}

const SSL_PROTOCOLS: Record<string, SslProtocolName | null> = { tls12: "Tls12", tls13: "Tls13", none: null, default: null };

/** `SslProtocols`: an array (`["Tls12", "Tls13"]`) or a comma-separated value; `None` lets the platform choose. */
export function readSslProtocols(config: Configuration, key: string, path: string): SslProtocolName[] | undefined {
  const section = config.getSection(key);
  if (!section.exists()) return undefined;
  const raw = section.value !== undefined ? section.value.split(",") : section.getChildren().map((c) => c.value ?? "");
  const names: SslProtocolName[] = [];
  for (const item of raw) {
    const name = item.trim().toLowerCase();
    if (!(name in SSL_PROTOCOLS)) {
      throw new OptionsValidationError(`'${item.trim()}' at '${path}' is not a supported SSL protocol; use Tls12, Tls13 or None`, path);
    }
    const value = SSL_PROTOCOLS[name];
    if (value !== null && value !== undefined) names.push(value);
  }
  return names.length === 0 ? undefined : names;
}

const MODES: Record<string, ClientCertificateMode> = {
  nocertificate: "NoCertificate",
  allowcertificate: "AllowCertificate",
  requirecertificate: "RequireCertificate",
};

/** `ClientCertificateMode`: NoCertificate, AllowCertificate or RequireCertificate (case-insensitive). */
export function readClientCertificateMode(config: Configuration, key: string, path: string): ClientCertificateMode | undefined {
  const raw = config.get(key);
  if (raw === undefined) return undefined;
  const mode = MODES[raw.trim().toLowerCase()];
  if (mode === undefined) {
    throw new OptionsValidationError(`'${raw}' at '${path}' is not a client certificate mode; use NoCertificate, AllowCertificate or RequireCertificate`, path);
  }
  return mode;
}
