/**
 * The read side of configuration (.NET `IConfiguration` and
 * `IConfigurationSection`): a tree of string values addressed by
 * case-insensitive `:`-separated paths.
 *
 * @module
 */

/**
 * A configuration root or one of its sections.
 *
 * @example
 * const limits = config.getSection("Kestrel:Limits");
 * limits.get("MaxRequestBodySize"); // same as config.get("kestrel:limits:maxrequestbodysize")
 */
export interface Configuration {
  /** The value at `key` (a key or a path such as `"A:B:C"`), or `undefined`. Later providers win. */
  get(key: string): string | undefined;
  /** Sets `key` in every provider (in memory only; files are not written). */
  set(key: string, value: string | undefined): void;
  /** The section at `key`. Never absent: use `exists()` to ask whether it holds anything. */
  getSection(key: string): ConfigurationSection;
  /**
   * Immediate children across all providers, one per key ignoring case, in
   * .NET's order: integer keys numerically first, then others
   * ordinal-ignore-case.
   */
  getChildren(): ConfigurationSection[];
  /**
   * Every `[path, value]` pair at or below this node, depth first in child
   * order, with full paths. Unlike .NET's `AsEnumerable`, nodes without a
   * value (parents of other keys) are left out.
   */
  asEntries(): Array<[string, string]>;
  /** Calls `callback` after any provider reloaded with changed data. Returns the unsubscribe function. */
  onChange(callback: () => void): () => void;
}

/** A node of the configuration tree. */
export interface ConfigurationSection extends Configuration {
  /** The last segment of the path: `"MaxRequestBodySize"`. */
  readonly key: string;
  /** The full path: `"Kestrel:Limits:MaxRequestBodySize"`. */
  readonly path: string;
  /** The value at this node, if any. Setting it writes to every provider. */
  value: string | undefined;
  /** True when the section has a value or children. */
  exists(): boolean;
}
