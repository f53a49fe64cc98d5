import type { FSWatcher } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { watchFileForChanges } from "../../src/configuration/providers/file-watcher.js";
import { makeTempDir, removeDir, waitFor } from "./helpers.js";

describe("file watcher", () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await makeTempDir();
    file = path.join(dir, "settings.json");
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  it("debounces a burst of writes into one notification", async () => {
    await fs.writeFile(file, "1");
    let calls = 0;
    const watcher = watchFileForChanges(file, () => calls++, { delay: 200 });
    try {
      await fs.writeFile(file, "22");
      await fs.writeFile(file, "333");
      await fs.appendFile(file, "4");
      await waitFor(() => calls > 0, 5000, "the notification");
      expect(calls).toBe(1);
    } finally {
      watcher.close();
    }
  });

  it("ignores other files in the directory", async () => {
    let calls = 0;
    const watcher = watchFileForChanges(file, () => calls++, { delay: 20 });
    try {
      await fs.writeFile(path.join(dir, "other.json"), "x");
      await fs.writeFile(file, "x");
      await waitFor(() => calls > 0, 5000, "the notification");
      expect(calls).toBe(1);
    } finally {
      watcher.close();
    }
  });

  it("falls back to polling when fs.watch is unavailable", async () => {
    await fs.writeFile(file, "1");
    let calls = 0;
    const unavailable = (() => {
      throw Object.assign(new Error("fs.watch not supported"), { code: "ENOSYS" });
    }) as unknown as typeof import("node:fs").watch;
    const watcher = watchFileForChanges(file, () => calls++, { delay: 20, watch: unavailable });
    try {
      expect(watcher.isPolling).toBe(true);
      await fs.writeFile(file, "changed size");
      await waitFor(() => calls > 0, 5000, "the polled notification");
    } finally {
      watcher.close();
    }
  });

  it("falls back to polling when the directory does not exist yet", async () => {
    const watcher = watchFileForChanges(path.join(dir, "later", "settings.json"), () => {}, { delay: 20 });
    expect(watcher.isPolling).toBe(true);
    watcher.close();
  });

  it("closes the underlying watcher and cancels a pending notification", async () => {
    let closed = 0;
    let emit: (() => void) | undefined;
    const fakeWatch = ((_dir: string, _options: unknown, listener: (event: string, name: string) => void) => {
      emit = () => listener("change", "settings.json");
      return { close: () => closed++, on: () => undefined, unref: () => undefined } as unknown as FSWatcher;
    }) as unknown as typeof import("node:fs").watch;
    let calls = 0;
    const watcher = watchFileForChanges(file, () => calls++, { delay: 10, watch: fakeWatch });
    emit?.();
    watcher.close();
    watcher.close();
    expect(closed).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(calls).toBe(0);
  });
});
