/**
 * The one error the settings loader throws.
 *
 * @module
 */
import { XError } from "@x/abstractions";

/**
 * A settings file that cannot be read, parsed or validated. The message names
 * the file and the attribute, e.g.
 * `web.config: aspNetCore/@startupTimeLimit: '4000' is out of range (0 to 3600 seconds)`.
 */
export class AncmSettingsError extends XError {
  /** Stable machine-readable code. */
  override readonly code = "ERR_X_ANCM_SETTINGS";
  /**
   * The attribute at fault: `startupTimeLimit`,
   * `environmentVariables/environmentVariable[@name=FOO]`,
   * `handlerSettings/handlerSetting[@name=debugLevel]`, `ASPNETCORE_MODULE_DEBUG`,
   * `aspNetCore` (element missing), or `""` when the file as a whole is at fault.
   */
  readonly attribute: string;
  /**
   * The file (as passed in; absolute from `loadAncmSettings`), `environment` for
   * the `ASPNETCORE_MODULE_DEBUG*` variables, or the site root when no settings file exists.
   */
  readonly source: string;

  /** `source` is the file (or variable) read, `attribute` the setting at fault. */
  constructor(message: string, source: string, attribute: string, options?: { cause?: unknown }) {
    super(message, { code: "ERR_X_ANCM_SETTINGS", cause: options?.cause });
    this.source = source;
    this.attribute = attribute;
  }
}

/** The source used for errors in `ASPNETCORE_MODULE_DEBUG` / `ASPNETCORE_MODULE_DEBUG_FILE`. */
export const ENVIRONMENT_SOURCE = "environment";

/**
 * Where an attribute lives inside the `aspNetCore` element, for messages:
 * `startupTimeLimit` → `aspNetCore/@startupTimeLimit`,
 * `environmentVariables/environmentVariable[@name=A]` → `aspNetCore/environmentVariables/environmentVariable[@name=A]`.
 * Environment variables (`ASPNETCORE_...`) and `aspNetCore` itself are left as they are.
 */
export function attributeLocation(attribute: string): string {
  if (attribute === "" || attribute === "aspNetCore" || attribute.startsWith("ASPNETCORE_")) return attribute;
  if (attribute.includes("/")) return `aspNetCore/${attribute}`;
  return `aspNetCore/@${attribute}`;
}

/** An error about one attribute: `{source}: {location}: {detail}`. */
export function attributeError(source: string, attribute: string, detail: string, cause?: unknown): AncmSettingsError {
  const where = attributeLocation(attribute);
  const message = where === "" ? `${source}: ${detail}` : `${source}: ${where}: ${detail}`;
  return new AncmSettingsError(message, source, attribute, { cause });
}

/** Quotes a value for a message, shortened when long. */
export function quote(value: string): string {
  const shown = value.length > 80 ? `${value.slice(0, 77)}...` : value;
  return `'${shown}'`;
}
