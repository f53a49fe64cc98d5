/**
 * The shared half of every built-in provider: storage, lookup, child-key
 * enumeration and the reload event (.NET's `ConfigurationProvider` base class).
 *
 * @module
 */
import { ConfigurationData } from "../configuration-data.js";
import { compareConfigurationKeys, KEY_DELIMITER, normalizeKey } from "../configuration-path.js";
import type { ConfigurationProvider } from "../provider.js";

/**
 * Base class for providers that keep their values in a {@link ConfigurationData}.
 * Subclasses fill it in `load()` through {@link ConfigurationProviderBase.replaceData}.
 */
export abstract class ConfigurationProviderBase implements ConfigurationProvider {
  #data = new ConfigurationData();
  readonly #listeners = new Set<() => void>();

  /** The current data. Each load replaces the whole object, so do not hold on to it across reloads. */
  get data(): ConfigurationData {
    return this.#data;
  }

  /** The value for `key`, or undefined. */
  tryGet(key: string): string | undefined {
    return this.#data.get(key);
  }

  /** Sets (or, with undefined, removes) a value. */
  set(key: string, value: string | undefined): void {
    this.#data.set(key, value);
  }

  /** Does nothing by default: providers whose data is fixed at construction need no load. */
  load(): void {}

  /** `earlierKeys` plus this provider's child keys under `parentPath`, sorted as .NET sorts them. */
  getChildKeys(earlierKeys: readonly string[], parentPath: string | undefined): string[] {
    // Earlier keys first: the sort is stable, so when two providers spell a
    // key differently the first provider's spelling (usually the JSON
    // defaults, not an upper-cased environment variable) is the one kept.
    const keys = [...earlierKeys];
    if (parentPath === undefined) {
      for (const { key } of this.#data.values()) keys.push(segmentAt(key, 0));
    } else {
      const prefix = normalizeKey(parentPath);
      const start = parentPath.length + 1;
      for (const { key } of this.#data.values()) {
        if (
          key.length > parentPath.length &&
          key[parentPath.length] === KEY_DELIMITER &&
          normalizeKey(key.slice(0, parentPath.length)) === prefix
        ) {
          keys.push(segmentAt(key, start));
        }
      }
    }
    return keys.sort(compareConfigurationKeys);
  }

  /** Calls `callback` after each reload; returns a function that unsubscribes. */
  onReload(callback: () => void): () => void {
    this.#listeners.add(callback);
    return () => this.#listeners.delete(callback);
  }

  /** Drops the reload listeners. */
  dispose(): void {
    this.#listeners.clear();
  }

  /** Swaps in freshly loaded data. Returns whether anything changed. */
  protected replaceData(data: ConfigurationData): boolean {
    const changed = !this.#data.equals(data);
    this.#data = data;
    return changed;
  }

  /** Tells subscribers (the root) that the data changed. */
  protected raiseReload(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}

function segmentAt(key: string, start: number): string {
  const end = key.indexOf(KEY_DELIMITER, start);
  return end < 0 ? key.slice(start) : key.slice(start, end);
}
