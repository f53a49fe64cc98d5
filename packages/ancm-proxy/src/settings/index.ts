/**
 * The settings loader: `web.config` (or `ancm.json`) → {@link AncmSettings}.
 *
 * @module
 */
export {
  ANCM_DEFAULTS,
  type AncmSettings,
  type DebugLevel,
  type DebugLogSettings,
  type HostingModel,
} from "./ancm-settings.js";
export { splitArguments } from "./arguments.js";
export { DEBUG_ENV, DEBUG_FILE_ENV, type DebugLevelWords, parseDebugLevel } from "./debug-log.js";
export { AncmSettingsError } from "./errors.js";
export { FORWARDING_PIPELINE_DEFAULTS, type ForwardingPipelineSettings } from "./forwarding-pipeline.js";
export { parseAncmJson } from "./json-settings.js";
export { ANCM_JSON_FILE, loadAncmSettings, WEB_CONFIG_FILE } from "./load-settings.js";
export { expandEnvironmentVariables } from "./paths.js";
export { KNOWN_ATTRIBUTES, type RawAncmSettings, type RawNameValue } from "./raw-settings.js";
export { resolveAncmSettings } from "./resolve-settings.js";
export { MAX_REQUEST_TIMEOUT_SECONDS, parseRequestTimeout } from "./time-span.js";
export { parseWebConfig } from "./web-config.js";
