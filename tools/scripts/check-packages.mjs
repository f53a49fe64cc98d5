#!/usr/bin/env node
// Checks that every package under packages/ can be published on its own:
// the manifest fields npm and users need, the files it ships, an exports map
// whose targets the build produced, sibling dependencies as `workspace:^`
// (pnpm turns them into real semver ranges on publish), and no runtime
// dependency that the sources never import (test-only ones belong in
// devDependencies). Run after the build; exits 1 with one line per problem.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("../..", import.meta.url).pathname;
const problems = [];
const REQUIRED = ["name", "version", "description", "license", "repository", "engines", "files", "exports", "main", "module", "types"];
const ALLOWED_FILES = new Set(["dist", "README.md", "LICENSE", "CHANGELOG.md"]);

function sourcesOf(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourcesOf(path));
    else if (/\.(ts|mts|cts)$/.test(entry.name) && !/\.test\.ts$/.test(entry.name)) out.push(readFileSync(path, "utf8"));
  }
  return out;
}

for (const name of readdirSync(join(root, "packages"))) {
  const dir = join(root, "packages", name);
  const manifestPath = join(dir, "package.json");
  if (!existsSync(manifestPath)) continue;
  const pkg = JSON.parse(readFileSync(manifestPath, "utf8"));
  const say = (what) => problems.push(`${pkg.name ?? name}: ${what}`);
  if (pkg.private) say("is private");
  for (const field of REQUIRED) if (pkg[field] === undefined) say(`no "${field}"`);
  if (pkg.name !== `@x/${name}`) say(`name should be @x/${name}`);
  if (pkg.repository?.directory !== `packages/${name}`) say(`repository.directory should be packages/${name}`);
  if (pkg.engines?.node !== ">=20") say('engines.node should be ">=20"');
  if (pkg.sideEffects !== false) say("sideEffects should be false (no package runs code on import)");
  for (const file of pkg.files ?? []) if (!ALLOWED_FILES.has(file)) say(`files lists ${file}; ship only dist, README.md, LICENSE, CHANGELOG.md`);
  for (const file of ["README.md", "LICENSE"]) if (!existsSync(join(dir, file))) say(`no ${file}`);
  const main = pkg.exports?.["."];
  for (const [condition, key] of [["import", "types"], ["import", "default"], ["require", "types"], ["require", "default"]]) {
    const target = main?.[condition]?.[key];
    if (typeof target !== "string") say(`exports["."].${condition}.${key} missing`);
    else if (!existsSync(join(dir, target))) say(`exports["."].${condition}.${key} → ${target} was not built`);
  }
  for (const [bin, target] of Object.entries(pkg.bin ?? {})) if (!existsSync(join(dir, target))) say(`bin ${bin} → ${target} was not built`);
  const sources = sourcesOf(join(dir, "src")).join("\n");
  for (const [dep, range] of Object.entries(pkg.dependencies ?? {})) {
    if (dep.startsWith("@x/") && range !== "workspace:^") say(`dependency ${dep} should be "workspace:^" (is ${range})`);
    const imported = sources.includes(`"${dep}"`) || sources.includes(`"${dep}/`) || sources.includes(`'${dep}'`);
    if (!imported) say(`dependency ${dep} is not imported by src/ (test-only? move it to devDependencies)`);
  }
}

if (problems.length > 0) {
  for (const p of problems) process.stderr.write(`${p}\n`);
  process.stderr.write(`check-packages: ${problems.length} problem(s)\n`);
  process.exit(1);
}
process.stdout.write("check-packages: every package is publishable\n");
