/**
 * In-memory configuration (.NET `MemoryConfigurationProvider`): defaults
 * supplied by code, and the provider tests lean on.
 *
 * @module
 */
import type { ConfigurationSource } from "../provider.js";
import { ConfigurationProviderBase } from "./provider-base.js";

/** A scalar accepted in memory; numbers and booleans are stored as their string form, null as "no value". */
export type MemoryValue = string | number | boolean | null | undefined;

/** Key/value pairs with path keys such as `"Kestrel:Limits:MaxRequestBodySize"`. */
export type MemoryConfigurationData = Readonly<Record<string, MemoryValue>> | Iterable<readonly [string, MemoryValue]>;

/** Serves a fixed set of pairs; `load()` keeps them, `set()` changes them. */
export class MemoryConfigurationProvider extends ConfigurationProviderBase {
  /** Starts with `initialData`, if given. */
  constructor(initialData?: MemoryConfigurationData) {
    super();
    if (initialData === undefined) return;
    const pairs = isIterable(initialData) ? initialData : Object.entries(initialData);
    for (const [key, value] of pairs) this.set(key, value == null ? undefined : String(value));
  }
}

/**
 * @example
 * builder.add(new MemoryConfigurationSource({ "Kestrel:Limits:MaxRequestBodySize": 1024 }));
 */
export class MemoryConfigurationSource implements ConfigurationSource {
  /** The values the provider starts with. */
  readonly initialData: MemoryConfigurationData | undefined;

  /** An in-memory source (ASP.NET Core's `AddInMemoryCollection`). */
  constructor(initialData?: MemoryConfigurationData) {
    this.initialData = initialData;
  }

  /** Creates the provider. */
  build(): MemoryConfigurationProvider {
    return new MemoryConfigurationProvider(this.initialData);
  }
}

function isIterable(value: object): value is Iterable<readonly [string, MemoryValue]> {
  return typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === "function";
}
