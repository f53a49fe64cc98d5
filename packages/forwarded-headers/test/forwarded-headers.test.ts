import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import { connect as http2Connect } from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ForwardedHeaders } from "../src/index.js";
import { canListen, capturingLogger, getWith, Harness, rawRequest, type Seen } from "./helpers.js";

const { XForwardedFor: For, XForwardedProto: Proto, XForwardedHost: Host, All } = ForwardedHeaders;
/** Every peer trusted: the check is off when both known lists are empty. */
const TRUST_ALL = { knownProxies: [], knownNetworks: [] };
/** 127.0.0.1 is not trusted. */
const UNTRUSTED_LOOPBACK = { knownProxies: [], knownNetworks: ["10.0.0.0/8"] };

const harness = new Harness();
afterEach(() => harness.cleanup());

const ipv6 = await canListen("::1");

describe("from a trusted loopback peer", () => {
  it("applies X-Forwarded-For and -Proto, keeps the originals in X-Original-*, and removes the consumed headers", async () => {
    const { port } = await harness.start({ forwardedHeaders: For | Proto });
    const socket = await harness.connect("127.0.0.1", port);
    const seen = await rawRequest(
      socket,
      `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Forwarded-For: 203.0.113.7\r\nX-Forwarded-Proto: https\r\n\r\n`,
    );
    expect(seen.remoteAddress).toBe("203.0.113.7");
    expect(seen.remotePort).toBe(0);
    expect(seen.featureRemoteAddress).toBe("203.0.113.7");
    expect(seen.localPort).toBe(port);
    expect(seen.scheme).toBe("https");
    expect(seen.host).toBe(`127.0.0.1:${port}`);
    expect(seen.headers["x-original-for"]).toBe(`127.0.0.1:${socket.localPort}`);
    expect(seen.headers["x-original-proto"]).toBe("http");
    expect(seen.headers["x-forwarded-for"]).toBeNull();
    expect(seen.headers["x-forwarded-proto"]).toBeNull();
    expect(seen.headers["x-original-host"]).toBeNull();
  });

  it("takes the port from the forwarded endpoint", async () => {
    const { origin } = await harness.start({ forwardedHeaders: For });
    const seen = await harness.get(origin, { "x-forwarded-for": "203.0.113.7:4711" });
    expect(seen.remoteAddress).toBe("203.0.113.7");
    expect(seen.remotePort).toBe(4711);
  });

  it("changes nothing when forwardedHeaders is None (the default)", async () => {
    const { origin } = await harness.start({});
    const seen = await harness.get(origin, { "x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "https", "x-forwarded-host": "example.com" });
    expect(seen.remoteAddress).toBe("127.0.0.1");
    expect(seen.scheme).toBe("http");
    expect(seen.host).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(seen.headers["x-forwarded-for"]).toBe("203.0.113.7");
    expect(seen.headers["x-forwarded-proto"]).toBe("https");
    expect(seen.headers["x-forwarded-host"]).toBe("example.com");
    expect(seen.headers["x-original-for"]).toBeNull();
  });

  it("processes only the enabled headers", async () => {
    const { origin } = await harness.start({ forwardedHeaders: For });
    const seen = await harness.get(origin, { "x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "https" });
    expect(seen.remoteAddress).toBe("203.0.113.7");
    expect(seen.scheme).toBe("http");
    expect(seen.headers["x-forwarded-proto"]).toBe("https");
    expect(seen.headers["x-original-proto"]).toBeNull();
  });

  it("rewrites one request only: the next request on the same connection sees the real peer", async () => {
    const { origin } = await harness.start({ forwardedHeaders: For | Proto });
    const client = harness.client(origin);
    const first = await getWith(client, { "x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "https" });
    const second = await getWith(client);
    expect(first.remoteAddress).toBe("203.0.113.7");
    expect(first.scheme).toBe("https");
    expect(second.remoteAddress).toBe("127.0.0.1");
    expect(second.featureRemoteAddress).toBe("127.0.0.1");
    expect(second.remotePort).toBeGreaterThan(0);
    expect(second.scheme).toBe("http");
    expect(second.headers["x-original-for"]).toBeNull();
  });

  it("reads every occurrence of a repeated header", async () => {
    const { port } = await harness.start({ forwardedHeaders: For, forwardLimit: 2, ...TRUST_ALL });
    const socket = await harness.connect("127.0.0.1", port);
    const seen = await rawRequest(
      socket,
      "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 198.51.100.1\r\nX-Forwarded-For: 10.0.0.5, 10.0.0.6\r\n\r\n",
    );
    expect(seen.remoteAddress).toBe("10.0.0.5");
    expect(seen.headers["x-forwarded-for"]).toBe("198.51.100.1");
  });

  it("uses custom header names", async () => {
    const { port } = await harness.start({ forwardedHeaders: For, forwardedForHeaderName: "X-Client-IP", originalForHeaderName: "X-Client-IP-Was" });
    const socket = await harness.connect("127.0.0.1", port);
    const seen = await rawRequest(socket, "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 198.51.100.1\r\nX-Client-IP: 203.0.113.7\r\n\r\n");
    expect(seen.remoteAddress).toBe("203.0.113.7");
    expect(seen.headers["x-client-ip"]).toBeNull();
    expect(seen.headers["x-client-ip-was"]).toBe(`127.0.0.1:${socket.localPort}`);
    expect(seen.headers["x-forwarded-for"]).toBe("198.51.100.1");
    expect(seen.headers["x-original-for"]).toBeNull();
  });
});

describe("from an untrusted peer", () => {
  it("ignores spoofed X-Forwarded-* headers", async () => {
    const { origin } = await harness.start({ forwardedHeaders: All, ...UNTRUSTED_LOOPBACK });
    const seen = await harness.get(origin, { "x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "https", "x-forwarded-host": "example.com" });
    expect(seen.remoteAddress).toBe("127.0.0.1");
    expect(seen.scheme).toBe("http");
    expect(seen.host).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(seen.headers["x-forwarded-for"]).toBe("203.0.113.7");
    expect(seen.headers["x-forwarded-proto"]).toBe("https");
    expect(seen.headers["x-forwarded-host"]).toBe("example.com");
    expect(seen.headers["x-original-for"]).toBeNull();
    expect(seen.headers["x-original-proto"]).toBeNull();
    expect(seen.headers["x-original-host"]).toBeNull();
  });

  it("ignores X-Forwarded-Proto too when X-Forwarded-For is not processed", async () => {
    const { origin } = await harness.start({ forwardedHeaders: Proto, ...UNTRUSTED_LOOPBACK });
    const seen = await harness.get(origin, { "x-forwarded-proto": "https" });
    expect(seen.scheme).toBe("http");
    expect(seen.headers["x-forwarded-proto"]).toBe("https");
  });

  it("logs the unknown proxy at debug", async () => {
    const { logger, entries } = capturingLogger();
    const { origin } = await harness.start({ forwardedHeaders: For, knownProxies: ["192.0.2.1"], knownNetworks: [] }, { logger });
    const seen = await harness.get(origin, { "x-forwarded-for": "203.0.113.7" });
    expect(seen.remoteAddress).toBe("127.0.0.1");
    expect(entries.some((e) => e.level === "debug" && e.message.includes("Unknown proxy"))).toBe(true);
  });
});

describe("forwardLimit", () => {
  const chain = { "x-forwarded-for": "198.51.100.1, 203.0.113.9, 10.0.0.5", "x-forwarded-proto": "https, http, wss" };

  it("1 (the default): applies only the rightmost entry and leaves the rest", async () => {
    const { origin } = await harness.start({ forwardedHeaders: For | Proto });
    const seen = await harness.get(origin, chain);
    expect(seen.remoteAddress).toBe("10.0.0.5");
    expect(seen.scheme).toBe("wss");
    expect(seen.headers["x-forwarded-for"]).toBe("198.51.100.1, 203.0.113.9");
    expect(seen.headers["x-forwarded-proto"]).toBe("https, http");
    expect(seen.headers["x-original-for"]).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(seen.headers["x-original-proto"]).toBe("http");
  });

  it("2 with the intermediate proxy trusted: consumes two entries", async () => {
    const { origin } = await harness.start({ forwardedHeaders: For | Proto, forwardLimit: 2, knownProxies: ["127.0.0.1", "10.0.0.5"] });
    const seen = await harness.get(origin, chain);
    expect(seen.remoteAddress).toBe("203.0.113.9");
    expect(seen.scheme).toBe("http");
    expect(seen.headers["x-forwarded-for"]).toBe("198.51.100.1");
    expect(seen.headers["x-forwarded-proto"]).toBe("https");
    // The original is the socket peer, not an intermediate hop.
    expect(seen.headers["x-original-for"]).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it("2 with the intermediate proxy not trusted: stops after one entry", async () => {
    const { origin } = await harness.start({ forwardedHeaders: For | Proto, forwardLimit: 2 });
    const seen = await harness.get(origin, chain);
    expect(seen.remoteAddress).toBe("10.0.0.5");
    expect(seen.scheme).toBe("wss");
    expect(seen.headers["x-forwarded-for"]).toBe("198.51.100.1, 203.0.113.9");
    expect(seen.headers["x-forwarded-proto"]).toBe("https, http");
  });

  it("null: walks the whole chain while every hop is trusted", async () => {
    const { origin } = await harness.start({ forwardedHeaders: For | Proto, forwardLimit: null, knownProxies: ["203.0.113.9"], knownNetworks: ["127.0.0.0/8", "10.0.0.0/8"] });
    const seen = await harness.get(origin, chain);
    expect(seen.remoteAddress).toBe("198.51.100.1");
    expect(seen.scheme).toBe("https");
    expect(seen.headers["x-forwarded-for"]).toBeNull();
    expect(seen.headers["x-forwarded-proto"]).toBeNull();
    expect(seen.headers["x-original-for"]).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(seen.headers["x-original-proto"]).toBe("http");
  });

  it("null: stops at the first hop that is not trusted", async () => {
    const { origin } = await harness.start({ forwardedHeaders: For, forwardLimit: null, knownNetworks: ["127.0.0.0/8", "10.0.0.0/8"] });
    const seen = await harness.get(origin, chain);
    expect(seen.remoteAddress).toBe("203.0.113.9");
    expect(seen.headers["x-forwarded-for"]).toBe("198.51.100.1");
  });

  it("empty known lists trust every hop", async () => {
    const { origin } = await harness.start({ forwardedHeaders: For | Proto, forwardLimit: null, ...TRUST_ALL });
    const seen = await harness.get(origin, chain);
    expect(seen.remoteAddress).toBe("198.51.100.1");
    expect(seen.scheme).toBe("https");
    expect(seen.headers["x-forwarded-for"]).toBeNull();
  });

  it("missing positions in a shorter header are skipped, not applied", async () => {
    const { origin } = await harness.start({ forwardedHeaders: For | Proto, forwardLimit: 2, ...TRUST_ALL });
    const seen = await harness.get(origin, { "x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "https, http" });
    expect(seen.remoteAddress).toBe("203.0.113.7");
    expect(seen.scheme).toBe("https");
    expect(seen.headers["x-forwarded-for"]).toBeNull();
    expect(seen.headers["x-forwarded-proto"]).toBeNull();
  });
});

describe("malformed values", () => {
  it("an unparsable X-Forwarded-For entry stops processing, keeping what was applied before it", async () => {
    const { origin } = await harness.start({ forwardedHeaders: For | Proto, forwardLimit: null, ...TRUST_ALL });
    const seen = await harness.get(origin, { "x-forwarded-for": "198.51.100.1, unknown, 10.0.0.5", "x-forwarded-proto": "https, https, http" });
    expect(seen.remoteAddress).toBe("10.0.0.5");
    expect(seen.scheme).toBe("http");
    expect(seen.headers["x-forwarded-for"]).toBe("198.51.100.1, unknown");
    expect(seen.headers["x-forwarded-proto"]).toBe("https, https");
  });

  it("an unparsable rightmost entry changes nothing, not even the scheme of the same entry", async () => {
    const { origin } = await harness.start({ forwardedHeaders: For | Proto });
    const seen = await harness.get(origin, { "x-forwarded-for": "_obfuscated", "x-forwarded-proto": "https" });
    expect(seen.remoteAddress).toBe("127.0.0.1");
    expect(seen.scheme).toBe("http");
    expect(seen.headers["x-forwarded-for"]).toBe("_obfuscated");
    expect(seen.headers["x-forwarded-proto"]).toBe("https");
    expect(seen.headers["x-original-for"]).toBeNull();
  });

  it("an invalid scheme is ignored while X-Forwarded-For still applies", async () => {
    const { origin } = await harness.start({ forwardedHeaders: For | Proto });
    const seen = await harness.get(origin, { "x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "https://evil" });
    expect(seen.remoteAddress).toBe("203.0.113.7");
    expect(seen.scheme).toBe("http");
    expect(seen.headers["x-forwarded-proto"]).toBe("https://evil");
    expect(seen.headers["x-original-proto"]).toBeNull();
  });

  it.each([
    ["commas only", ",,, ,"],
    ["an out-of-range port", "203.0.113.7:70000"],
    ["a host name", "client.example.com"],
    ["bytes above ASCII", "\u00ff\u00fe203.0.113.7"],
    ["a bracketed IPv4 address", "[203.0.113.7]"],
  ])("survives %s without changing anything", async (_what, value) => {
    const { port } = await harness.start({ forwardedHeaders: All, forwardLimit: null, ...TRUST_ALL });
    const socket = await harness.connect("127.0.0.1", port);
    const seen = await rawRequest(socket, `GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: ${value}\r\n\r\n`);
    expect(seen.remoteAddress).toBe("127.0.0.1");
    expect(seen.headers["x-original-for"]).toBeNull();
  });

  it("drops empty entries, as ASP.NET Core's comma-separated parsing does", async () => {
    const { origin } = await harness.start({ forwardedHeaders: For | Proto });
    const seen = await harness.get(origin, { "x-forwarded-for": "198.51.100.1, 203.0.113.7, ,", "x-forwarded-proto": " https ,," });
    expect(seen.remoteAddress).toBe("203.0.113.7");
    expect(seen.scheme).toBe("https");
    expect(seen.headers["x-forwarded-for"]).toBe("198.51.100.1");
    expect(seen.headers["x-forwarded-proto"]).toBeNull();
  });

  it("handles a long chain in one pass (limit null, every hop trusted)", async () => {
    const hops = Array.from({ length: 2000 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.1`);
    const { origin } = await harness.start({ forwardedHeaders: For, forwardLimit: null, ...TRUST_ALL });
    const seen = await harness.get(origin, { "x-forwarded-for": hops.join(", ") });
    expect(seen.remoteAddress).toBe("10.0.0.1");
    expect(seen.headers["x-forwarded-for"]).toBeNull();
  });

  it("a long chain with the default limit consumes one entry", async () => {
    const hops = Array.from({ length: 2000 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.1`);
    const { origin } = await harness.start({ forwardedHeaders: For });
    const seen = await harness.get(origin, { "x-forwarded-for": hops.join(",") });
    expect(seen.remoteAddress).toBe(hops[hops.length - 1]);
    expect(seen.headers["x-forwarded-for"]).toBe(hops.slice(0, -1).join(", "));
  });
});

describe("requireHeaderSymmetry", () => {
  it("a count mismatch changes nothing and logs a warning", async () => {
    const { logger, entries } = capturingLogger();
    const { origin } = await harness.start({ forwardedHeaders: For | Proto, requireHeaderSymmetry: true }, { logger });
    const seen = await harness.get(origin, { "x-forwarded-for": "198.51.100.1, 203.0.113.7", "x-forwarded-proto": "https" });
    expect(seen.remoteAddress).toBe("127.0.0.1");
    expect(seen.scheme).toBe("http");
    expect(seen.headers["x-forwarded-for"]).toBe("198.51.100.1, 203.0.113.7");
    expect(seen.headers["x-original-for"]).toBeNull();
    expect(entries.filter((e) => e.level === "warn").map((e) => e.message)).toEqual(["Parameter count mismatch between X-Forwarded-For and X-Forwarded-Proto."]);
  });

  it("a missing X-Forwarded-Host value is a mismatch too", async () => {
    const { logger, entries } = capturingLogger();
    const { origin } = await harness.start({ forwardedHeaders: All, requireHeaderSymmetry: true }, { logger });
    const seen = await harness.get(origin, { "x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "https" });
    expect(seen.remoteAddress).toBe("127.0.0.1");
    expect(seen.scheme).toBe("http");
    expect(entries.some((e) => e.level === "warn" && e.message.includes("X-Forwarded-Host"))).toBe(true);
  });

  it("an invalid value in a symmetric set changes nothing, not even the entries before it", async () => {
    const { logger, entries } = capturingLogger();
    const { origin } = await harness.start({ forwardedHeaders: For | Proto, requireHeaderSymmetry: true, forwardLimit: 2, ...TRUST_ALL }, { logger });
    const seen = await harness.get(origin, { "x-forwarded-for": "198.51.100.1, 203.0.113.7", "x-forwarded-proto": "-bad, https" });
    expect(seen.remoteAddress).toBe("127.0.0.1");
    expect(seen.scheme).toBe("http");
    expect(seen.headers["x-forwarded-proto"]).toBe("-bad, https");
    expect(entries.some((e) => e.level === "warn" && e.message.includes("scheme"))).toBe(true);
  });

  it("symmetric headers are applied", async () => {
    const { origin } = await harness.start({ forwardedHeaders: For | Proto, requireHeaderSymmetry: true });
    const seen = await harness.get(origin, { "x-forwarded-for": "198.51.100.1, 203.0.113.7", "x-forwarded-proto": "http, https" });
    expect(seen.remoteAddress).toBe("203.0.113.7");
    expect(seen.scheme).toBe("https");
    expect(seen.headers["x-forwarded-for"]).toBe("198.51.100.1");
    expect(seen.headers["x-forwarded-proto"]).toBe("http");
  });

  it("without it, a mismatch still applies what is there", async () => {
    const { origin } = await harness.start({ forwardedHeaders: For | Proto });
    const seen = await harness.get(origin, { "x-forwarded-for": "198.51.100.1, 203.0.113.7", "x-forwarded-proto": "https" });
    expect(seen.remoteAddress).toBe("203.0.113.7");
    expect(seen.scheme).toBe("https");
    expect(seen.headers["x-forwarded-for"]).toBe("198.51.100.1");
    expect(seen.headers["x-forwarded-proto"]).toBeNull();
  });
});

describe("X-Forwarded-Host", () => {
  it("any valid host is applied when allowedHosts is empty", async () => {
    const { origin, port } = await harness.start({ forwardedHeaders: Host });
    const seen = await harness.get(origin, { "x-forwarded-host": "Example.com:8443" });
    expect(seen.host).toBe("Example.com:8443");
    expect(seen.headers["x-original-host"]).toBe(`127.0.0.1:${port}`);
    expect(seen.headers["x-forwarded-host"]).toBeNull();
  });

  it("an allowed host is applied, case-insensitively and whatever its port", async () => {
    const { origin } = await harness.start({ forwardedHeaders: Host, allowedHosts: ["example.com"] });
    const seen = await harness.get(origin, { "x-forwarded-host": "EXAMPLE.com:8443" });
    expect(seen.host).toBe("EXAMPLE.com:8443");
  });

  it("a *.suffix wildcard allows subdomains but not the bare suffix", async () => {
    const { origin } = await harness.start({ forwardedHeaders: Host, allowedHosts: ["*.example.com"] });
    const sub = await harness.get(origin, { "x-forwarded-host": "api.example.com" });
    expect(sub.host).toBe("api.example.com");
    const bare = await harness.get(origin, { "x-forwarded-host": "example.com" });
    expect(bare.host).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(bare.headers["x-forwarded-host"]).toBe("example.com");
    expect(bare.headers["x-original-host"]).toBeNull();
  });

  it("a host that is not allowed is ignored", async () => {
    const { origin } = await harness.start({ forwardedHeaders: Host, allowedHosts: ["example.com", "*.example.org"] });
    const seen = await harness.get(origin, { "x-forwarded-host": "evil.test" });
    expect(seen.host).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(seen.headers["x-forwarded-host"]).toBe("evil.test");
    expect(seen.headers["x-original-host"]).toBeNull();
  });

  it.each(["evil.test/path", "user@evil.test", "evil.test:", "[::1", ":8080"])("an invalid host %j is ignored", async (value) => {
    const { origin } = await harness.start({ forwardedHeaders: Host });
    const seen = await harness.get(origin, { "x-forwarded-host": value });
    expect(seen.host).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(seen.headers["x-original-host"]).toBeNull();
  });

  it("all three together, with the limit applied to each", async () => {
    const { origin } = await harness.start({ forwardedHeaders: All, allowedHosts: ["*"] });
    const seen = await harness.get(origin, {
      "x-forwarded-for": "198.51.100.1, 203.0.113.7",
      "x-forwarded-proto": "http, https",
      "x-forwarded-host": "a.example, b.example",
    });
    expect(seen.remoteAddress).toBe("203.0.113.7");
    expect(seen.scheme).toBe("https");
    expect(seen.host).toBe("b.example");
    expect(seen.headers["x-forwarded-host"]).toBe("a.example");
    expect(seen.headers["x-original-host"]).toMatch(/^127\.0\.0\.1:\d+$/);
  });
});

describe("IPv6", () => {
  it.each([
    ["2001:DB8::1", "2001:db8::1", 0],
    ["[2001:db8::1]", "2001:db8::1", 0],
    ["[2001:db8::1]:8080", "2001:db8::1", 8080],
    ["::ffff:203.0.113.7", "::ffff:203.0.113.7", 0],
  ])("X-Forwarded-For %s becomes %s port %d", async (value, address, port) => {
    const { origin } = await harness.start({ forwardedHeaders: For });
    const seen = await harness.get(origin, { "x-forwarded-for": value });
    expect(seen.remoteAddress).toBe(address);
    expect(seen.remotePort).toBe(port);
  });

  it("an IPv6 hop inside a known network is trusted", async () => {
    const { origin } = await harness.start({ forwardedHeaders: For, forwardLimit: 2, knownNetworks: ["127.0.0.0/8", "fd00::/8"] });
    const seen = await harness.get(origin, { "x-forwarded-for": "2001:db8::1, [fd12::5]:443" });
    expect(seen.remoteAddress).toBe("2001:db8::1");
  });

  it("an IPv4-mapped hop is trusted through its IPv4 form", async () => {
    const { origin } = await harness.start({ forwardedHeaders: For, forwardLimit: 2, knownProxies: ["127.0.0.1"], knownNetworks: ["10.0.0.0/8"] });
    const seen = await harness.get(origin, { "x-forwarded-for": "198.51.100.1, ::ffff:10.0.0.5" });
    expect(seen.remoteAddress).toBe("198.51.100.1");
  });

  it.skipIf(!ipv6)("the IPv6 loopback peer (::1) is trusted by default", async () => {
    const { origin, port } = await harness.start({ forwardedHeaders: For | Proto }, { listenAddress: "::1" });
    const seen = await harness.get(origin, { "x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "https" });
    expect(seen.remoteAddress).toBe("203.0.113.7");
    expect(seen.scheme).toBe("https");
    expect(seen.headers["x-original-for"]).toMatch(/^\[::1\]:\d+$/);
    expect(seen.headers["x-original-host"]).toBeNull();
    expect(seen.host).toBe(`[::1]:${port}`);
  });

  it.skipIf(!ipv6)("the IPv6 loopback peer is not trusted when the lists leave it out", async () => {
    const { origin } = await harness.start({ forwardedHeaders: For, knownProxies: ["127.0.0.1"] }, { listenAddress: "::1" });
    const seen = await harness.get(origin, { "x-forwarded-for": "203.0.113.7" });
    expect(seen.remoteAddress).toBe("::1");
  });

  it.skipIf(!ipv6)("an IPv4-mapped peer (dual-stack listener) is trusted through its IPv4 form", async () => {
    const { origin } = await harness.start({ forwardedHeaders: For, knownProxies: ["127.0.0.1"], knownNetworks: [] }, { listenAddress: "::", connectAddress: "127.0.0.1" });
    const baseline = await harness.get(origin);
    expect(baseline.remoteAddress).toBe("::ffff:127.0.0.1");
    const seen = await harness.get(origin, { "x-forwarded-for": "203.0.113.7" });
    expect(seen.remoteAddress).toBe("203.0.113.7");
    expect(seen.headers["x-original-for"]).toMatch(/^\[::ffff:127\.0\.0\.1\]:\d+$/);
  });

  it.skipIf(!ipv6)("an IPv4-mapped peer whose IPv4 form is unknown is not trusted", async () => {
    const { origin } = await harness.start({ forwardedHeaders: For, knownProxies: ["::1"], knownNetworks: ["10.0.0.0/8"] }, { listenAddress: "::", connectAddress: "127.0.0.1" });
    const seen = await harness.get(origin, { "x-forwarded-for": "203.0.113.7" });
    expect(seen.remoteAddress).toBe("::ffff:127.0.0.1");
    expect(seen.headers["x-forwarded-for"]).toBe("203.0.113.7");
  });
});

describe("peers without an IP address", () => {
  it.skipIf(process.platform === "win32")("a Unix socket peer has no address to check, so its headers apply (as ASP.NET Core)", async () => {
    const path = join(tmpdir(), `x-fwd-${randomUUID().slice(0, 8)}.sock`);
    try {
      const { origin } = await harness.start({ forwardedHeaders: For | Proto, ...UNTRUSTED_LOOPBACK }, { listenAddress: path });
      const seen = await getWith(harness.client(origin, path), { "x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "https" });
      expect(seen.remoteAddress).toBe("203.0.113.7");
      expect(seen.scheme).toBe("https");
      // There was no address to keep.
      expect(seen.headers["x-original-for"]).toBeNull();
      expect(seen.headers["x-original-proto"]).toBe("http");
    } finally {
      await harness.cleanup();
      rmSync(path, { force: true });
    }
  });
});

describe("HTTP/2", () => {
  function h2get(session: ReturnType<typeof http2Connect>, headers: Record<string, string>): Promise<Seen> {
    return new Promise((resolve, reject) => {
      const stream = session.request({ ":method": "GET", ":path": "/", ...headers });
      let body = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => (body += chunk));
      stream.on("end", () => resolve(JSON.parse(body) as Seen));
      stream.on("error", reject);
    });
  }

  it("applies per stream: other streams on the connection keep the real peer", async () => {
    const { origin } = await harness.start({ forwardedHeaders: All });
    const session = http2Connect(origin);
    session.on("error", () => {});
    try {
      const forwarded = await h2get(session, { "x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "https", "x-forwarded-host": "example.com" });
      const plain = await h2get(session, {});
      expect(forwarded.remoteAddress).toBe("203.0.113.7");
      expect(forwarded.featureRemoteAddress).toBe("203.0.113.7");
      expect(forwarded.scheme).toBe("https");
      expect(forwarded.host).toBe("example.com");
      expect(forwarded.headers["x-original-host"]).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(forwarded.headers["x-original-proto"]).toBe("http");
      expect(plain.remoteAddress).toBe("127.0.0.1");
      expect(plain.scheme).toBe("http");
    } finally {
      session.destroy();
    }
  });
});
