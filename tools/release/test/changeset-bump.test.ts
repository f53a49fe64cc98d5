/**
 * What `changeset version` does to the workspace's versions, on a copy of
 * the manifests and the changeset configuration (the real `.changeset`
 * folder and package versions are left alone): a change to one package
 * bumps that package, and its dependants only as far as their ranges force.
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const CHANGESET_BIN = join(ROOT, "node_modules", ".bin", "changeset");
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A copy of the workspace's manifests and changeset config, without pending changesets. */
function workspaceCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), "x-release-"));
  dirs.push(dir);
  for (const file of ["package.json", "pnpm-workspace.yaml"]) cpSync(join(ROOT, file), join(dir, file));
  mkdirSync(join(dir, ".changeset"));
  cpSync(join(ROOT, ".changeset", "config.json"), join(dir, ".changeset", "config.json"));
  // Every workspace package: the config's `ignore` list names private ones under apps/ and tools/.
  for (const group of ["packages", "apps", "tools"]) {
    for (const name of readdirSync(join(ROOT, group))) {
      const manifest = join(ROOT, group, name, "package.json");
      if (!existsSync(manifest)) continue;
      mkdirSync(join(dir, group, name), { recursive: true });
      cpSync(manifest, join(dir, group, name, "package.json"));
    }
  }
  // changesets reads git only for `since`; an empty repository keeps it content.
  execFileSync("git", ["init", "-q"], { cwd: dir });
  return dir;
}

function versions(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(join(dir, "packages"))) {
    const pkg = JSON.parse(readFileSync(join(dir, "packages", name, "package.json"), "utf8")) as { name: string; version: string };
    out[pkg.name] = pkg.version;
  }
  return out;
}

function bump(dir: string, releases: Record<string, "patch" | "minor" | "major">): Record<string, string> {
  const front = Object.entries(releases)
    .map(([name, type]) => `"${name}": ${type}`)
    .join("\n");
  writeFileSync(join(dir, ".changeset", "test-change.md"), `---\n${front}\n---\n\nA change.\n`);
  execFileSync(CHANGESET_BIN, ["version"], { cwd: dir, stdio: "pipe" });
  return versions(dir);
}

function changed(before: Record<string, string>, after: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(after).filter(([name, version]) => before[name] !== version));
}

function dependantsOf(dir: string, target: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(dir, "packages"))) {
    const pkg = JSON.parse(readFileSync(join(dir, "packages", name, "package.json"), "utf8")) as { name: string; dependencies?: Record<string, string> };
    if (pkg.dependencies?.[target] !== undefined) out.push(pkg.name);
  }
  return out.sort();
}

describe("changesets in independent mode", () => {
  it("a patch to @x/http1 bumps only @x/http1: its dependants' published ranges (^0.x.y) still take it", () => {
    const dir = workspaceCopy();
    const before = versions(dir);
    const after = bump(dir, { "@x/http1": "patch" });
    expect(changed(before, after)).toEqual({ "@x/http1": after["@x/http1"] });
  });

  it("a minor change to @x/http1 (0.x: outside ^0.x) also bumps exactly the packages that depend on it, so they republish with the new range", () => {
    const dir = workspaceCopy();
    const before = versions(dir);
    const dependants = dependantsOf(dir, "@x/http1");
    expect(dependants.length).toBeGreaterThan(0);
    const after = bump(dir, { "@x/http1": "minor" });
    const diff = changed(before, after);
    expect(Object.keys(diff).sort()).toEqual(["@x/http1", ...dependants].sort());
    expect(diff["@x/abstractions"]).toBeUndefined();
    expect(diff["@x/transport-sockets"]).toBeUndefined();
  });

  it("a change to a leaf package (@x/ancm-proxy, nothing depends on it) bumps only that package, and writes its CHANGELOG", () => {
    const dir = workspaceCopy();
    const before = versions(dir);
    const after = bump(dir, { "@x/ancm-proxy": "minor" });
    expect(changed(before, after)).toEqual({ "@x/ancm-proxy": after["@x/ancm-proxy"] });
    expect(readFileSync(join(dir, "packages", "ancm-proxy", "CHANGELOG.md"), "utf8")).toContain("A change.");
  });
});
