import { describe, expect, it } from "vitest";
import { OptionsValidationError } from "./errors.js";
import { freezeLimits, minDataRate, ServerLimits } from "./limits.js";

/** The key of the OptionsValidationError `fn` throws. */
function keyOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(OptionsValidationError);
    expect((error as OptionsValidationError).code).toBe("ERR_X_OPTIONS_INVALID");
    return (error as OptionsValidationError).key;
  }
  throw new Error("expected an OptionsValidationError");
}

function limitsWith(change: (limits: ServerLimits) => void): ServerLimits {
  const limits = new ServerLimits();
  change(limits);
  return limits;
}

describe("ServerLimits defaults", () => {
  it("match Kestrel's KestrelServerLimits defaults", () => {
    const limits = new ServerLimits();
    expect(limits.maxConcurrentConnections).toBeNull();
    expect(limits.maxConcurrentUpgradedConnections).toBeNull();
    expect(limits.maxRequestBodySize).toBe(30_000_000);
    expect(limits.maxRequestBufferSize).toBe(1024 * 1024);
    expect(limits.maxRequestHeaderCount).toBe(100);
    expect(limits.maxRequestHeadersTotalSize).toBe(32 * 1024);
    expect(limits.maxRequestLineSize).toBe(8 * 1024);
    expect(limits.maxResponseBufferSize).toBe(64 * 1024);
    expect(limits.keepAliveTimeout).toBe(130_000);
    expect(limits.requestHeadersTimeout).toBe(30_000);
    expect(limits.minRequestBodyDataRate).toEqual({ bytesPerSecond: 240, gracePeriod: 5_000 });
    expect(limits.minResponseDataRate).toEqual({ bytesPerSecond: 240, gracePeriod: 5_000 });
  });

  it("match Kestrel's Http2Limits defaults", () => {
    const { http2 } = new ServerLimits();
    expect(http2.maxStreamsPerConnection).toBe(100);
    expect(http2.headerTableSize).toBe(4096);
    expect(http2.maxFrameSize).toBe(2 ** 14);
    expect(http2.maxRequestHeaderFieldSize).toBe(32 * 1024);
    expect(http2.initialConnectionWindowSize).toBe(1024 * 1024);
    expect(http2.initialStreamWindowSize).toBe(768 * 1024);
    expect(http2.keepAlivePingDelay).toBeNull();
    expect(http2.keepAlivePingTimeout).toBe(20_000);
  });
});

