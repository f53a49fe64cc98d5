/**
 * Finds and reads a site's settings file.
 *
 * @module
 */
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import type { AncmSettings } from "./ancm-settings.js";
import { AncmSettingsError } from "./errors.js";
import { parseAncmJson } from "./json-settings.js";
import type { RawAncmSettings } from "./raw-settings.js";
import { resolveAncmSettings } from "./resolve-settings.js";
import { parseWebConfig } from "./web-config.js";

/** IIS's configuration file in the site root; its `aspNetCore` element holds the settings. */
export const WEB_CONFIG_FILE = "web.config";
/** The JSON alternative to `web.config`, in the site root. */
export const ANCM_JSON_FILE = "ancm.json";

/**
 * Reads `{siteRoot}/web.config`, or `{siteRoot}/ancm.json` when there is no
 * `web.config`, and resolves it ({@link resolveAncmSettings}). When both
 * exist `web.config` wins (as it is what IIS would read) and a warning says
 * `ancm.json` was ignored; `source` tells which file was read.
 *
 * Files are read as UTF-8 (a BOM is skipped) or UTF-16 LE with a BOM.
 *
 * @param siteRoot the site root; relative paths in the settings start here
 * @param env the front process's environment (default `process.env`)
 * @throws {AncmSettingsError} when neither file exists (naming both paths),
 *   a file cannot be read, or its content is invalid
 */
export function loadAncmSettings(siteRoot: string, env: NodeJS.ProcessEnv = process.env): AncmSettings {
  const root = path.resolve(siteRoot);
  const webConfig = path.join(root, WEB_CONFIG_FILE);
  const ancmJson = path.join(root, ANCM_JSON_FILE);
  const hasWebConfig = isFile(webConfig);
  const hasAncmJson = isFile(ancmJson);

  if (!hasWebConfig && !hasAncmJson) {
    throw new AncmSettingsError(`no settings file: neither ${webConfig} nor ${ancmJson} exists`, root, "");
  }
  const source = hasWebConfig ? webConfig : ancmJson;
  const text = readText(source);
  let raw: RawAncmSettings = hasWebConfig ? parseWebConfig(text, source) : parseAncmJson(text, source);
  if (hasWebConfig && hasAncmJson) {
    raw = { ...raw, warnings: [...raw.warnings, `${ANCM_JSON_FILE}: ignored because ${WEB_CONFIG_FILE} exists`] };
  }
  return resolveAncmSettings(raw, root, source, env);
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function readText(file: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new AncmSettingsError(`${file}: cannot be read: ${(err as Error).message}`, file, "", { cause: err });
  }
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString("utf16le");
  const text = bytes.toString("utf8");
  return text.startsWith("\uFEFF") ? text.slice(1) : text;
}
