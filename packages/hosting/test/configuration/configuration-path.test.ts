import { describe, expect, it } from "vitest";
import {
  combinePath,
  compareConfigurationKeys,
  getParentPath,
  getSectionKey,
  keysEqual,
  splitPath,
} from "../../src/configuration/index.js";

describe("configuration paths", () => {
  it("combines and splits segments with a colon", () => {
    expect(combinePath("Kestrel", "Limits", "MaxRequestBodySize")).toBe("Kestrel:Limits:MaxRequestBodySize");
    expect(splitPath("a:b:c")).toEqual(["a", "b", "c"]);
  });

  it("reports the last segment as the section key and the rest as the parent path", () => {
    expect(getSectionKey("A:B:C")).toBe("C");
    expect(getSectionKey("A")).toBe("A");
    expect(getParentPath("A:B:C")).toBe("A:B");
    expect(getParentPath("A")).toBeUndefined();
  });

  it("compares keys ignoring case", () => {
    expect(keysEqual("Kestrel:Limits", "kestrel:LIMITS")).toBe(true);
    expect(keysEqual("a", "b")).toBe(false);
  });

  it("sorts integer segments numerically before names, names ignoring case", () => {
    const keys = ["b", "10", "A", "2", "a:1", "1", "C"];
    expect([...keys].sort(compareConfigurationKeys)).toEqual(["1", "2", "10", "A", "a:1", "b", "C"]);
  });
});
