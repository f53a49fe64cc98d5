/**
 * Configuration for the host: Microsoft.Extensions.Configuration for Node.
 * Hierarchical, case-insensitive string settings from JSON files, environment
 * variables, the command line and memory, bound onto options objects.
 *
 * @module
 */
export { bind } from "./binder.js";
export type { BindOptions, ConfigurationConverter } from "./binder.js";
export type { Configuration, ConfigurationSection } from "./configuration.js";
export { ConfigurationBuilder } from "./configuration-builder.js";
export type { ConfigurationBuilderOptions } from "./configuration-builder.js";
export { ConfigurationData } from "./configuration-data.js";
export type { ConfigurationEntry } from "./configuration-data.js";
export {
  combinePath,
  compareConfigurationKeys,
  getParentPath,
  getSectionKey,
  KEY_DELIMITER,
  keysEqual,
  splitPath,
} from "./configuration-path.js";
export { ConfigurationRoot } from "./configuration-root.js";
export type { ConfigurationRootOptions } from "./configuration-root.js";
export {
  ConfigurationBindingError,
  ConfigurationCommandLineError,
  ConfigurationErrorCode,
  ConfigurationFileError,
  ConfigurationNoSourcesError,
} from "./errors.js";
export type { FilePosition } from "./errors.js";
export { getBoolean, getNumber, getString, getTimeSpan } from "./getters.js";
export type { ConfigurationProvider, ConfigurationSource } from "./provider.js";
export { ChainedConfigurationProvider, ChainedConfigurationSource } from "./providers/chained-provider.js";
export { CommandLineConfigurationProvider, CommandLineConfigurationSource } from "./providers/command-line-provider.js";
export type { SwitchMappings } from "./providers/command-line-provider.js";
export {
  EnvironmentVariablesConfigurationProvider,
  EnvironmentVariablesConfigurationSource,
} from "./providers/environment-variables-provider.js";
export type { EnvironmentVariables } from "./providers/environment-variables-provider.js";
export { JsonConfigurationProvider, JsonConfigurationSource } from "./providers/json-file-provider.js";
export type { JsonConfigurationProviderOptions, JsonFileOptions } from "./providers/json-file-provider.js";
export { MemoryConfigurationProvider, MemoryConfigurationSource } from "./providers/memory-provider.js";
export type { MemoryConfigurationData, MemoryValue } from "./providers/memory-provider.js";
export { ConfigurationProviderBase } from "./providers/provider-base.js";
export { parseTimeSpan } from "./time-span.js";
