/**
 * The matcher on its own: entry normalisation, port stripping and the
 * comparison rules, without a server.
 */
import { describe, expect, it } from "vitest";
import { HostMatcher, hostWithoutPort, normalizeAllowedHost } from "../src/host-matcher.js";
import { parseAllowedHosts } from "../src/index.js";
import { capturingLogger } from "./helpers.js";

describe("parseAllowedHosts", () => {
  it("splits on ';', trims and drops empty entries", () => {
    expect(parseAllowedHosts(" example.com ; *.example.com;;  ;localhost ")).toEqual(["example.com", "*.example.com", "localhost"]);
  });

  it("gives an empty list for undefined, empty or separator-only values", () => {
    expect(parseAllowedHosts(undefined)).toEqual([]);
    expect(parseAllowedHosts("")).toEqual([]);
    expect(parseAllowedHosts(" ; ;")).toEqual([]);
  });

  it("keeps '*' and entries with ports as written", () => {
    expect(parseAllowedHosts("*")).toEqual(["*"]);
    expect(parseAllowedHosts("a.test:8080;[::1]")).toEqual(["a.test:8080", "[::1]"]);
  });
});

describe("normalizeAllowedHost", () => {
  it.each([
    [" Example.COM ", "example.com"],
    ["example.com:8080", "example.com"],
    ["example.com:", "example.com"],
    ["example.com.", "example.com."],
    ["*.Example.com", "*.example.com"],
    ["*.example.com:443", "*.example.com"],
    ["bücher.example", "xn--bcher-kva.example"],
    ["BÜCHER.example", "xn--bcher-kva.example"],
    ["*.bücher.example", "*.xn--bcher-kva.example"],
    ["xn--bcher-kva.example", "xn--bcher-kva.example"],
    ["127.0.0.1", "127.0.0.1"],
    ["127.0.0.1:5000", "127.0.0.1"],
    ["::1", "[::1]"],
    ["[::1]", "[::1]"],
    ["[0:0::1]", "[::1]"],
    ["0:0:0:0:0:0:0:1", "[::1]"],
    ["[::1]:8080", "[::1]"],
    ["[FE80::A]", "[fe80::a]"],
    ["localhost", "localhost"],
    ["my_host", "my_host"],
  ])("%j → %j", (entry, expected) => {
    expect(normalizeAllowedHost(entry)).toBe(expected);
  });

  it("treats '*' and ASP.NET Core's other top-level wildcards ([::], 0.0.0.0) as any host", () => {
    expect(normalizeAllowedHost("*")).toBe("*");
    expect(normalizeAllowedHost(" * ")).toBe("*");
    expect(normalizeAllowedHost("*:80")).toBe("*");
    expect(normalizeAllowedHost("[::]")).toBe("*");
    expect(normalizeAllowedHost("::")).toBe("*");
    expect(normalizeAllowedHost("0.0.0.0")).toBe("*");
  });

  it.each(["", "   ", "exa mple.com", "example.com:http", "a..b", "-a.example", "*example.com", "a.*.example.com", "*.*.example.com", "[::1", "[::1]x", "[zz]", "*.[::1]", "a/b", "user@host"])(
    "rejects %j",
    (entry) => {
      expect(normalizeAllowedHost(entry)).toBeNull();
    },
  );
});

describe("hostWithoutPort", () => {
  it.each([
    ["example.com", "example.com"],
    ["example.com:8080", "example.com"],
    ["example.com:", "example.com"],
    ["[::1]", "[::1]"],
    ["[::1]:443", "[::1]"],
    ["[::1]:", "[::1]"],
  ])("%j → %j", (value, expected) => {
    expect(hostWithoutPort(value)).toBe(expected);
  });

  it.each(["::1", "fe80::1:80", "example.com:8o", "[::1]x", "[::1]:x", "[::1"])("gives null for %j", (value) => {
    expect(hostWithoutPort(value)).toBeNull();
  });
});

