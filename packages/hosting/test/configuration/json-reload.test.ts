import fs from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigurationBuilder, ConfigurationRoot, JsonConfigurationProvider } from "../../src/configuration/index.js";
import { makeTempDir, recordingLogger, removeDir, waitFor } from "./helpers.js";

describe("JSON file reload on change", () => {
  let dir: string;
  let file: string;
  let config: ConfigurationRoot | undefined;
  beforeEach(async () => {
    dir = await makeTempDir();
    file = path.join(dir, "appsettings.json");
  });
  afterEach(async () => {
    config?.dispose();
    config = undefined;
    await removeDir(dir);
  });

  it("sees a changed value after the file is rewritten and notifies listeners", async () => {
    await fs.writeFile(file, JSON.stringify({ Kestrel: { Limits: { MaxRequestBodySize: 10 } } }));
    config = new ConfigurationBuilder().addJsonFile(file, { reloadOnChange: true }).build();
    const section = config.getSection("Kestrel:Limits");
    let changes = 0;
    config.onChange(() => changes++);

    await fs.writeFile(file, JSON.stringify({ Kestrel: { Limits: { MaxRequestBodySize: 20 } } }));
    await waitFor(() => changes > 0, 5000, "onChange");
    expect(section.get("MaxRequestBodySize")).toBe("20");
  });

  it("picks up a file replaced by rename, as editors save", async () => {
    await fs.writeFile(file, '{ "A": "old" }');
    config = new ConfigurationBuilder().addJsonFile(file, { reloadOnChange: true }).build();
    let changes = 0;
    config.onChange(() => changes++);

    const temp = path.join(dir, "appsettings.json.tmp");
    await fs.writeFile(temp, '{ "A": "new" }');
    await fs.rename(temp, file);
    await waitFor(() => changes > 0, 5000, "onChange");
    expect(config.get("A")).toBe("new");
  });

  it("loads an optional file that appears after startup", async () => {
    config = new ConfigurationBuilder().addJsonFile(file, { optional: true, reloadOnChange: true }).build();
    expect(config.get("A")).toBeUndefined();
    await fs.writeFile(file, '{ "A": "created" }');
    await waitFor(() => config?.get("A") === "created", 5000, "the new file to load");
  });

  it("keeps the previous values and logs when the file becomes invalid JSON", async () => {
    const logger = recordingLogger();
    await fs.writeFile(file, '{ "A": "good", "B": "kept" }');
    config = new ConfigurationBuilder({ logger }).addJsonFile(file, { reloadOnChange: true }).build();
    let changes = 0;
    config.onChange(() => changes++);

    await fs.writeFile(file, '{ "A": "half-writ');
    await waitFor(() => logger.records.some((r) => r.level === "warn"), 5000, "the reload failure to be logged");
    expect(config.get("A")).toBe("good");
    expect(config.get("B")).toBe("kept");
    expect(changes).toBe(0);

    // A later good write is picked up again.
    await fs.writeFile(file, '{ "A": "fixed" }');
    await waitFor(() => config?.get("A") === "fixed", 5000, "the fixed file to load");
    expect(config.get("B")).toBeUndefined();
  });

  it("keeps the previous values when ConfigurationRoot.reload meets invalid JSON", async () => {
    await fs.writeFile(file, '{ "A": "good" }');
    config = new ConfigurationBuilder().addJsonFile(file).build();
    await fs.writeFile(file, "{");
    expect(() => config?.reload()).not.toThrow();
    expect(config.get("A")).toBe("good");
  });

  it("clears the values when the file is deleted after startup, as .NET does", async () => {
    await fs.writeFile(file, '{ "A": "x" }');
    config = new ConfigurationBuilder().addJsonFile(file).build();
    await fs.rm(file);
    config.reload();
    expect(config.get("A")).toBeUndefined();
  });

  it("closes its watcher on dispose", async () => {
    await fs.writeFile(file, '{ "A": 1 }');
    config = new ConfigurationBuilder().addJsonFile(file, { reloadOnChange: true }).build();
    const provider = config.providers[0] as JsonConfigurationProvider;
    expect(provider).toBeInstanceOf(JsonConfigurationProvider);
    expect(provider.isWatching).toBe(true);
    config.dispose();
    expect(provider.isWatching).toBe(false);
    // Loading after dispose is a no-op rather than a new watcher.
    provider.load();
    expect(provider.isWatching).toBe(false);
  });

  it("closes watchers it already opened when a later source fails to load", async () => {
    await fs.writeFile(file, '{ "A": 1 }');
    const watched = new JsonConfigurationProvider({ path: file, reloadOnChange: true });
    const missing = new JsonConfigurationProvider({ path: path.join(dir, "missing.json"), reloadOnChange: true });
    expect(() => new ConfigurationRoot([watched, missing])).toThrow(/not found/);
    expect(watched.isWatching).toBe(false);
    expect(missing.isWatching).toBe(false);
  });

  it("does not watch unless reloadOnChange is set", async () => {
    await fs.writeFile(file, '{ "A": 1 }');
    config = new ConfigurationBuilder().addJsonFile(file).build();
    expect((config.providers[0] as JsonConfigurationProvider).isWatching).toBe(false);
  });
});
