/**
 * Feature collections: the typed bag of capabilities a connection or request
 * exposes, keyed by {@link FeatureKey} (ASP.NET Core's `IFeatureCollection`).
 *
 * @module
 */

/** A typed key. The phantom `T` ties the key to the feature's interface. */
export interface FeatureKey<T> {
  readonly name: string;
  /** @internal phantom type carrier, never set */
  readonly __type?: T;
}

/**
 * One registry per process, found through a registered symbol, so every copy
 * of this package (its ESM and CommonJS builds, or two installed versions)
 * hands out the same key for the same name: CommonJS middleware in an ESM
 * app reads the features the server set.
 */
const REGISTRY_KEY = Symbol.for("@x/abstractions.feature-keys");
const registry: Map<string, FeatureKey<unknown>> = ((globalThis as Record<symbol, unknown>)[REGISTRY_KEY] as Map<string, FeatureKey<unknown>> | undefined) ??
  (() => {
    const map = new Map<string, FeatureKey<unknown>>();
    Object.defineProperty(globalThis, REGISTRY_KEY, { value: map });
    return map;
  })();

/**
 * The feature key named `name`. Keys are compared by identity, and the same
 * name gives the same key in every copy of the package: give your own
 * features a name of your own (`"my-lib/Tenant"`), not one of ours.
 */
export function featureKey<T>(name: string): FeatureKey<T> {
  let key = registry.get(name);
  if (key === undefined) {
    key = Object.freeze({ name });
    registry.set(name, key);
  }
  return key as FeatureKey<T>;
}

/** A mutable map from feature keys to implementations. */
export class FeatureCollection {
  #map: Map<FeatureKey<unknown>, unknown> | undefined;
  readonly #defaults: FeatureCollection | undefined;

  /** @param defaults features to fall back to (a request falls back to its connection's). */
  constructor(defaults?: FeatureCollection) {
    this.#defaults = defaults;
  }

  /** The feature for `key`: this collection's own, else the defaults', else undefined. */
  get<T>(key: FeatureKey<T>): T | undefined {
    const own = this.#map?.get(key);
    if (own !== undefined) return own as T;
    return this.#defaults?.get(key);
  }

  /** Sets this collection's feature for `key`; `undefined` removes it (the default, if any, shows again). */
  set<T>(key: FeatureKey<T>, value: T | undefined): void {
    if (value === undefined) {
      this.#map?.delete(key);
      return;
    }
    (this.#map ??= new Map()).set(key, value);
  }

  /** True when {@link FeatureCollection.get} would return a feature. */
  has(key: FeatureKey<unknown>): boolean {
    return this.get(key) !== undefined;
  }

  /** Own features (not the defaults), for diagnostics. */
  *[Symbol.iterator](): IterableIterator<[FeatureKey<unknown>, unknown]> {
    if (this.#map) yield* this.#map;
  }
}
