import { OptionsValidationError } from "@x/abstractions";
import { describe, expect, it } from "vitest";
import { IpNetwork, parseIpNetwork } from "../src/index.js";

describe("parseIpNetwork", () => {
  it("parses IPv4 networks and tests membership on the prefix bits", () => {
    const net = parseIpNetwork("10.0.0.0/8");
    expect(net).toBeInstanceOf(IpNetwork);
    expect(net.family).toBe(4);
    expect(net.prefix).toBe("10.0.0.0");
    expect(net.prefixLength).toBe(8);
    expect(net.toString()).toBe("10.0.0.0/8");
    expect(net.contains("10.0.0.0")).toBe(true);
    expect(net.contains("10.255.255.255")).toBe(true);
    expect(net.contains("11.0.0.0")).toBe(false);
    expect(net.contains("9.255.255.255")).toBe(false);
  });

  it("handles prefixes that do not fall on a byte boundary", () => {
    const net = parseIpNetwork("192.168.16.0/20");
    expect(net.contains("192.168.16.1")).toBe(true);
    expect(net.contains("192.168.31.255")).toBe(true);
    expect(net.contains("192.168.32.0")).toBe(false);
    expect(net.contains("192.168.15.255")).toBe(false);
  });

  it("clears host bits after the prefix", () => {
    const net = parseIpNetwork("10.1.2.3/8");
    expect(net.toString()).toBe("10.0.0.0/8");
    expect(net.contains("10.9.9.9")).toBe(true);
    expect(parseIpNetwork("2001:db8::1/32").toString()).toBe("2001:db8::/32");
  });

  it("/0 contains every address of its family only", () => {
    const any4 = parseIpNetwork("0.0.0.0/0");
    expect(any4.contains("1.2.3.4")).toBe(true);
    expect(any4.contains("255.255.255.255")).toBe(true);
    expect(any4.contains("::1")).toBe(false);
    const any6 = parseIpNetwork("::/0");
    expect(any6.contains("2001:db8::1")).toBe(true);
    expect(any6.contains("::ffff:1.2.3.4")).toBe(true);
    expect(any6.contains("1.2.3.4")).toBe(false);
  });

  it("/32 and /128 contain exactly one address", () => {
    const one4 = parseIpNetwork("192.0.2.7/32");
    expect(one4.contains("192.0.2.7")).toBe(true);
    expect(one4.contains("192.0.2.6")).toBe(false);
    expect(one4.contains("192.0.2.8")).toBe(false);
    const one6 = parseIpNetwork("2001:db8::7/128");
    expect(one6.contains("2001:DB8:0:0:0:0:0:7")).toBe(true);
    expect(one6.contains("2001:db8::8")).toBe(false);
  });

  it("parses IPv6 networks, in any text form", () => {
    const ula = parseIpNetwork("fd00::/8");
    expect(ula.family).toBe(6);
    expect(ula.contains("fd12:3456::1")).toBe(true);
    expect(ula.contains("fe80::1")).toBe(false);
    const net = parseIpNetwork("2001:DB8:0000:0000::/64");
    expect(net.toString()).toBe("2001:db8::/64");
    expect(net.contains("2001:db8::abcd")).toBe(true);
    expect(net.contains("2001:db8:0:1::")).toBe(false);
    expect(parseIpNetwork("::ffff:10.0.0.0/104").contains("::ffff:10.20.30.40")).toBe(true);
  });

  it("keeps families apart: an IPv4-mapped address is not in an IPv4 network", () => {
    const net = parseIpNetwork("127.0.0.0/8");
    expect(net.contains("::ffff:127.0.0.1")).toBe(false);
    expect(net.contains("127.0.0.1")).toBe(true);
  });

  it("returns false for text that is not an address", () => {
    const net = parseIpNetwork("0.0.0.0/0");
    expect(net.contains("")).toBe(false);
    expect(net.contains("example.com")).toBe(false);
    expect(net.contains("1.2.3.4:80")).toBe(false);
  });

  it.each([
    ["10.0.0.0", "address/prefixLength"],
    ["10.0.0.0/33", "0 to 32"],
    ["::/129", "0 to 128"],
    ["10.0.0.0/-1", "0 to 32"],
    ["10.0.0.0/8.5", "0 to 32"],
    ["10.0.0.0/", "0 to 32"],
    ["10.0.0/8", "not an IPv4 or IPv6 address"],
    ["10.0.0.256/8", "not an IPv4 or IPv6 address"],
    ["010.0.0.0/8", "not an IPv4 or IPv6 address"],
    ["example.com/8", "not an IPv4 or IPv6 address"],
    ["fe80::1%eth0/64", "not an IPv4 or IPv6 address"],
    ["1:2:3:4:5:6:7:8:9/64", "not an IPv4 or IPv6 address"],
    ["/8", "not an IPv4 or IPv6 address"],
    ["", "address/prefixLength"],
  ])("rejects %j with an error naming the value", (cidr, why) => {
    let caught: unknown;
    try {
      parseIpNetwork(cidr);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(OptionsValidationError);
    expect((caught as Error).message).toContain(JSON.stringify(cidr));
    expect((caught as Error).message).toContain(why);
  });
});
