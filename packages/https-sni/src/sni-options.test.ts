import { describe, expect, it } from "vitest";
import { SniOptionsSelector } from "./sni-options.js";

const selector = () =>
  new SniOptionsSelector<string>({
    "a.example.com": "exact",
    "*.example.com": "wild",
    "*.deep.example.com": "deeper",
    "Bücher.example": "idn",
    "*": "any",
  });

describe("SniOptionsSelector (Kestrel's SNI matching)", () => {
  it("prefers an exact name, then the longest wildcard, then '*'", () => {
    const s = selector();
    expect(s.select("a.example.com")?.options).toBe("exact");
    expect(s.select("A.EXAMPLE.COM")?.options).toBe("exact");
    expect(s.select("b.example.com")?.options).toBe("wild");
    expect(s.select("x.deep.example.com")?.options).toBe("deeper");
    expect(s.select("other.test")?.options).toBe("any");
  });

  it("does not let '*.example.com' match 'example.com' itself", () => {
    const s = new SniOptionsSelector<string>({ "*.example.com": "wild" });
    expect(s.select("example.com")).toBeUndefined();
    expect(s.select("x.example.com")?.pattern).toBe("*.example.com");
  });

  it("gives clients without SNI only the '*' entry", () => {
    expect(selector().select(null)?.options).toBe("any");
    expect(new SniOptionsSelector<string>({ "a.test": "a" }).select(null)).toBeUndefined();
  });

  it("compares international names in punycode", () => {
    const s = selector();
    expect(s.select("xn--bcher-kva.example")?.options).toBe("idn");
    expect(s.select("BÜCHER.example")?.options).toBe("idn");
  });

  it("rejects malformed, duplicate and empty maps", () => {
    expect(() => new SniOptionsSelector({})).toThrow(/no entries/);
    expect(() => new SniOptionsSelector({ "a.*.test": 1 })).toThrow(/Invalid SNI host name/);
    expect(() => new SniOptionsSelector({ "*.": 1 })).toThrow(/Invalid SNI wildcard/);
    expect(() => new SniOptionsSelector({ "A.test": 1, "a.test": 2 })).toThrow(/Duplicate/);
  });
});
