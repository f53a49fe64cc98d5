import { describe, expect, it } from "vitest";
import { ConfigurationBuilder, EnvironmentVariablesConfigurationProvider } from "../../src/configuration/index.js";

describe("environment variable configuration", () => {
  it("takes only prefixed variables, matching the prefix ignoring case, and strips it", () => {
    const config = new ConfigurationBuilder()
      .addEnvironmentVariables("ASPNETCORE_", {
        ASPNETCORE_URLS: "http://a",
        aspnetcore_environment: "Development",
        PATH: "/usr/bin",
      })
      .build();
    expect(config.get("urls")).toBe("http://a");
    expect(config.get("Environment")).toBe("Development");
    expect(config.get("PATH")).toBeUndefined();
    expect(config.get("ASPNETCORE_URLS")).toBeUndefined();
  });

  it("turns a double underscore into the path separator", () => {
    const config = new ConfigurationBuilder()
      .addEnvironmentVariables("X_", { X_Kestrel__Limits__MaxRequestBodySize: "1024", X_Single_Underscore: "1" })
      .build();
    expect(config.get("Kestrel:Limits:MaxRequestBodySize")).toBe("1024");
    expect(config.getSection("Kestrel").getSection("Limits").get("maxrequestbodysize")).toBe("1024");
    expect(config.get("Single_Underscore")).toBe("1");
  });

  it("matches a prefix that itself contains a double underscore", () => {
    const config = new ConfigurationBuilder().addEnvironmentVariables("App__", { App__Port: "80", AppPort: "1" }).build();
    expect(config.get("Port")).toBe("80");
  });

  it("takes every variable when there is no prefix", () => {
    const config = new ConfigurationBuilder().addEnvironmentVariables(undefined, { A: "1", B__C: "2" }).build();
    expect(config.get("A")).toBe("1");
    expect(config.get("B:C")).toBe("2");
  });

  it("reads process.env by default", () => {
    const name = `X_CONFIG_TEST_${process.pid}`;
    process.env[`${name}__Key`] = "from-process";
    try {
      const config = new ConfigurationBuilder().addEnvironmentVariables(`${name}__`).build();
      expect(config.get("Key")).toBe("from-process");
    } finally {
      delete process.env[`${name}__Key`];
    }
  });

  it("skips a variable named exactly like the prefix", () => {
    const provider = new EnvironmentVariablesConfigurationProvider("P_", { P_: "x", P_A: "y" });
    provider.load();
    expect(provider.getChildKeys([], undefined)).toEqual(["A"]);
  });
});
