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
  readonly configuration: Configuration;
  readonly #shouldDisposeConfiguration: boolean;

  constructor(configuration: Configuration, shouldDisposeConfiguration = false) {
    this.configuration = configuration;
    this.#shouldDisposeConfiguration = shouldDisposeConfiguration;
  }

  tryGet(key: string): string | undefined {
    return this.configuration.get(key);
  }

  set(key: string, value: string | undefined): void {
    this.configuration.set(key, value);
  }

  /** Nothing to read: the chained configuration loads itself. */
  load(): void {}

  getChildKeys(earlierKeys: readonly string[], parentPath: string | undefined): string[] {
    const section = parentPath === undefined ? this.configuration : this.configuration.getSection(parentPath);
    const keys = [...earlierKeys];
    for (const child of section.getChildren()) keys.push(child.key);
    return keys.sort(compareConfigurationKeys);
  }

  onReload(callback: () => void): () => void {
    return this.configuration.onChange(callback);
  }

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
  readonly configuration: Configuration;
  readonly shouldDisposeConfiguration: boolean;

  constructor(configuration: Configuration, shouldDisposeConfiguration = false) {
    this.configuration = configuration;
    this.shouldDisposeConfiguration = shouldDisposeConfiguration;
  }

  build(): ChainedConfigurationProvider {
    return new ChainedConfigurationProvider(this.configuration, this.shouldDisposeConfiguration);
  }
}
