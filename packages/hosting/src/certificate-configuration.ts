/**
 * Certificates and TLS settings from the `Kestrel` configuration section:
 * `Certificates:Default`, and `Certificate`, `SslProtocols`,
 * `ClientCertificateMode` and `Sni` on `Endpoints:{Name}` (or `EndpointDefaults`).
 * Relative paths start at the content root, as in ASP.NET Core. Every error
 * names the configuration key at fault.
 *
 * @module
 */
import { OptionsValidationError } from "@x/abstractions";
import { type ClientCertificateMode, loadCertificate, type ServerCertificate, type SniOptions, type SslProtocolName } from "@x/https-sni";
import { alpnProtocolsFor, parseHttpProtocols } from "@x/server";
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

/**
 * `Sni`: host names (`a.example.com`, `*.example.com`, `*`) to their own
 * `Certificate`, `Protocols`, `SslProtocols` and `ClientCertificateMode`;
 * what an entry leaves out comes from the endpoint. Undefined when absent.
 */
export function readSni(section: ConfigurationSection, contentRoot: string): Record<string, SniOptions> | undefined {
  if (!section.exists()) return undefined;
  const map: Record<string, SniOptions> = {};
  for (const entry of section.getChildren()) {
    const protocols = entry.get("Protocols");
    const options: {
      serverCertificate?: ServerCertificate;
      sslProtocols?: SslProtocolName[];
      clientCertificateMode?: ClientCertificateMode;
      alpnProtocols?: string[];
    } = {};
    const certificate = readCertificate(entry.getSection("Certificate"), contentRoot);
    if (certificate !== undefined) options.serverCertificate = certificate;
    const sslProtocols = readSslProtocols(entry, "SslProtocols", `${entry.path}:SslProtocols`);
    if (sslProtocols !== undefined) options.sslProtocols = sslProtocols;
    const mode = readClientCertificateMode(entry, "ClientCertificateMode", `${entry.path}:ClientCertificateMode`);
    if (mode !== undefined) options.clientCertificateMode = mode;
    if (protocols !== undefined) options.alpnProtocols = alpnProtocolsFor(parseHttpProtocols(protocols, `${entry.path}:Protocols`));
    map[entry.key] = options;
  }
  return map;
}
