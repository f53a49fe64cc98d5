/**
 * What the `web.config` and `ancm.json` parsers produce: the `aspNetCore`
 * element as strings, before validation and defaults.
 *
 * @module
 */

/** One `environmentVariable` or `handlerSetting`. */
export interface RawNameValue {
  readonly name: string;
  readonly value: string;
}

/** The settings as read from the file, before validation and defaults. */
export interface RawAncmSettings {
  /**
   * The `aspNetCore` element's attributes, names as written (matched
   * case-insensitively later), values as strings (XML entities decoded, JSON
   * numbers and booleans turned into their text).
   */
  readonly attributes: Readonly<Record<string, string>>;
  /** `environmentVariables/environmentVariable`, in document order. */
  readonly environmentVariables: readonly RawNameValue[];
  /** `handlerSettings/handlerSetting`, in document order. */
  readonly handlerSettings: readonly RawNameValue[];
  /** What the parser ignored (unknown child elements, `<location>`s for other paths, ...). */
  readonly warnings: readonly string[];
}

/** The `aspNetCore` attributes ANCM documents, in their canonical spelling. */
export const KNOWN_ATTRIBUTES = [
  "processPath",
  "arguments",
  "disableStartUpErrorPage",
  "forwardWindowsAuthToken",
  "hostingModel",
  "processesPerApplication",
  "rapidFailsPerMinute",
  "requestTimeout",
  "shutdownTimeLimit",
  "startupTimeLimit",
  "stdoutLogEnabled",
  "stdoutLogFile",
] as const;

export type KnownAttribute = (typeof KNOWN_ATTRIBUTES)[number];

/** `attribute` in its canonical spelling when it is one of {@link KNOWN_ATTRIBUTES} (any case), else null. */
export function canonicalAttribute(name: string): KnownAttribute | null {
  const lower = name.toLowerCase();
  return KNOWN_ATTRIBUTES.find((a) => a.toLowerCase() === lower) ?? null;
}
