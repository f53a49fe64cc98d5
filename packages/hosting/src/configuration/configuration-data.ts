/**
 * The key/value store behind every provider: a `Map` keyed by the lower-cased
 * path for O(1) case-insensitive lookup, remembering the casing the source
 * used so `getChildren` reports keys as they were written.
 *
 * @module
 */
import { normalizeKey } from "./configuration-path.js";

/** One stored value: the key as the source spelled it and its value. */
export interface ConfigurationEntry {
  readonly key: string;
  /** `undefined` marks a key that exists without a value (an empty JSON object or array, a null in memory). */
  readonly value: string | undefined;
}

/** A case-insensitive map from configuration paths to string values. */
export class ConfigurationData {
  readonly #map = new Map<string, ConfigurationEntry>();

  /** Number of keys. */
  get size(): number {
    return this.#map.size;
  }

  /** True when the key exists, with or without a value. */
  has(key: string): boolean {
    return this.#map.has(normalizeKey(key));
  }

  /** The value for `key` (matched case-insensitively, `:` and `__` alike), or undefined. */
  get(key: string): string | undefined {
    return this.#map.get(normalizeKey(key))?.value;
  }

  /** Stores a value. A key that differs only in case replaces the old one, keeping the new casing. */
  set(key: string, value: string | undefined): this {
    this.#map.set(normalizeKey(key), { key, value });
    return this;
  }

  /** Removes the key; false if it was absent. */
  delete(key: string): boolean {
    return this.#map.delete(normalizeKey(key));
  }

  /** Entries in insertion order. */
  values(): IterableIterator<ConfigurationEntry> {
    return this.#map.values();
  }

  /**
   * True when both hold the same keys (same casing) and values. Reloads use
   * it so listeners only hear about real changes.
   */
  equals(other: ConfigurationData): boolean {
    if (other.#map.size !== this.#map.size) return false;
    for (const [normalized, entry] of this.#map) {
      const theirs = other.#map.get(normalized);
      if (theirs === undefined || theirs.key !== entry.key || theirs.value !== entry.value) return false;
    }
    return true;
  }
}
