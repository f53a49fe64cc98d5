import { describe, expect, it } from "vitest";
import { normalizePath, removeDotSegments, splitTarget } from "./path.js";

/** The path as the parser hands it over: the target's bytes read as latin1. */
const wire = (s: string): string => Buffer.from(s, "utf8").toString("latin1");

describe("normalizePath", () => {
  it.each([
    ["/plain/path", "/plain/path"],
    ["/a%20b", "/a b"],
    ["/caf%C3%A9", "/café"],
    ["/%41%42c", "/ABc"],
    ["/a%2Fb", "/a%2Fb"],
    ["/a%2fb", "/a%2fb"],
    ["/a%252F", "/a%2F"],
    ["/a/%2e%2e/b", "/b"],
    ["/a/%2E/b", "/a/b"],
    ["/%", "/%"],
    ["/%4", "/%4"],
    ["/%zz", "/%zz"],
    ["/a%", "/a%"],
  ])("decodes %s to %s", (raw, expected) => {
    expect(normalizePath(raw)).toBe(expected);
  });

  it("keeps %2F encoded so data never becomes a segment separator", () => {
    expect(normalizePath("/files/a%2F..%2Fsecret")).toBe("/files/a%2F..%2Fsecret");
  });

  it("keeps the raw form when the decoded bytes are not valid UTF-8", () => {
    expect(normalizePath("/bad%FF")).toBe("/bad%FF");
  });

  it("decodes raw UTF-8 bytes in the path like their percent-encoded form", () => {
    expect(normalizePath(wire("/café"))).toBe("/café");
    expect(normalizePath(wire("/café/%20x"))).toBe("/café/ x");
    expect(normalizePath(wire("/日本"))).toBe(normalizePath("/%E6%97%A5%E6%9C%AC"));
  });
});

describe("removeDotSegments (RFC 3986 §5.2.4)", () => {
  it.each([
    ["/a/../b", "/b"],
    ["/a/./b", "/a/b"],
    ["/a/b/..", "/a/"],
    ["/a/b/.", "/a/b/"],
    ["/..", "/"],
    ["/../../a", "/a"],
    ["/a/b/../../../c", "/c"],
    ["/.hidden/..file", "/.hidden/..file"],
    ["/a//../b", "/a/b"],
  ])("turns %s into %s", (input, expected) => {
    expect(removeDotSegments(input)).toBe(expected);
  });
});

describe("splitTarget", () => {
  it("decodes the path and keeps the query raw, with its ?", () => {
    expect(splitTarget("/a%20b/../c?x=%20y&z=/../")).toEqual({ path: "/c", query: "?x=%20y&z=/../" });
  });

  it("returns an empty query when there is none", () => {
    expect(splitTarget("/a/../b")).toEqual({ path: "/b", query: "" });
  });

  it("keeps an empty query's ?", () => {
    expect(splitTarget("/a?")).toEqual({ path: "/a", query: "?" });
  });
});
