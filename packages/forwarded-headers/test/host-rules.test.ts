import { describe, expect, it } from "vitest";
import { AllowedHosts, isValidHost, isValidScheme } from "../src/host-rules.js";

describe("isValidScheme", () => {
  it.each(["http", "https", "HTTPS", "ws", "wss", "coap+tcp", "a.b-c", "h2"])("accepts %j", (scheme) => {
    expect(isValidScheme(scheme)).toBe(true);
  });
  it.each(["", "1http", "+http", "ht tp", "http:", "https://", "htt\u00e9p", "http\r\n"])("rejects %j", (scheme) => {
    expect(isValidScheme(scheme)).toBe(false);
  });
});

describe("isValidHost", () => {
  it.each(["example.com", "EXAMPLE.com:8080", "a-b_c~d", "127.0.0.1", "127.0.0.1:80", "[::1]", "[::1]:443", "[2001:db8::1]", "localhost:1"])("accepts %j", (host) => {
    expect(isValidHost(host)).toBe(true);
  });
  it.each([
    "",
    ":80",
    "example.com:",
    "example.com:8o",
    "exa mple.com",
    "example.com/path",
    "example.com?q",
    "example.com#f",
    "user@example.com",
    "ex%41mple.com",
    "*.example.com",
    "a,b",
    "[::1",
    "[:]",
    "[::1]x",
    "[::1]:",
    "[g::1]",
    "b\u00fccher.example",
  ])("rejects %j", (host) => {
    expect(isValidHost(host)).toBe(false);
  });
});

describe("AllowedHosts", () => {
  it("allows everything when empty or with a top-level wildcard", () => {
    for (const patterns of [[], ["*"], ["example.com", "[::]"], ["0.0.0.0"]]) {
      const allowed = new AllowedHosts(patterns);
      expect(allowed.allowAll).toBe(true);
      expect(allowed.matches("anything.invalid")).toBe(true);
    }
  });

  it("matches exact names case-insensitively, ignoring the port", () => {
    const allowed = new AllowedHosts(["Example.COM", "[::1]"]);
    expect(allowed.matches("example.com")).toBe(true);
    expect(allowed.matches("EXAMPLE.com:8443")).toBe(true);
    expect(allowed.matches("[::1]:80")).toBe(true);
    expect(allowed.matches("www.example.com")).toBe(false);
    expect(allowed.matches("example.com.evil")).toBe(false);
  });

  it("matches *.suffix against subdomains only", () => {
    const allowed = new AllowedHosts(["*.example.com"]);
    expect(allowed.matches("a.example.com")).toBe(true);
    expect(allowed.matches("a.b.example.com:80")).toBe(true);
    expect(allowed.matches("example.com")).toBe(false);
    expect(allowed.matches(".example.com")).toBe(false);
    expect(allowed.matches("evilexample.com")).toBe(false);
  });

  it("compares international names in punycode", () => {
    const allowed = new AllowedHosts(["b\u00fccher.example", "*.M\u00fcnchen.example"]);
    expect(allowed.matches("xn--bcher-kva.example")).toBe(true);
    expect(allowed.matches("www.xn--mnchen-3ya.example")).toBe(true);
  });
});
