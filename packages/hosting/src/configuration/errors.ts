/**
 * Errors raised while loading or binding configuration.
 *
 * Codes are API, messages are not: callers branch on `code`, never on the
 * text. The classes carry the offending key, value or file so a host can
 * print a precise startup error.
 *
 * @module
 */
import { createErrorClass, XError } from "@x/abstractions";

/** Stable codes of the configuration area. */
export const ConfigurationErrorCode = {
  /** A bound or typed value could not be converted to the target type. */
  BINDING: "ERR_X_CONFIG_BINDING",
  /** A required configuration file does not exist. */
  FILE_NOT_FOUND: "ERR_X_CONFIG_FILE_NOT_FOUND",
  /** A configuration file exists but could not be read (permissions, a directory, ...). */
  FILE_UNREADABLE: "ERR_X_CONFIG_FILE_UNREADABLE",
  /** A JSON configuration file is not valid JSON, or its top level is not an object. */
  INVALID_JSON: "ERR_X_CONFIG_INVALID_JSON",
  /** A JSON configuration file defines the same key twice (keys compare case-insensitively). */
  DUPLICATE_KEY: "ERR_X_CONFIG_DUPLICATE_KEY",
  /** A switch mapping passed to the command-line provider is malformed or duplicated. */
  INVALID_SWITCH_MAPPING: "ERR_X_CONFIG_INVALID_SWITCH_MAPPING",
  /** A command-line argument uses a short switch (`-k=v`) that no switch mapping defines. */
  SHORT_SWITCH_NOT_DEFINED: "ERR_X_CONFIG_SHORT_SWITCH_NOT_DEFINED",
  /** `set` was called on a configuration without any provider. */
  NO_SOURCES: "ERR_X_CONFIG_NO_SOURCES",
} as const;

/** One of the {@link ConfigurationErrorCode} values. */
export type ConfigurationErrorCode = (typeof ConfigurationErrorCode)[keyof typeof ConfigurationErrorCode];

// The factory gives the class its code and its `instanceof` brand; the
// subclass only adds the fields callers need to report the failure.
const BindingErrorBase = createErrorClass(
  "ConfigurationBindingError",
  ConfigurationErrorCode.BINDING,
  "Failed to convert a configuration value",
);

/**
 * A configuration value could not be converted to the type its target expects.
 *
 * @example
 * try { getNumber(config, "Kestrel:Limits:MaxRequestBodySize"); }
 * catch (err) { if (err instanceof ConfigurationBindingError) log.fatal(`bad setting ${err.key}`); }
 */
export class ConfigurationBindingError extends BindingErrorBase {
  /** Full configuration path of the value, e.g. `Kestrel:Limits:MaxRequestBodySize`. */
  readonly key: string;
  /** The raw string that failed to convert. */
  readonly value: string;

  /** `key` is the configuration path, `value` the raw string, `targetType` what it should have converted to. */
  constructor(key: string, value: string, targetType: string, cause?: unknown) {
    const where = key === "" ? "" : ` at '${key}'`;
    super(`Failed to convert configuration value${where} to ${targetType}: '${value}'`, { cause });
    this.key = key;
    this.value = value;
  }
}

/** Where a JSON syntax error sits in its file (1-based). */
export interface FilePosition {
  readonly line: number;
  readonly column: number;
}

const kBrand = Symbol.for("@x/abstractions.error.brand");

/**
 * A configuration file is missing, unreadable or malformed. `code` is one of
 * `ERR_X_CONFIG_FILE_NOT_FOUND`, `ERR_X_CONFIG_FILE_UNREADABLE`,
 * `ERR_X_CONFIG_INVALID_JSON` or `ERR_X_CONFIG_DUPLICATE_KEY`.
 */
export class ConfigurationFileError extends XError {
  /** Physical path of the file. */
  readonly path: string;
  /** Position of a syntax error, when the parser knows it. */
  readonly position: FilePosition | undefined;

  /** A file that could not be read or parsed; `code` says which. */
  constructor(
    message: string,
    code: ConfigurationErrorCode,
    path: string,
    options?: { position?: FilePosition; cause?: unknown },
  ) {
    super(message, { code, cause: options?.cause });
    this.path = path;
    this.position = options?.position;
  }
}
// Several codes share this class, so `createErrorClass` (one fixed code) does
// not fit; brand it by hand so `instanceof` survives duplicate installs.
Object.defineProperty(ConfigurationFileError, kBrand, { value: Symbol.for("@x/error/ConfigurationFileError") });

/** Malformed switch mappings, or a short switch the mappings do not define. */
export class ConfigurationCommandLineError extends XError {
  /** The offending switch or argument. */
  readonly argument: string;

  /** `argument` is the command-line argument at fault. */
  constructor(message: string, code: ConfigurationErrorCode, argument: string) {
    super(message, { code });
    this.argument = argument;
  }
}
Object.defineProperty(ConfigurationCommandLineError, kBrand, {
  value: Symbol.for("@x/error/ConfigurationCommandLineError"),
});

/** `set` was called on a configuration that has no provider to store the value. */
export const ConfigurationNoSourcesError = createErrorClass(
  "ConfigurationNoSourcesError",
  ConfigurationErrorCode.NO_SOURCES,
  "A configuration source is not registered. Please register one before setting a value.",
);