describe("freezeLimits", () => {
  it("accepts the defaults and returns a deeply frozen copy", () => {
    const source = new ServerLimits();
    const frozen = freezeLimits(source);
    expect(Object.isFrozen(frozen)).toBe(true);
    expect(Object.isFrozen(frozen.http2)).toBe(true);
    expect(frozen.maxRequestLineSize).toBe(8192);
    expect(() => {
      (frozen as { maxRequestLineSize: number }).maxRequestLineSize = 1;
    }).toThrow(TypeError);
    // A snapshot: later changes to the options do not leak into a running server.
    source.maxRequestLineSize = 1024;
    source.http2.maxFrameSize = 2 ** 15;
    expect(frozen.maxRequestLineSize).toBe(8192);
    expect(frozen.http2.maxFrameSize).toBe(2 ** 14);
  });

  it("accepts null for every limit that may be unlimited", () => {
    const frozen = freezeLimits(
      limitsWith((l) => {
        l.maxConcurrentConnections = null;
        l.maxConcurrentUpgradedConnections = null;
        l.maxRequestBodySize = null;
        l.maxRequestBufferSize = null;
        l.maxResponseBufferSize = null;
        l.minRequestBodyDataRate = null;
        l.minResponseDataRate = null;
      }),
    );
    expect(frozen.maxRequestBodySize).toBeNull();
  });

  it("accepts zero where Kestrel allows it", () => {
    const frozen = freezeLimits(
      limitsWith((l) => {
        l.maxConcurrentUpgradedConnections = 0;
        l.maxRequestBodySize = 0;
        l.maxResponseBufferSize = 0;
      }),
    );
    expect(frozen.maxResponseBufferSize).toBe(0);
  });

  it.each<[string, (l: ServerLimits) => void]>([
    ["Limits:MaxRequestLineSize", (l) => (l.maxRequestLineSize = -1)],
    ["Limits:MaxRequestLineSize", (l) => (l.maxRequestLineSize = 0)],
    ["Limits:MaxRequestLineSize", (l) => (l.maxRequestLineSize = Number.NaN)],
    ["Limits:MaxRequestHeadersTotalSize", (l) => (l.maxRequestHeadersTotalSize = 0)],
    ["Limits:MaxRequestHeaderCount", (l) => (l.maxRequestHeaderCount = -5)],
    ["Limits:MaxConcurrentConnections", (l) => (l.maxConcurrentConnections = -1)],
    ["Limits:MaxConcurrentConnections", (l) => (l.maxConcurrentConnections = 1.5)],
    ["Limits:MaxConcurrentUpgradedConnections", (l) => (l.maxConcurrentUpgradedConnections = -1)],
    ["Limits:MaxRequestBodySize", (l) => (l.maxRequestBodySize = -1)],
    ["Limits:MaxRequestBufferSize", (l) => (l.maxRequestBufferSize = 0)],
    ["Limits:MaxResponseBufferSize", (l) => (l.maxResponseBufferSize = Number.POSITIVE_INFINITY)],
    ["Limits:KeepAliveTimeout", (l) => (l.keepAliveTimeout = 0)],
    ["Limits:RequestHeadersTimeout", (l) => (l.requestHeadersTimeout = -1)],
    ["Limits:MaxRequestBufferSize", (l) => (l.maxRequestBufferSize = 4096)],
    ["Limits:Http2:MaxStreamsPerConnection", (l) => (l.http2.maxStreamsPerConnection = 0)],
    ["Limits:Http2:HeaderTableSize", (l) => (l.http2.headerTableSize = 0)],
    ["Limits:Http2:MaxFrameSize", (l) => (l.http2.maxFrameSize = 2 ** 14 - 1)],
    ["Limits:Http2:MaxFrameSize", (l) => (l.http2.maxFrameSize = 2 ** 24)],
    ["Limits:Http2:MaxRequestHeaderFieldSize", (l) => (l.http2.maxRequestHeaderFieldSize = 0)],
    ["Limits:Http2:InitialConnectionWindowSize", (l) => (l.http2.initialConnectionWindowSize = 65_534)],
    ["Limits:Http2:InitialStreamWindowSize", (l) => (l.http2.initialStreamWindowSize = 2 ** 31)],
    ["Limits:Http2:KeepAlivePingDelay", (l) => (l.http2.keepAlivePingDelay = 0)],
    ["Limits:Http2:KeepAlivePingTimeout", (l) => (l.http2.keepAlivePingTimeout = -1)],
  ])("rejects an invalid value with an OptionsValidationError naming %s", (key, change) => {
    expect(keyOf(() => freezeLimits(limitsWith(change)))).toBe(key);
  });

  it("requires the request buffer to hold a whole request line and header block, as Kestrel checks at startup", () => {
    expect(
      keyOf(() =>
        freezeLimits(
          limitsWith((l) => {
            l.maxRequestBufferSize = 16 * 1024;
          }),
        ),
      ),
    ).toBe("Limits:MaxRequestBufferSize");
    const fits = freezeLimits(
      limitsWith((l) => {
        l.maxRequestBufferSize = 32 * 1024;
      }),
    );
    expect(fits.maxRequestBufferSize).toBe(32 * 1024);
  });

  it("names the key in the message too", () => {
    expect(() => freezeLimits(limitsWith((l) => (l.maxRequestLineSize = -1)))).toThrow(/MaxRequestLineSize/);
  });
});

describe("minDataRate", () => {
  it("returns a frozen rate", () => {
    const rate = minDataRate(100, 10_000);
    expect(rate).toEqual({ bytesPerSecond: 100, gracePeriod: 10_000 });
    expect(Object.isFrozen(rate)).toBe(true);
    expect(minDataRate(0, 1_001).bytesPerSecond).toBe(0);
  });

  it("rejects a negative or non-numeric rate", () => {
    expect(keyOf(() => minDataRate(-1, 5_000))).toBe("BytesPerSecond");
    expect(keyOf(() => minDataRate(Number.NaN, 5_000))).toBe("BytesPerSecond");
  });

  it("rejects a grace period not longer than the one-second heartbeat, as Kestrel does", () => {
    expect(keyOf(() => minDataRate(240, 1_000))).toBe("GracePeriod");
    expect(keyOf(() => minDataRate(240, 0))).toBe("GracePeriod");
    expect(keyOf(() => minDataRate(240, Number.NaN))).toBe("GracePeriod");
  });
});
