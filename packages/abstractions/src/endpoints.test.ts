import { describe, expect, it } from "vitest";
import { formatEndPoint, ipEndPoint, unixEndPoint } from "./endpoints.js";

describe("endpoints", () => {
  it("infers the address family and formats IPv6 in brackets", () => {
    expect(ipEndPoint("127.0.0.1", 80)).toEqual({ kind: "ip", address: "127.0.0.1", port: 80, family: 4 });
    expect(ipEndPoint("::1", 80).family).toBe(6);
    expect(formatEndPoint(ipEndPoint("127.0.0.1", 80))).toBe("127.0.0.1:80");
    expect(formatEndPoint(ipEndPoint("::1", 8080))).toBe("[::1]:8080");
    expect(formatEndPoint(unixEndPoint("/tmp/a.sock"))).toBe("unix:/tmp/a.sock");
  });
});
