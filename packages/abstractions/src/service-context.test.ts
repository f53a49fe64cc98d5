import { describe, expect, it } from "vitest";
import { createResourceCounter, unlimitedCounter } from "./service-context.js";

describe("createResourceCounter", () => {
  it("refuses once the cap is held and admits again after a release", () => {
    const counter = createResourceCounter(2);
    expect(counter.tryLockOne()).toBe(true);
    expect(counter.tryLockOne()).toBe(true);
    expect(counter.tryLockOne()).toBe(false);
    counter.releaseOne();
    expect(counter.tryLockOne()).toBe(true);
    expect(counter.tryLockOne()).toBe(false);
  });

  it("refuses everything with a cap of zero", () => {
    expect(createResourceCounter(0).tryLockOne()).toBe(false);
  });

  it("never goes below zero on extra releases", () => {
    const counter = createResourceCounter(1);
    counter.releaseOne();
    counter.releaseOne();
    expect(counter.tryLockOne()).toBe(true);
    expect(counter.tryLockOne()).toBe(false);
  });

  it("is unlimited for null", () => {
    const counter = createResourceCounter(null);
    expect(counter).toBe(unlimitedCounter);
    for (let i = 0; i < 1000; i++) expect(counter.tryLockOne()).toBe(true);
  });
});
