import { OptionsValidationError } from "@x/abstractions";
import { describe, expect, it } from "vitest";
import { ForwardedHeaders, ForwardedHeadersMiddleware, type ForwardedHeadersOptions, forwardedHeaders, resolveForwardedHeadersOptions } from "../src/index.js";

function errorOf(options: unknown): OptionsValidationError {
  try {
    new ForwardedHeadersMiddleware(options as ForwardedHeadersOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(OptionsValidationError);
    return error as OptionsValidationError;
  }
  throw new Error(`options ${JSON.stringify(options)} were accepted`);
}

describe("ForwardedHeaders flags", () => {
  it("have .NET's values", () => {
    expect(ForwardedHeaders).toEqual({ None: 0, XForwardedFor: 1, XForwardedHost: 2, XForwardedProto: 4, All: 7 });
    expect(ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedHost | ForwardedHeaders.XForwardedProto).toBe(ForwardedHeaders.All);
  });
});

describe("option defaults", () => {
  it("match ASP.NET Core's", () => {
    const resolved = resolveForwardedHeadersOptions();
    expect(resolved.forwardedHeaders).toBe(ForwardedHeaders.None);
    expect(resolved.forwardLimit).toBe(1);
    expect(resolved.knownProxies.map((p) => p.family)).toEqual([4, 6]);
    expect(resolved.knownNetworks.map(String)).toEqual(["127.0.0.0/8"]);
    expect(resolved.allowedHosts.allowAll).toBe(true);
    expect(resolved.requireHeaderSymmetry).toBe(false);
    expect(resolved.forwardedForHeaderName).toBe("X-Forwarded-For");
    expect(resolved.forwardedProtoHeaderName).toBe("X-Forwarded-Proto");
    expect(resolved.forwardedHostHeaderName).toBe("X-Forwarded-Host");
    expect(resolved.originalForHeaderName).toBe("X-Original-For");
    expect(resolved.originalProtoHeaderName).toBe("X-Original-Proto");
    expect(resolved.originalHostHeaderName).toBe("X-Original-Host");
    expect(Object.isFrozen(resolved)).toBe(true);
  });

  it("keep null as 'no forward limit' and accept empty known lists", () => {
    const resolved = new ForwardedHeadersMiddleware({ forwardLimit: null, knownProxies: [], knownNetworks: [] }).options;
    expect(resolved.forwardLimit).toBeNull();
    expect(resolved.knownProxies).toHaveLength(0);
    expect(resolved.knownNetworks).toHaveLength(0);
  });

  it("normalise networks and wildcard hosts", () => {
    const resolved = resolveForwardedHeadersOptions({ knownNetworks: [" 10.1.2.3/8 ", "2001:DB8::/32"], allowedHosts: ["example.com", "*"] });
    expect(resolved.knownNetworks.map(String)).toEqual(["10.0.0.0/8", "2001:db8::/32"]);
    expect(resolved.allowedHosts.allowAll).toBe(true);
  });

  it("forwardedHeaders() returns a middleware function", () => {
    expect(typeof forwardedHeaders({ forwardedHeaders: ForwardedHeaders.All })).toBe("function");
    expect(typeof new ForwardedHeadersMiddleware().invoke).toBe("function");
  });
});

describe("option validation", () => {
  it.each([0, -1, 1.5, Number.NaN, "2", Number.POSITIVE_INFINITY])("rejects forwardLimit %j", (forwardLimit) => {
    const error = errorOf({ forwardLimit });
    expect(error.key).toBe("forwardLimit");
    expect(error.code).toBe("ERR_X_OPTIONS_INVALID");
    expect(error.message).toContain("forwardLimit");
    expect(error.message).toContain("at least 1");
  });

  it.each(["localhost", "1.2.3.256", "10.0.0.0/8", "[::1]", "::1:"])("rejects the proxy %j, naming it", (proxy) => {
    const error = errorOf({ knownProxies: ["127.0.0.1", proxy] });
    expect(error.key).toBe("knownProxies");
    expect(error.message).toContain(JSON.stringify(proxy));
  });

  it.each(["10.0.0.0", "10.0.0.0/40", "fd00::/200", "nope/8"])("rejects the network %j, naming it", (network) => {
    const error = errorOf({ knownNetworks: [network] });
    expect(error.key).toBe("knownNetworks");
    expect(error.message).toContain(JSON.stringify(network));
    expect(error.cause).toBeInstanceOf(OptionsValidationError);
  });

  it.each([8, -1, 1.5, "All"])("rejects forwardedHeaders %j", (flags) => {
    const error = errorOf({ forwardedHeaders: flags });
    expect(error.key).toBe("forwardedHeaders");
    expect(error.message).toContain(JSON.stringify(flags));
  });

  it("rejects lists that are not arrays of strings", () => {
    expect(errorOf({ knownProxies: "127.0.0.1" }).key).toBe("knownProxies");
    expect(errorOf({ knownNetworks: [8] }).key).toBe("knownNetworks");
    expect(errorOf({ allowedHosts: [null] }).key).toBe("allowedHosts");
    expect(errorOf({ allowedHosts: ["  "] }).message).toContain("empty");
  });

  it("rejects header names that are not tokens", () => {
    const error = errorOf({ forwardedForHeaderName: "X Forwarded For" });
    expect(error.key).toBe("forwardedForHeaderName");
    expect(error.message).toContain('"X Forwarded For"');
    expect(errorOf({ originalHostHeaderName: "" }).key).toBe("originalHostHeaderName");
  });

  it("rejects a non-boolean requireHeaderSymmetry", () => {
    expect(errorOf({ requireHeaderSymmetry: "yes" }).key).toBe("requireHeaderSymmetry");
  });
});
