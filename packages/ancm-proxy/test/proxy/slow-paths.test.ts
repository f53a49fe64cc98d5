import { describe, expect, it } from "vitest";
import { MAX_SLOW_PATHS, SLOW_PATH_MEMORY_MS, SlowPaths } from "../../src/proxy/slow-paths.js";

describe("SlowPaths", () => {
  it("remembers a marked path, query or not, for the memory, then forgets it", () => {
    const paths = new SlowPaths();
    expect(paths.isSlow("/report?id=1", 0)).toBe(false);
    paths.mark("/report?id=1", 1_000);
    expect(paths.isSlow("/report", 1_000)).toBe(true);
    expect(paths.isSlow("/report?id=2", 1_000 + SLOW_PATH_MEMORY_MS - 1)).toBe(true);
    expect(paths.isSlow("/reports", 1_000)).toBe(false);
    expect(paths.isSlow("/report", 1_000 + SLOW_PATH_MEMORY_MS)).toBe(false);
    expect(paths.size).toBe(0);
  });

  it("renews a mark, and keeps at most MAX_SLOW_PATHS, forgetting the oldest mark first", () => {
    const paths = new SlowPaths();
    paths.mark("/first", 0);
    for (let i = 1; i < MAX_SLOW_PATHS; i++) paths.mark(`/p${i}`, 0);
    paths.mark("/first", 1); // renewed: now the newest
    paths.mark("/overflow", 2);
    expect(paths.size).toBe(MAX_SLOW_PATHS);
    expect(paths.isSlow("/first", 3)).toBe(true);
    expect(paths.isSlow("/p1", 3)).toBe(false);
    expect(paths.isSlow("/overflow", 3)).toBe(true);
  });
});