describe("HostMatcher", () => {
  it("is off for an empty list or a list holding '*'", () => {
    expect(HostMatcher.create([]).allowsAnyHost).toBe(true);
    expect(HostMatcher.create(["a.test", "*", "b.test"]).allowsAnyHost).toBe(true);
    expect(HostMatcher.create(["a.test", "*"]).isAllowed("anything.at.all:1")).toBe(true);
    expect(HostMatcher.create(["a.test"]).allowsAnyHost).toBe(false);
  });

  it("stores exact names in a set and wildcards as suffixes, without duplicates", () => {
    const matcher = HostMatcher.create(["A.test", "a.test:80", "*.b.test", "*.B.TEST", "[0::1]", "::1"]);
    expect([...matcher.exactHosts].sort()).toEqual(["[::1]", "a.test"]);
    expect(matcher.wildcardSuffixes).toEqual([".b.test"]);
  });

  it("matches exact names case-insensitively, with or without a port", () => {
    const matcher = HostMatcher.create(["example.com"]);
    expect(matcher.isAllowed("example.com")).toBe(true);
    expect(matcher.isAllowed("EXAMPLE.Com")).toBe(true);
    expect(matcher.isAllowed("example.com:8080")).toBe(true);
    expect(matcher.isAllowed("example.com:")).toBe(true);
    expect(matcher.isAllowed("www.example.com")).toBe(false);
    expect(matcher.isAllowed("example.co")).toBe(false);
    expect(matcher.isAllowed("example.com:port")).toBe(false);
  });

  it("does not strip a trailing dot, as ASP.NET Core", () => {
    expect(HostMatcher.create(["example.com"]).isAllowed("example.com.")).toBe(false);
    expect(HostMatcher.create(["*.example.com"]).isAllowed("a.example.com.")).toBe(false);
    expect(HostMatcher.create(["example.com."]).isAllowed("example.com.:80")).toBe(true);
  });

  it("matches wildcard subdomains at any depth, never the apex or a look-alike", () => {
    const matcher = HostMatcher.create(["*.example.com"]);
    expect(matcher.isAllowed("a.example.com")).toBe(true);
    expect(matcher.isAllowed("A.B.Example.COM:443")).toBe(true);
    expect(matcher.isAllowed("example.com")).toBe(false);
    expect(matcher.isAllowed(".example.com")).toBe(false);
    expect(matcher.isAllowed("badexample.com")).toBe(false);
    expect(matcher.isAllowed("a.example.com.evil.test")).toBe(false);
  });

  it("compares IPv6 literals in canonical form and refuses unbracketed ones", () => {
    for (const entry of ["[::1]", "::1", "[0:0::1]"]) {
      const matcher = HostMatcher.create([entry]);
      expect(matcher.isAllowed("[::1]"), entry).toBe(true);
      expect(matcher.isAllowed("[::1]:8080"), entry).toBe(true);
      expect(matcher.isAllowed("[0:0::1]:8080"), entry).toBe(true);
      expect(matcher.isAllowed("[0000:0000:0000:0000:0000:0000:0000:0001]"), entry).toBe(true);
      expect(matcher.isAllowed("::1"), entry).toBe(false);
      expect(matcher.isAllowed("[::2]"), entry).toBe(false);
      expect(matcher.isAllowed("[::1"), entry).toBe(false);
    }
  });

  it("compares international names in punycode, both ways", () => {
    const unicode = HostMatcher.create(["bücher.example", "*.bücher.test"]);
    expect(unicode.isAllowed("xn--bcher-kva.example")).toBe(true);
    expect(unicode.isAllowed("XN--BCHER-KVA.example:80")).toBe(true);
    expect(unicode.isAllowed("bücher.example")).toBe(true);
    expect(unicode.isAllowed("a.xn--bcher-kva.test")).toBe(true);
    expect(unicode.isAllowed("a.BÜCHER.test")).toBe(true);
    expect(unicode.isAllowed("xn--bcher-kva.test")).toBe(false);
    const punycode = HostMatcher.create(["xn--bcher-kva.example"]);
    expect(punycode.isAllowed("Bücher.example:8080")).toBe(true);
    expect(punycode.isAllowed("büch er.example")).toBe(false);
  });

  it("refuses a host that is empty once the port is gone", () => {
    expect(HostMatcher.create(["a.test"]).isAllowed(":80")).toBe(false);
  });

  it("warns about invalid entries and skips them without turning filtering off", () => {
    const logger = capturingLogger();
    const matcher = HostMatcher.create(["exa mple.com", "*example.com"], logger);
    expect(matcher.allowsAnyHost).toBe(false);
    expect(matcher.exactHosts.size).toBe(0);
    expect(matcher.isAllowed("example.com")).toBe(false);
    const warnings = logger.entries.filter((e) => e.level === "warn");
    expect(warnings.map((w) => w.fields?.["entry"])).toEqual(["exa mple.com", "*example.com"]);
    expect(warnings[0]!.message).toContain("exa mple.com");
  });

  it("truncates an overlong invalid entry in the warning", () => {
    const logger = capturingLogger();
    HostMatcher.create([`${"a ".repeat(1_000)}`], logger);
    const warning = logger.entries.find((e) => e.level === "warn")!;
    expect((warning.fields?.["entry"] as string).length).toBe(256);
  });
});
