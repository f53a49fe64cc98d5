import { describe, expect, it } from "vitest";
import { InvalidHeaderError } from "./errors.js";
import { emptyHeaderMap, HeaderMap, isToken } from "./header-map.js";

describe("HeaderMap", () => {
  it("looks names up case-insensitively and stores them lower-cased (RFC 9110 §5.1)", () => {
    const headers = new HeaderMap();
    headers.set("Content-Type", "text/plain");
    expect(headers.get("content-type")).toBe("text/plain");
    expect(headers.get("CONTENT-TYPE")).toBe("text/plain");
    expect(headers.has("cOnTeNt-TyPe")).toBe(true);
    expect([...headers.keys()]).toEqual(["content-type"]);
    expect(headers.delete("CONTENT-type")).toBe(true);
    expect(headers.size).toBe(0);
  });

  it("keeps every value of a repeated field in order and joins them with a comma for get (RFC 9110 §5.3)", () => {
    const headers = new HeaderMap();
    headers.append("Accept", "text/html");
    headers.append("accept", "application/json");
    headers.append("ACCEPT", ["text/plain", "*/*"]);
    expect(headers.getAll("accept")).toEqual(["text/html", "application/json", "text/plain", "*/*"]);
    expect(headers.get("accept")).toBe("text/html, application/json, text/plain, */*");
    expect(headers.getRaw("accept")).toEqual(["text/html", "application/json", "text/plain", "*/*"]);
  });

  it("returns undefined from get and an empty list from getAll for a missing field", () => {
    const headers = new HeaderMap();
    expect(headers.get("x-missing")).toBeUndefined();
    expect(headers.getAll("x-missing")).toEqual([]);
    expect(headers.has("x-missing")).toBe(false);
  });

  it("replaces every previous value on set and converts numbers to strings", () => {
    const headers = new HeaderMap();
    headers.append("x-a", "1").append("x-a", "2");
    headers.set("X-A", 3);
    expect(headers.getAll("x-a")).toEqual(["3"]);
    headers.set("x-b", [1, "two"]);
    expect(headers.getAll("x-b")).toEqual(["1", "two"]);
  });

  it("gives getAll a copy the caller may change without touching the map", () => {
    const headers = new HeaderMap([["x-a", ["1", "2"]]]);
    headers.getAll("x-a").push("3");
    expect(headers.getAll("x-a")).toEqual(["1", "2"]);
  });

  it("builds from entries or from a record, appending repeated names", () => {
    const fromEntries = new HeaderMap([
      ["Set-Cookie", "a=1"],
      ["set-cookie", "b=2"],
    ]);
    expect(fromEntries.getAll("set-cookie")).toEqual(["a=1", "b=2"]);
    const fromRecord = new HeaderMap({ Host: "example.com", "Content-Length": 5 });
    expect(fromRecord.toJSON()).toEqual({ host: "example.com", "content-length": "5" });
  });

  it.each([
    ["a carriage return", "a\rb"],
    ["a line feed", "a\nb"],
    ["a CRLF that would start a new header", "ok\r\nx-injected: 1"],
    ["a NUL", "a\0b"],
  ])("rejects a value containing %s with InvalidHeaderError (RFC 9110 §5.5)", (_, value) => {
    const headers = new HeaderMap();
    expect(() => headers.set("x-a", value)).toThrow(InvalidHeaderError);
    expect(() => headers.append("x-a", value)).toThrow(InvalidHeaderError);
    expect(() => headers.set("x-a", ["fine", value])).toThrow(InvalidHeaderError);
    expect(() => new HeaderMap({ "x-a": value })).toThrow(InvalidHeaderError);
    expect(headers.has("x-a")).toBe(false);
  });

  it.each([
    ["an empty name", ""],
    ["a space", "x a"],
    ["a colon", "x:a"],
    ["a CR", "x\ra"],
    ["a non-ASCII letter", "x-é"],
    ["a separator", "x(a)"],
  ])("rejects a name with %s as not a token (RFC 9110 §5.6.2)", (_, name) => {
    const headers = new HeaderMap();
    expect(() => headers.set(name, "v")).toThrow(InvalidHeaderError);
    expect(() => headers.append(name, "v")).toThrow(InvalidHeaderError);
  });

  it("carries the invalid-header code on rejections", () => {
    expect(() => new HeaderMap().set("x-a", "a\nb")).toThrow(expect.objectContaining({ code: "ERR_X_HTTP_INVALID_HEADER" }));
  });

  it("skips validation when built for an already-validated parser", () => {
    const headers = new HeaderMap(undefined, false);
    headers.set("x-a", "a\nb");
    expect(headers.get("x-a")).toBe("a\nb");
  });

  it("appends trusted values without validation, growing a list in place", () => {
    const headers = new HeaderMap();
    headers.appendTrusted("x-a", "1");
    expect(headers.getRaw("x-a")).toBe("1");
    headers.appendTrusted("x-a", "2");
    headers.appendTrusted("x-a", "3");
    expect(headers.getAll("x-a")).toEqual(["1", "2", "3"]);
    expect(headers.get("x-a")).toBe("1, 2, 3");
  });

  it("iterates entries in insertion order and clears", () => {
    const headers = new HeaderMap();
    headers.set("b", "1");
    headers.append("a", "2");
    headers.append("a", "3");
    expect([...headers]).toEqual([
      ["b", "1"],
      ["a", ["2", "3"]],
    ]);
    expect([...headers.entries()]).toEqual([...headers]);
    headers.clear();
    expect(headers.size).toBe(0);
  });
});

describe("isToken", () => {
  it("accepts every RFC 9110 tchar and rejects delimiters", () => {
    expect(isToken("!#$%&'*+-.^_`|~0123456789abcXYZ")).toBe(true);
    for (const c of '"(),/:;<=>?@[\\]{} \t') expect(isToken(`a${c}b`)).toBe(false);
    expect(isToken("")).toBe(false);
    expect(isToken("\u0100")).toBe(false);
  });
});

describe("emptyHeaderMap", () => {
  it("is empty, and every change throws ERR_X_HEADERS_READ_ONLY", () => {
    const map = emptyHeaderMap();
    expect(map.size).toBe(0);
    expect(map.get("x")).toBeUndefined();
    for (const change of [() => map.set("a", "1"), () => map.append("a", "1"), () => map.appendTrusted("a", "1"), () => map.delete("a"), () => map.clear()]) {
      expect(change).toThrow(expect.objectContaining({ code: "ERR_X_HEADERS_READ_ONLY" }));
    }
    expect(emptyHeaderMap()).toBe(map);
  });
});
