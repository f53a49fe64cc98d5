import { describe, expect, it } from "vitest";
import {
  ConfigurationBuilder,
  ConfigurationCommandLineError,
  ConfigurationErrorCode,
} from "../../src/configuration/index.js";

function fromArgs(args: string[], switchMappings?: Record<string, string>) {
  return new ConfigurationBuilder().addCommandLine(args, switchMappings).build();
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigurationCommandLineError);
    return (err as ConfigurationCommandLineError).code;
  }
  throw new Error("expected an error");
}

describe("command-line configuration", () => {
  it.each([
    ["--key value", ["--Key", "value"]],
    ["--key=value", ["--Key=value"]],
    ["/key value", ["/Key", "value"]],
    ["/key=value", ["/Key=value"]],
    ["key=value", ["Key=value"]],
  ])("reads the %s form", (_form, args) => {
    expect(fromArgs(args).get("key")).toBe("value");
  });

  it("reads path keys", () => {
    const config = fromArgs(["--Kestrel:Limits:MaxRequestBodySize=5", "--Logging:LogLevel:Default", "Debug"]);
    expect(config.get("Kestrel:Limits:MaxRequestBodySize")).toBe("5");
    expect(config.getSection("logging:loglevel").get("default")).toBe("Debug");
  });

  it("reads a urls list as one string value", () => {
    expect(fromArgs(["--urls", "http://a;http://b"]).get("urls")).toBe("http://a;http://b");
  });

  it("keeps everything after the first equals sign in the value", () => {
    expect(fromArgs(["--ConnectionString=a=b;c=d"]).get("ConnectionString")).toBe("a=b;c=d");
  });

  it("lets the last occurrence of a key win, ignoring case", () => {
    expect(fromArgs(["--Port=1", "--port", "2"]).get("PORT")).toBe("2");
  });

  it("ignores a trailing switch without a value", () => {
    const config = fromArgs(["--A=1", "--B"]);
    expect(config.get("A")).toBe("1");
    expect(config.get("B")).toBeUndefined();
  });

  it("ignores an argument with neither prefix nor equals sign", () => {
    const config = fromArgs(["stray", "--A", "1"]);
    expect(config.getChildren().map((c) => c.key)).toEqual(["A"]);
  });

  it("takes the next argument as the value even when it looks like a switch", () => {
    expect(fromArgs(["--A", "--B"]).get("A")).toBe("--B");
  });

  it("maps short and long aliases through switch mappings, ignoring case", () => {
    const config = fromArgs(["-p", "8080", "--ENV=Production", "/v", "true"], {
      "-p": "Kestrel:Port",
      "--env": "Environment",
      "--v": "Verbose",
    });
    expect(config.get("Kestrel:Port")).toBe("8080");
    expect(config.get("Environment")).toBe("Production");
    expect(config.get("Verbose")).toBe("true");
  });

  it("maps a short switch with an equals sign", () => {
    expect(fromArgs(["-p=1"], { "-p": "Port" }).get("Port")).toBe("1");
  });

  it("ignores an unmapped short switch and reads its would-be value as an argument", () => {
    const config = fromArgs(["-x", "k=v"]);
    expect(config.get("x")).toBeUndefined();
    expect(config.get("k")).toBe("v");
  });

  it("rejects an unmapped short switch with an equals sign", () => {
    expect(codeOf(() => fromArgs(["-x=1"]))).toBe(ConfigurationErrorCode.SHORT_SWITCH_NOT_DEFINED);
    expect(codeOf(() => fromArgs(["-x=1"], { "-p": "Port" }))).toBe("ERR_X_CONFIG_SHORT_SWITCH_NOT_DEFINED");
  });

  it("rejects a switch mapping that does not start with a dash", () => {
    expect(codeOf(() => fromArgs([], { p: "Port" }))).toBe(ConfigurationErrorCode.INVALID_SWITCH_MAPPING);
    expect(codeOf(() => fromArgs([], { "/p": "Port" }))).toBe(ConfigurationErrorCode.INVALID_SWITCH_MAPPING);
  });

  it("rejects switch mappings that differ only by case", () => {
    let message = "";
    try {
      fromArgs([], { "-p": "Port", "-P": "Path" });
    } catch (err) {
      message = (err as Error).message;
      expect((err as ConfigurationCommandLineError).code).toBe(ConfigurationErrorCode.INVALID_SWITCH_MAPPING);
      expect((err as ConfigurationCommandLineError).argument).toBe("-P");
    }
    expect(message).toContain("A duplicated key '-P' was found");
  });
});
