import { OptionsValidationError } from "@x/abstractions";
import { describe, expect, it } from "vitest";
import { type BindingHost, parseBindingAddress, splitUrls } from "../src/index.js";

describe("parseBindingAddress", () => {
  it.each<[string, "http" | "https", BindingHost, number, boolean]>([
    ["http://localhost:5000", "http", { kind: "localhost" }, 5000, false],
    ["http://LOCALHOST:5000/", "http", { kind: "localhost" }, 5000, false],
    ["http://*:80", "http", { kind: "any" }, 80, false],
    ["http://+:80", "http", { kind: "any" }, 80, false],
    ["http://0.0.0.0:1", "http", { kind: "ip", address: "0.0.0.0" }, 1, false],
    ["http://127.0.0.1:8080", "http", { kind: "ip", address: "127.0.0.1" }, 8080, false],
    ["http://[::]:1", "http", { kind: "ip", address: "::" }, 1, false],
    ["http://[::1]:0", "http", { kind: "ip", address: "::1" }, 0, false],
    // Kestrel: any host that is not an IP or localhost binds every address.
    ["http://example.com:8080", "http", { kind: "any" }, 8080, true],
    ["http://unix:/tmp/a.sock", "http", { kind: "unix", path: "/tmp/a.sock" }, 0, false],
    ["https://localhost", "https", { kind: "localhost" }, 443, false],
    ["HTTPS://*:8443", "https", { kind: "any" }, 8443, false],
    ["http://localhost", "http", { kind: "localhost" }, 80, false],
    ["http://[::1]", "http", { kind: "ip", address: "::1" }, 80, false],
    ["  http://127.0.0.1:5000  ", "http", { kind: "ip", address: "127.0.0.1" }, 5000, false],
  ])("parses %s", (url, scheme, host, port, isHostName) => {
    const address = parseBindingAddress(url);
    expect(address).toEqual({ scheme, host, port, url: url.trim(), isHostName });
  });

  it.each([
    ["ftp://x", /must start with http/],
    ["localhost:5000", /must start with http/],
    ["http://host:abc", /port is not a number/],
    ["http://host:", /port is not a number/],
    ["http://host:99999", /0 to 65535/],
    ["http://host:80/path", /path base/],
    ["http://localhost:5000/api/", /path base/],
    ["http://unix:relative", /absolute/],
    ["http://", /host is missing/],
    ["http://:80", /host is missing/],
    ["http://[::1:80", /Invalid url/],
  ])("rejects %s with an OptionsValidationError", (url, message) => {
    let error: unknown;
    try {
      parseBindingAddress(url);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OptionsValidationError);
    expect((error as OptionsValidationError).key).toBe("urls");
    expect((error as Error).message).toMatch(message);
  });
});

describe("splitUrls", () => {
  it("splits a semicolon-separated list, trimming and dropping empty entries", () => {
    expect(splitUrls("http://localhost:5000; http://*:5001;;")).toEqual(["http://localhost:5000", "http://*:5001"]);
    expect(splitUrls(undefined)).toEqual([]);
    expect(splitUrls("")).toEqual([]);
  });
});
