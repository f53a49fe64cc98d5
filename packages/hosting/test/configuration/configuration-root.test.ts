import fs from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ConfigurationBuilder,
  ConfigurationErrorCode,
  ConfigurationNoSourcesError,
  ConfigurationRoot,
  MemoryConfigurationProvider,
} from "../../src/configuration/index.js";
import { makeTempDir, recordingLogger, removeDir } from "./helpers.js";

describe("ConfigurationRoot", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTempDir();
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  it("lets json be overridden by environment variables and those by the command line", async () => {
    await fs.writeFile(
      path.join(dir, "appsettings.json"),
      JSON.stringify({ A: "json", B: "json", C: "json", D: "json" }),
    );
    const config = new ConfigurationBuilder({ basePath: dir })
      .addJsonFile("appsettings.json")
      .addEnvironmentVariables("APP_", { APP_B: "env", APP_C: "env" })
      .addCommandLine(["--C", "cli"])
      .build();
    expect(config.get("A")).toBe("json");
    expect(config.get("B")).toBe("env");
    expect(config.get("C")).toBe("cli");
  });

  it("lets an in-memory collection added last win", () => {
    const config = new ConfigurationBuilder()
      .addCommandLine(["--Port=80"])
      .addInMemoryCollection({ Port: 8080 })
      .build();
    expect(config.get("Port")).toBe("8080");
  });

  it("falls back to an earlier provider when a later one has no value", () => {
    const config = new ConfigurationBuilder()
      .addInMemoryCollection({ A: "first", B: "first" })
      .addInMemoryCollection({ A: null, B: "second" })
      .build();
    expect(config.get("A")).toBe("first");
    expect(config.get("B")).toBe("second");
  });

  it("looks keys up ignoring case, through paths and sections alike", () => {
    const config = new ConfigurationBuilder()
      .addInMemoryCollection({ "Kestrel:Limits:MaxRequestBodySize": "1024" })
      .build();
    expect(config.get("kestrel:limits:maxrequestbodysize")).toBe("1024");
    expect(config.get("KESTREL:LIMITS:MAXREQUESTBODYSIZE")).toBe("1024");
    const limits = config.getSection("KESTREL").getSection("limits");
    expect(limits.get("MaxRequestBodySize")).toBe("1024");
    expect(config.getSection("kestrel:Limits:maxRequestBodySize").value).toBe("1024");
  });

  it("gives sections their last segment as key and the full path", () => {
    const config = new ConfigurationBuilder().addInMemoryCollection({ "A:B:C": "v" }).build();
    const section = config.getSection("A").getSection("B:C");
    expect(section.key).toBe("C");
    expect(section.path).toBe("A:B:C");
    expect(section.value).toBe("v");
  });

  it("returns an empty section rather than nothing for a missing key", () => {
    const config = new ConfigurationBuilder().addInMemoryCollection({ "A:B": "v" }).build();
    const missing = config.getSection("Nope");
    expect(missing.value).toBeUndefined();
    expect(missing.exists()).toBe(false);
    expect(missing.getChildren()).toEqual([]);
    expect(config.getSection("A").exists()).toBe(true);
    expect(config.getSection("A:B").exists()).toBe(true);
  });

  it("merges children across providers once per key ignoring case, keeping the first spelling", () => {
    const config = new ConfigurationBuilder()
      .addInMemoryCollection({ "S:Alpha": "1", "S:beta:x": "2" })
      .addInMemoryCollection({ "s:ALPHA": "3", "S:Gamma": "4" })
      .build();
    const children = config.getSection("s").getChildren();
    expect(children.map((c) => c.key)).toEqual(["Alpha", "beta", "Gamma"]);
    expect(children.map((c) => c.value)).toEqual(["3", undefined, "4"]);
    expect(children[1].path).toBe("s:beta");
  });

  it("orders children with integer keys numerically, then names ignoring case", () => {
    const config = new ConfigurationBuilder()
      .addInMemoryCollection({ "L:10": "j", "L:2": "b", "L:b": "x", "L:A": "y", "L:1": "a", "L:c": "z" })
      .build();
    expect(
      config
        .getSection("L")
        .getChildren()
        .map((c) => c.key),
    ).toEqual(["1", "2", "10", "A", "b", "c"]);
  });

  it("lists top-level children of the root", () => {
    const config = new ConfigurationBuilder().addInMemoryCollection({ "B:x": "1", A: "2", b: "3" }).build();
    expect(config.getChildren().map((c) => c.key)).toEqual(["A", "B"]);
  });

  it("lists entries with values depth first with full paths", () => {
    const config = new ConfigurationBuilder()
      .addInMemoryCollection({ "A:B": "1", "A:C:D": "2", E: "3", "A:C": "4" })
      .build();
    expect(config.asEntries()).toEqual([
      ["A:B", "1"],
      ["A:C", "4"],
      ["A:C:D", "2"],
      ["E", "3"],
    ]);
    expect(config.getSection("A:C").asEntries()).toEqual([
      ["A:C", "4"],
      ["A:C:D", "2"],
    ]);
  });

  it("sets a value in every provider", () => {
    const config = new ConfigurationBuilder().addInMemoryCollection({ A: "1" }).addInMemoryCollection().build();
    config.getSection("X").set("Y", "2");
    config.getSection("A").value = "3";
    expect(config.get("X:Y")).toBe("2");
    expect(config.get("A")).toBe("3");
    for (const provider of config.providers) expect(provider.tryGet("x:y")).toBe("2");
  });

  it("refuses to set a value without any provider", () => {
    const config = new ConfigurationBuilder().build();
    expect(() => config.set("A", "1")).toThrow(ConfigurationNoSourcesError);
    try {
      config.set("A", "1");
    } catch (err) {
      expect((err as { code: string }).code).toBe(ConfigurationErrorCode.NO_SOURCES);
    }
  });

  it("notifies change listeners once on reload and stops after unsubscribe", () => {
    const env: Record<string, string> = { APP_A: "1" };
    const config = new ConfigurationBuilder().addEnvironmentVariables("APP_", env).addInMemoryCollection().build();
    let calls = 0;
    const off = config.onChange(() => calls++);
    env.APP_A = "2";
    config.reload();
    expect(config.get("A")).toBe("2");
    expect(calls).toBe(1);
    off();
    config.reload();
    expect(calls).toBe(1);
  });

  it("logs a throwing change listener and still calls the others", () => {
    const logger = recordingLogger();
    const config = new ConfigurationBuilder({ logger }).addInMemoryCollection().build();
    let called = false;
    config.onChange(() => {
      throw new Error("boom");
    });
    config.onChange(() => {
      called = true;
    });
    config.reload();
    expect(called).toBe(true);
    expect(logger.records.some((r) => r.level === "error")).toBe(true);
  });

  it("chains another configuration below later sources", () => {
    const inner = new ConfigurationBuilder().addInMemoryCollection({ "A:X": "inner", "A:Y": "inner" }).build();
    const outer = new ConfigurationBuilder().addConfiguration(inner).addInMemoryCollection({ "a:y": "outer" }).build();
    expect(outer.get("A:X")).toBe("inner");
    expect(outer.get("A:Y")).toBe("outer");
    expect(
      outer
        .getSection("A")
        .getChildren()
        .map((c) => c.key),
    ).toEqual(["X", "Y"]);
  });

  it("forwards change notifications of a chained configuration", () => {
    const env: Record<string, string> = { A: "1" };
    const inner = new ConfigurationBuilder().addEnvironmentVariables("", env).build();
    const outer = new ConfigurationBuilder().addConfiguration(inner).build();
    let calls = 0;
    outer.onChange(() => calls++);
    env.A = "2";
    inner.reload();
    expect(calls).toBe(1);
    expect(outer.get("A")).toBe("2");
  });

  it("can be built directly from providers", () => {
    const root = new ConfigurationRoot([new MemoryConfigurationProvider(new Map([["K", "v"]]))]);
    expect(root.get("k")).toBe("v");
    expect(root.providers).toHaveLength(1);
  });
});
