/**
 * The ESM and CommonJS builds loaded side by side, as in an ESM app with
 * CommonJS middleware: feature keys and error brands must be the same in
 * both, so `features.get` and `instanceof` work across formats.
 */
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";

const require = createRequire(import.meta.url);
type Abstractions = typeof import("../src/index.js");

describe("the ESM and CommonJS builds", async () => {
  const esm = (await import(new URL("../dist/index.js", import.meta.url).href)) as Abstractions;
  const cjs = require("../dist/index.cjs") as Abstractions;

  it("are two copies of the code", () => {
    expect(esm.FeatureCollection).not.toBe(cjs.FeatureCollection);
  });

  it("share every feature key: a feature one build sets, the other reads", () => {
    for (const name of Object.keys(esm).filter((k) => k.endsWith("Feature"))) {
      expect(cjs[name as keyof Abstractions], name).toBe(esm[name as keyof Abstractions]);
    }
    const features = new esm.FeatureCollection();
    features.set(esm.HttpUpgradeFeature, { isUpgradableRequest: false } as never);
    expect(features.get(cjs.HttpUpgradeFeature)).toEqual({ isUpgradableRequest: false });
    expect(cjs.featureKey("my-lib/Tenant")).toBe(esm.featureKey("my-lib/Tenant"));
  });

  it("share error brands: instanceof holds across the builds", () => {
    const fromCjs = new cjs.BadHttpRequestError("too large", 413, "RequestBodyTooLarge");
    expect(fromCjs instanceof esm.BadHttpRequestError).toBe(true);
    expect(fromCjs instanceof esm.XError).toBe(true);
    expect(new esm.UserError("x") instanceof cjs.UserError).toBe(true);
    expect(new esm.UserError("x") instanceof cjs.BadHttpRequestError).toBe(false);
    const Coded = cjs.createErrorClass("SameNameError", "ERR_SAME", "same");
    const CodedEsm = esm.createErrorClass("SameNameError", "ERR_SAME", "same");
    expect(new Coded() instanceof CodedEsm).toBe(true);
  });
});
