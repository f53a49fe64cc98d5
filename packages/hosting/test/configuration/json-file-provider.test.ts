import fs from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ConfigurationBuilder,
  ConfigurationErrorCode,
  ConfigurationFileError,
  JsonConfigurationProvider,
} from "../../src/configuration/index.js";
import { makeTempDir, removeDir } from "./helpers.js";

function catchError(fn: () => unknown): ConfigurationFileError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigurationFileError);
    return err as ConfigurationFileError;
  }
  throw new Error("expected an error");
}

describe("JSON file configuration", () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await makeTempDir();
    file = path.join(dir, "appsettings.json");
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  const build = () => new ConfigurationBuilder().addJsonFile(file).build();

  it("flattens nested objects into colon-separated keys", async () => {
    await fs.writeFile(file, JSON.stringify({ Logging: { LogLevel: { Default: "Information", Microsoft: "Warning" } } }));
    const config = build();
    expect(config.get("Logging:LogLevel:Default")).toBe("Information");
    expect(config.get("logging:loglevel:microsoft")).toBe("Warning");
    expect(config.get("Logging:LogLevel")).toBeUndefined();
  });

  it("turns array elements into numbered children", async () => {
    await fs.writeFile(file, JSON.stringify({ Arr: ["a", "b", { Name: "c" }, ["d"]] }));
    const config = build();
    expect(config.get("Arr:0")).toBe("a");
    expect(config.get("Arr:1")).toBe("b");
    expect(config.get("Arr:2:Name")).toBe("c");
    expect(config.get("Arr:3:0")).toBe("d");
    expect(
      config
        .getSection("Arr")
        .getChildren()
        .map((c) => c.key),
    ).toEqual(["0", "1", "2", "3"]);
  });

  it("stores null as an empty string and numbers and booleans as text", async () => {
    await fs.writeFile(file, '{ "N": null, "I": 42, "D": 1.50, "E": -1e3, "T": true, "F": false }');
    const config = build();
    expect(config.get("N")).toBe("");
    expect(config.get("I")).toBe("42");
    expect(config.get("D")).toBe("1.50");
    expect(config.get("E")).toBe("-1e3");
    expect(config.get("T")).toBe("true");
    expect(config.get("F")).toBe("false");
  });

  it("keeps empty objects and arrays as sections without value", async () => {
    await fs.writeFile(file, JSON.stringify({ Empty: {}, None: [], Other: 1 }));
    const config = build();
    expect(config.getChildren().map((c) => c.key)).toEqual(["Empty", "None", "Other"]);
    expect(config.get("Empty")).toBeUndefined();
    expect(config.getSection("Empty").exists()).toBe(false);
  });

  it("decodes string escapes", async () => {
    await fs.writeFile(file, '{ "S": "a\\"b\\\\c\\u00e9\\n\\/" }');
    expect(build().get("S")).toBe('a"b\\cé\n/');
  });

  it("accepts comments, trailing commas and a byte order mark as .NET does", async () => {
    await fs.writeFile(
      file,
      '\ufeff{\n  // line comment\n  "A": 1, /* block */\n  "B": [1, 2,],\n}\n',
    );
    const config = build();
    expect(config.get("A")).toBe("1");
    expect(config.get("B:1")).toBe("2");
  });

  it("yields no values for a missing optional file", () => {
    const config = new ConfigurationBuilder().addJsonFile(file, { optional: true }).build();
    expect(config.getChildren()).toEqual([]);
  });

  it("fails with ERR_X_CONFIG_FILE_NOT_FOUND naming the path for a missing required file", () => {
    const err = catchError(build);
    expect(err.code).toBe(ConfigurationErrorCode.FILE_NOT_FOUND);
    expect(err.code).toBe("ERR_X_CONFIG_FILE_NOT_FOUND");
    expect(err.path).toBe(file);
    expect(err.message).toContain(file);
  });

  it("fails with ERR_X_CONFIG_INVALID_JSON naming the file and position for invalid JSON", async () => {
    await fs.writeFile(file, '{\n  "A": 1,\n  "B": }\n');
    const err = catchError(build);
    expect(err.code).toBe("ERR_X_CONFIG_INVALID_JSON");
    expect(err.message).toContain(file);
    expect(err.position).toEqual({ line: 3, column: 8 });
    expect(err.message).toContain("line 3, column 8");
  });

  it.each([
    ["an empty file", ""],
    ["a truncated document", '{ "A": { "B": 1 '],
    ["an unterminated string", '{ "A": "abc'],
    ["a top-level array", "[1, 2]"],
    ["text after the document", '{ "A": 1 } x'],
    ["a missing colon", '{ "A" 1 }'],
    ["a leading comma", "{ , }"],
    ["a bare word", "{ \"A\": nope }"],
  ])("rejects %s as invalid JSON", async (_name, text) => {
    await fs.writeFile(file, text);
    expect(catchError(build).code).toBe(ConfigurationErrorCode.INVALID_JSON);
  });

  it("rejects keys that differ only by case as duplicates, like .NET", async () => {
    await fs.writeFile(file, '{ "Section": { "Key": 1, "key": 2 } }');
    const err = catchError(build);
    expect(err.code).toBe(ConfigurationErrorCode.DUPLICATE_KEY);
    expect(err.message).toContain("A duplicate key 'Section:key' was found");
  });

  it("rejects an exactly repeated key that JSON.parse would silently accept", async () => {
    await fs.writeFile(file, '{ "A": 1, "A": 2 }');
    expect(catchError(build).code).toBe(ConfigurationErrorCode.DUPLICATE_KEY);
  });

  it("merges objects that repeat under a differently cased name", async () => {
    await fs.writeFile(file, '{ "S": { "A": 1 }, "s": { "B": 2 } }');
    const config = build();
    expect(config.get("S:A")).toBe("1");
    expect(config.get("S:B")).toBe("2");
  });

  it("resolves a relative path against the builder base path at build time", async () => {
    await fs.writeFile(file, '{ "A": "here" }');
    const builder = new ConfigurationBuilder().addJsonFile("appsettings.json");
    builder.setBasePath(dir);
    expect(builder.build().get("A")).toBe("here");
  });

  it("prefers a per-file base path over the builder's", async () => {
    await fs.writeFile(file, '{ "A": "here" }');
    const config = new ConfigurationBuilder({ basePath: "/nonexistent" })
      .addJsonFile("appsettings.json", { basePath: dir })
      .build();
    expect(config.get("A")).toBe("here");
  });

  it("does not raise a reload event when the file did not change", async () => {
    await fs.writeFile(file, '{ "A": 1 }');
    const provider = new JsonConfigurationProvider({ path: file });
    provider.load();
    let reloads = 0;
    provider.onReload(() => reloads++);
    provider.load();
    expect(reloads).toBe(0);
    await fs.writeFile(file, '{ "A": 2 }');
    provider.load();
    expect(reloads).toBe(1);
    expect(provider.tryGet("a")).toBe("2");
  });
});
