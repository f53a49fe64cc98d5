import { describe, expect, it } from "vitest";
import {
  bind,
  ConfigurationBindingError,
  ConfigurationBuilder,
  ConfigurationErrorCode,
  getBoolean,
  getNumber,
  getString,
  getTimeSpan,
  parseTimeSpan,
} from "../../src/configuration/index.js";

function configOf(data: Record<string, string | number | boolean | null>) {
  return new ConfigurationBuilder().addInMemoryCollection(data).build();
}

function bindingError(fn: () => unknown): ConfigurationBindingError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigurationBindingError);
    return err as ConfigurationBindingError;
  }
  throw new Error("expected a binding error");
}

class Limits {
  maxRequestBodySize: number | null = 30_000_000;
  keepAliveTimeout = 130_000;
  http2 = { maxStreamsPerConnection: 100, enabled: true };
}

describe("bind", () => {
  it("matches property names to keys ignoring case", () => {
    const target = bind(configOf({ MaxRequestBodySize: "1024", KEEPALIVETIMEOUT: "5" }), new Limits());
    expect(target.maxRequestBodySize).toBe(1024);
    expect(target.keepAliveTimeout).toBe(5);
  });

  it("converts numbers in invariant culture, integers and decimals", () => {
    const target = bind(configOf({ a: "42", b: "0.5", c: "-1.25", d: "1e3", e: " 7 " }), {
      a: 0,
      b: 0,
      c: 0,
      d: 0,
      e: 0,
    });
    expect(target).toEqual({ a: 42, b: 0.5, c: -1.25, d: 1000, e: 7 });
  });

  it.each(["", "abc", "1e", "1,5", "NaN", "Infinity", "0x10"])("rejects %j for a number", (raw) => {
    expect(() => bind(configOf({ n: raw }), { n: 1 })).toThrow(ConfigurationBindingError);
  });

  it("converts booleans ignoring case and rejects anything else", () => {
    expect(bind(configOf({ a: "TRUE", b: "False" }), { a: false, b: true })).toEqual({ a: true, b: false });
    expect(() => bind(configOf({ a: "yes" }), { a: false })).toThrow(ConfigurationBindingError);
    expect(() => bind(configOf({ a: "1" }), { a: false })).toThrow(ConfigurationBindingError);
  });

  it("keeps strings as they are, and strings for null or undefined properties", () => {
    const target = bind(configOf({ s: " x ", n: "5", u: "true" }), {
      s: "",
      n: null as unknown,
      u: undefined as unknown,
    });
    expect(target).toEqual({ s: " x ", n: "5", u: "true" });
  });

  it("converts bigint properties from decimal integers", () => {
    expect(bind(configOf({ b: "9007199254740993" }), { b: 0n }).b).toBe(9007199254740993n);
  });

  it("leaves properties without a configuration value untouched", () => {
    const target = bind(configOf({ Other: "1" }), new Limits());
    expect(target).toEqual(new Limits());
  });

  it("recurses into nested objects through subsections", () => {
    const config = configOf({
      "Kestrel:Limits:Http2:MaxStreamsPerConnection": "250",
      "Kestrel:Limits:Http2:Enabled": "false",
    });
    const limits = bind(config.getSection("Kestrel:Limits"), new Limits());
    expect(limits.http2).toEqual({ maxStreamsPerConnection: 250, enabled: false });
    expect(limits.keepAliveTimeout).toBe(130_000);
  });

  it("binds arrays from children in index order, typed by the first element", () => {
    const config = configOf({ "Ports:1": "81", "Ports:0": "80", "Ports:10": "90", "Names:0": "a", "Names:1": "b" });
    const target = bind(config, { ports: [0], names: [] as string[], untouched: [1, 2] });
    expect(target.ports).toEqual([80, 81, 90]);
    expect(target.names).toEqual(["a", "b"]);
    expect(target.untouched).toEqual([1, 2]);
  });

  it("binds arrays of objects into copies of the first element", () => {
    const config = configOf({
      "Endpoints:0:Url": "http://a",
      "Endpoints:1:Url": "http://b",
      "Endpoints:1:Port": "81",
    });
    const target = bind(config, { endpoints: [{ url: "", port: 80 }] });
    expect(target.endpoints).toEqual([
      { url: "http://a", port: 80 },
      { url: "http://b", port: 81 },
    ]);
  });

  it("names the full key and value when an array element does not convert", () => {
    const err = bindingError(() => bind(configOf({ "Ports:0": "80", "Ports:1": "x" }), { ports: [0] }));
    expect(err.key).toBe("Ports:1");
    expect(err.value).toBe("x");
  });

  it("names the full configuration key in the error message", () => {
    const config = configOf({ "Kestrel:Limits:MaxRequestBodySize": "abc" });
    const err = bindingError(() => bind(config.getSection("Kestrel"), { limits: new Limits() }));
    expect(err.code).toBe(ConfigurationErrorCode.BINDING);
    expect(err.code).toBe("ERR_X_CONFIG_BINDING");
    expect(err.key).toBe("Kestrel:Limits:MaxRequestBodySize");
    expect(err.value).toBe("abc");
    expect(err.message).toBe(
      "Failed to convert configuration value at 'Kestrel:Limits:MaxRequestBodySize' to number: 'abc'",
    );
  });

  it("uses converters by property path or by property name", () => {
    const config = configOf({
      "Limits:KeepAliveTimeout": "00:02:00",
      "Limits:MaxRequestBodySize": "unlimited",
      Urls: "http://a;http://b",
    });
    const target = bind(
      config,
      { limits: new Limits(), urls: [] as string[] },
      {
        converters: {
          "limits.keepAliveTimeout": parseTimeSpan,
          maxRequestBodySize: (raw) => (raw === "unlimited" ? null : Number(raw)),
          urls: (raw) => raw.split(";"),
        },
      },
    );
    expect(target.limits.keepAliveTimeout).toBe(120_000);
    expect(target.limits.maxRequestBodySize).toBeNull();
    expect(target.urls).toEqual(["http://a", "http://b"]);
  });

  it("applies element converters to array children", () => {
    const config = configOf({ "Timeouts:0": "00:00:01", "Timeouts:1": "00:00:02" });
    const target = bind(config, { timeouts: [] as number[] }, { converters: { "timeouts[]": parseTimeSpan } });
    expect(target.timeouts).toEqual([1000, 2000]);
  });

  it("passes the full key to converters and wraps their plain errors", () => {
    const config = configOf({ "A:B": "x" });
    const seen: string[] = [];
    bind(config, { a: { b: "" } }, { converters: { "a.b": (raw, key) => seen.push(key) && raw } });
    expect(seen).toEqual(["A:B"]);

    const err = bindingError(() =>
      bind(config, { a: { b: "" } }, {
        converters: {
          b: () => {
            throw new Error("nope");
          },
        },
      }),
    );
    expect(err.key).toBe("A:B");
    expect(err.cause).toBeInstanceOf(Error);
  });

  it("reports a converter's TimeSpan error with the key", () => {
    const err = bindingError(() =>
      bind(configOf({ KeepAliveTimeout: "24:00:00" }), new Limits(), {
        converters: { keepAliveTimeout: parseTimeSpan },
      }),
    );
    expect(err.key).toBe("KeepAliveTimeout");
  });
});

