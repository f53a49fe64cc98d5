/**
 * The provider contract: where configuration values come from
 * (Microsoft.Extensions.Configuration `IConfigurationProvider` and
 * `IConfigurationSource`).
 *
 * @module
 */
import type { ConfigurationBuilder } from "./configuration-builder.js";

/**
 * One source of key/value pairs: a JSON file, the environment, the command
 * line. A `ConfigurationRoot` asks its providers last to first, so later
 * providers override earlier ones. Keys are compared case-insensitively.
 */
export interface ConfigurationProvider {
  /** The value at `key`, or `undefined` when this provider has none. */
  tryGet(key: string): string | undefined;
  /** Stores a value in this provider only (not persisted to its source). */
  set(key: string, value: string | undefined): void;
  /** (Re)reads the source. Called once when the root is built and again on `reload()`. */
  load(): void;
  /**
   * The immediate child keys under `parentPath` (`undefined` for the top
   * level) that this provider holds, added after `earlierKeys` (the keys of
   * the providers before it) and stably sorted with `compareConfigurationKeys`.
   * Duplicates are allowed; the root keeps the first spelling of each key.
   */
  getChildKeys(earlierKeys: readonly string[], parentPath: string | undefined): string[];
  /** Subscribes to "this provider's data changed". Returns the unsubscribe function. */
  onReload(callback: () => void): () => void;
  /** Releases watchers and other resources. */
  dispose(): void;
}

/** Describes a provider and creates it when the builder builds. */
export interface ConfigurationSource {
  build(builder: ConfigurationBuilder): ConfigurationProvider;
}
