/**
 * Another configuration used as a provider (.NET `ChainedConfigurationProvider`),
 * so a host can layer its own sources over an application's configuration.
 *
 * @module
 */
import type { Configuration } from "../configuration.js";
import { compareConfigurationKeys } from "../configuration-path.js";
import type { ConfigurationProvider, ConfigurationSource } from "../provider.js";

/** Reads through to `configuration`; its changes surface as reloads. */
export class ChainedConfigurationProvider implements ConfigurationProvider {
  /** The configuration it reads from. */
  readonly configuration: Configuration;
  readonly #shouldDisposeConfiguration: boolean;

  /** Reads through to `configuration`; disposes it too when `shouldDisposeConfiguration`. */
  constructor(configuration: Configuration, shouldDisposeConfiguration = false) {
    this.configuration = configuration;
    this.#shouldDisposeConfiguration = shouldDisposeConfiguration;
  }

  /** The chained configuration's value for `key`. */
  tryGet(key: string): string | undefined {
    return this.configuration.get(key);
  }

  /** Sets the value in the chained configuration. */
  set(key: string, value: string | undefined): void {
    this.configuration.set(key, value);
  }

  /** Nothing to read: the chained configuration loads itself. */
  load(): void {}

  /** `earlierKeys` plus the chained configuration's child keys under `parentPath`. */
  getChildKeys(earlierKeys: readonly string[], parentPath: string | undefined): string[] {
    const section = parentPath === undefined ? this.configuration : this.configuration.getSection(parentPath);
    const keys = [...earlierKeys];
    for (const child of section.getChildren()) keys.push(child.key);
    return keys.sort(compareConfigurationKeys);
  }

  /** Subscribes to the chained configuration's changes. */
  onReload(callback: () => void): () => void {
    return this.configuration.onChange(callback);
  }

  /** Disposes the chained configuration when it owns it. */
  dispose(): void {
    if (!this.#shouldDisposeConfiguration) return;
    const disposable = this.configuration as Partial<{ dispose(): void }>;
    disposable.dispose?.();
  }
}

/**
 * @example
 * builder.add(new ChainedConfigurationSource(appConfiguration));
 */
export class ChainedConfigurationSource implements ConfigurationSource {
  /** The configuration to chain. */
  readonly configuration: Configuration;
  /** Whether the provider disposes the chained configuration with itself. */
  readonly shouldDisposeConfiguration: boolean;

  /** Chains `configuration` in (ASP.NET Core's `AddConfiguration`). */
  constructor(configuration: Configuration, shouldDisposeConfiguration = false) {
    this.configuration = configuration;
    this.shouldDisposeConfiguration = shouldDisposeConfiguration;
  }

  /** Creates the provider. */
  build(): ChainedConfigurationProvider {
    return new ChainedConfigurationProvider(this.configuration, this.shouldDisposeConfiguration);
  }
}