describe("typed getters", () => {
  const config = configOf({
    "Kestrel:Limits:MaxRequestBodySize": "1024",
    "Kestrel:Limits:Bad": "abc",
    "Kestrel:AddServerHeader": "False",
    "Kestrel:Limits:KeepAliveTimeout": "00:02:10",
    Name: "x",
  });

  it("return undefined for absent keys", () => {
    expect(getNumber(config, "Missing")).toBeUndefined();
    expect(getBoolean(config, "Missing")).toBeUndefined();
    expect(getTimeSpan(config, "Missing")).toBeUndefined();
    expect(getString(config, "Missing")).toBeUndefined();
  });

  it("convert present values", () => {
    expect(getNumber(config, "kestrel:limits:maxrequestbodysize")).toBe(1024);
    expect(getBoolean(config, "Kestrel:AddServerHeader")).toBe(false);
    expect(getTimeSpan(config, "Kestrel:Limits:KeepAliveTimeout")).toBe(130_000);
    expect(getString(config, "name")).toBe("x");
  });

  it("throw with the full key when read through a section", () => {
    const err = bindingError(() => getNumber(config.getSection("Kestrel:Limits"), "Bad"));
    expect(err.key).toBe("Kestrel:Limits:Bad");
    expect(() => getBoolean(config, "Name")).toThrow(/at 'Name' to boolean: 'x'/);
    expect(() => getTimeSpan(config, "Name")).toThrow(ConfigurationBindingError);
  });
});
