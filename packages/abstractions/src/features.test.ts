import { describe, expect, expectTypeOf, it } from "vitest";
import { FeatureCollection, featureKey } from "./features.js";

interface Greeting {
  readonly text: string;
}
const GreetingFeature = featureKey<Greeting>("Greeting");
const CountFeature = featureKey<number>("Count");

describe("FeatureCollection", () => {
  it("returns what was set under a typed key", () => {
    const features = new FeatureCollection();
    features.set(GreetingFeature, { text: "hello" });
    const greeting = features.get(GreetingFeature);
    expectTypeOf(greeting).toEqualTypeOf<Greeting | undefined>();
    expect(greeting).toEqual({ text: "hello" });
    expect(features.has(GreetingFeature)).toBe(true);
    expect(features.has(CountFeature)).toBe(false);
  });

  it("gives the same (frozen) key for the same name, so every copy of the package agrees", () => {
    const features = new FeatureCollection();
    features.set(CountFeature, 1);
    expect(featureKey<number>("Count")).toBe(CountFeature);
    expect(features.get(featureKey<number>("Count"))).toBe(1);
    expect(features.get(featureKey<number>("OtherCount"))).toBeUndefined();
    expect(Object.isFrozen(CountFeature)).toBe(true);
  });

  it("keeps falsy values other than undefined", () => {
    const features = new FeatureCollection();
    features.set(CountFeature, 0);
    expect(features.get(CountFeature)).toBe(0);
    expect(features.has(CountFeature)).toBe(true);
  });

  it("falls back to its defaults, and its own features shadow them", () => {
    const connection = new FeatureCollection();
    connection.set(GreetingFeature, { text: "from the connection" });
    connection.set(CountFeature, 1);
    const request = new FeatureCollection(connection);
    expect(request.get(GreetingFeature)).toEqual({ text: "from the connection" });

    request.set(GreetingFeature, { text: "from the request" });
    expect(request.get(GreetingFeature)).toEqual({ text: "from the request" });
    expect(connection.get(GreetingFeature)).toEqual({ text: "from the connection" });
    // Defaults stay live: a later change on the connection shows through.
    connection.set(CountFeature, 2);
    expect(request.get(CountFeature)).toBe(2);
  });

  it("deletes its own feature when set to undefined, revealing the default again", () => {
    const defaults = new FeatureCollection();
    defaults.set(GreetingFeature, { text: "default" });
    const features = new FeatureCollection(defaults);
    features.set(GreetingFeature, { text: "own" });
    features.set(GreetingFeature, undefined);
    expect(features.get(GreetingFeature)).toEqual({ text: "default" });

    const alone = new FeatureCollection();
    alone.set(CountFeature, 3);
    alone.set(CountFeature, undefined);
    expect(alone.has(CountFeature)).toBe(false);
    // Deleting from an empty collection is a no-op.
    new FeatureCollection().set(CountFeature, undefined);
  });

  it("iterates its own features only", () => {
    const defaults = new FeatureCollection();
    defaults.set(GreetingFeature, { text: "default" });
    const features = new FeatureCollection(defaults);
    expect([...features]).toEqual([]);
    features.set(CountFeature, 7);
    expect([...features]).toEqual([[CountFeature, 7]]);
  });
});
