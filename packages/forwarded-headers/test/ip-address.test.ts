import { isIPv6 } from "node:net";
import { describe, expect, it } from "vitest";
import { formatIpAddress, formatIpEndPoint, mappedIPv4, parseIpAddress } from "../src/ip-address.js";
import { parseIpEndPoint } from "../src/ip-endpoint.js";

function canonical(text: string): string | null {
  const address = parseIpAddress(text);
  return address === null ? null : formatIpAddress(address);
}

describe("parseIpAddress / formatIpAddress", () => {
  it.each([
    ["127.0.0.1", "127.0.0.1"],
    ["0.0.0.0", "0.0.0.0"],
    ["255.255.255.255", "255.255.255.255"],
    ["::", "::"],
    ["::1", "::1"],
    ["1::", "1::"],
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:0db8:0000:0000:0000:ff00:0042:8329", "2001:db8::ff00:42:8329"],
    ["1:0:1:1:1:1:1:1", "1:0:1:1:1:1:1:1"],
    ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
    ["::ffff:127.0.0.1", "::ffff:127.0.0.1"],
    ["::FFFF:7f00:1", "::ffff:127.0.0.1"],
    ["::1.2.3.4", "::102:304"],
    ["1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"],
    ["fe80::1%eth0", "fe80::1%eth0"],
  ])("%s → %s", (input, expected) => {
    expect(canonical(input)).toBe(expected);
  });

  it.each([
    "",
    "1.2.3",
    "1.2.3.4.5",
    "1.2.3.256",
    "01.2.3.4",
    "1.2.3.-4",
    "1.2.3.4 ",
    " 1.2.3.4",
    "localhost",
    "1",
    "0x7f.0.0.1",
    ":",
    ":::",
    ":1",
    "1:",
    "1:::2",
    "1::2::3",
    "12345::",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4::5:6:7:8",
    "1:2:3:4:5:6:7:1.2.3.4",
    "::1.2.3",
    "::g",
    "fe80::1%",
    "fe80::1%bad zone",
    `${"1:".repeat(60)}1`,
  ])("rejects %j", (input) => {
    expect(parseIpAddress(input)).toBeNull();
  });

  it("agrees with node:net on which IPv6 forms are valid", () => {
    for (const text of ["::", "::1", "1::", "a:b:c:d:e:f:1:2", "::ffff:1.2.3.4", "1::2:3", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8"]) {
      expect(isIPv6(text)).toBe(true);
      expect(parseIpAddress(text)?.family).toBe(6);
    }
  });

  it("finds the IPv4 address inside an IPv4-mapped IPv6 address only", () => {
    const mapped = mappedIPv4(parseIpAddress("::ffff:10.1.2.3")!);
    expect(mapped).not.toBeNull();
    expect(formatIpAddress(mapped!)).toBe("10.1.2.3");
    expect(mappedIPv4(parseIpAddress("::10.1.2.3")!)).toBeNull();
    expect(mappedIPv4(parseIpAddress("10.1.2.3")!)).toBeNull();
    expect(mappedIPv4(parseIpAddress("::1")!)).toBeNull();
  });

  it("formats endpoints as .NET's IPEndPoint.ToString", () => {
    expect(formatIpEndPoint("127.0.0.1", 5000)).toBe("127.0.0.1:5000");
    expect(formatIpEndPoint("::1", 5000)).toBe("[::1]:5000");
  });
});

describe("parseIpEndPoint (X-Forwarded-For entries)", () => {
  it.each([
    ["1.2.3.4", "1.2.3.4", 0],
    ["1.2.3.4:80", "1.2.3.4", 80],
    ["1.2.3.4:0", "1.2.3.4", 0],
    ["1.2.3.4:65535", "1.2.3.4", 65535],
    ["::1", "::1", 0],
    ["2001:db8::1", "2001:db8::1", 0],
    // Several colons and no brackets: the whole text is the address, never a port.
    ["2001:db8::1:80", "2001:db8::1:80", 0],
    ["[2001:db8::1]", "2001:db8::1", 0],
    ["[2001:DB8::1]:8080", "2001:db8::1", 8080],
    ["[::ffff:1.2.3.4]:1", "::ffff:1.2.3.4", 1],
  ])("%s → %s port %d", (input, address, port) => {
    const parsed = parseIpEndPoint(input);
    expect(parsed).not.toBeNull();
    expect(formatIpAddress(parsed!.address)).toBe(address);
    expect(parsed!.port).toBe(port);
  });

  it.each([
    "",
    "unknown",
    "_hidden",
    "example.com:80",
    "1.2.3.4:65536",
    "1.2.3.4:",
    "1.2.3.4:-1",
    "1.2.3.4:8a",
    "1.2.3.4:000080",
    "[1.2.3.4]",
    "[1.2.3.4]:80",
    "[::1",
    "[::1]80",
    "[::1]:",
    "[::1]:99999",
    "::1]:80",
    "1.2.3.4 :80",
    "x".repeat(10_000),
  ])("rejects %j", (input) => {
    expect(parseIpEndPoint(input)).toBeNull();
  });
});
