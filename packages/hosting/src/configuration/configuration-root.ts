/**
 * The built configuration (.NET `ConfigurationRoot`): an ordered list of
 * providers, asked last to first, plus the change event.
 *
 * @module
 */
import { type Logger, nullLogger } from "@x/abstractions";
import type { Configuration, ConfigurationSection } from "./configuration.js";
import { collectEntries, getChildSections } from "./configuration-children.js";
import { RootConfigurationSection } from "./configuration-section.js";
import { ConfigurationNoSourcesError } from "./errors.js";
import type { ConfigurationProvider } from "./provider.js";

/** Options of {@link ConfigurationRoot}. */
export interface ConfigurationRootOptions {
  /** Receives errors thrown by change listeners. Default: discard. */
  logger?: Logger;
}

/**
 * Loads its providers on construction. Usually made by `ConfigurationBuilder.build()`.
 *
 * @example
 * const config = new ConfigurationBuilder().addJsonFile("appsettings.json", { reloadOnChange: true }).build();
 * const off = config.onChange(() => applyLimits(config.getSection("Kestrel:Limits")));
 * // at shutdown
 * off();
 * config.dispose();
 */
export class ConfigurationRoot implements Configuration {
  readonly #providers: readonly ConfigurationProvider[];
  readonly #listeners = new Set<() => void>();
  readonly #subscriptions: Array<() => void> = [];
  readonly #logger: Logger;
  #reloading = false;
  #disposed = false;

  /** @throws whatever a provider's first `load()` throws; the providers are disposed first. */
  constructor(providers: readonly ConfigurationProvider[], options: ConfigurationRootOptions = {}) {
    this.#providers = Object.freeze([...providers]);
    this.#logger = options.logger ?? nullLogger;
    try {
      for (const provider of this.#providers) {
        provider.load();
        this.#subscriptions.push(provider.onReload(() => this.#onProviderReload()));
      }
    } catch (err) {
      // Do not leave file watchers of the providers already loaded behind.
      this.dispose();
      throw err;
    }
  }

  /** The providers, first (lowest precedence) to last. */
  get providers(): readonly ConfigurationProvider[] {
    return this.#providers;
  }

  /** The value for `key` from the last provider that has it, or undefined. */
  get(key: string): string | undefined {
    for (let i = this.#providers.length - 1; i >= 0; i--) {
      const value = this.#providers[i].tryGet(key);
      if (value !== undefined) return value;
    }
    return undefined;
  }

  /** @throws ConfigurationNoSourcesError when there is no provider to hold the value. */
  set(key: string, value: string | undefined): void {
    if (this.#providers.length === 0) throw new ConfigurationNoSourcesError();
    for (const provider of this.#providers) provider.set(key, value);
  }

  /** The section at `key` (`Kestrel:Endpoints`); it exists even when empty. */
  getSection(key: string): ConfigurationSection {
    return new RootConfigurationSection(this, key);
  }

  /** The top-level sections. */
  getChildren(): ConfigurationSection[] {
    return getChildSections(this, undefined);
  }

  /** Every `[key, value]` with a value, keys in full (`Kestrel:Limits:MaxRequestBodySize`). */
  asEntries(): Array<[string, string]> {
    return collectEntries(this.getChildren());
  }

  /** Calls `callback` after any provider reloads; returns a function that unsubscribes. */
  onChange(callback: () => void): () => void {
    if (this.#disposed) return () => {};
    this.#listeners.add(callback);
    return () => {
      this.#listeners.delete(callback);
    };
  }

  /**
   * Loads every provider again, then notifies listeners once (always, as
   * .NET's `Reload` does, whether or not anything changed).
   */
  reload(): void {
    this.#reloading = true;
    try {
      for (const provider of this.#providers) provider.load();
    } finally {
      this.#reloading = false;
    }
    this.#raiseChanged();
  }

  /** Closes file watchers and drops listeners. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const unsubscribe of this.#subscriptions) unsubscribe();
    this.#subscriptions.length = 0;
    this.#listeners.clear();
    for (const provider of this.#providers) provider.dispose();
  }

  #onProviderReload(): void {
    // reload() notifies once at the end instead of once per provider.
    if (!this.#reloading) this.#raiseChanged();
  }

  #raiseChanged(): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener();
      } catch (err) {
        // Listeners usually run from a file watcher; an exception there would
        // crash the process for a configuration typo.
        this.#logger.error({ err }, "A configuration change listener threw");
      }
    }
  }
}
