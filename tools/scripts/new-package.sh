#!/usr/bin/env bash
# Scaffolds packages/<name> with the shared build/test/typecheck setup.
# Usage: tools/scripts/new-package.sh <name> "<description>"
set -euo pipefail
name=$1; desc=$2
dir=packages/$name
mkdir -p "$dir/src" "$dir/test"
cat > "$dir/package.json" <<JSON
{
  "name": "@x/$name",
  "version": "0.1.0",
  "description": "$desc",
  "license": "MIT",
  "repository": { "type": "git", "url": "git+https://example.invalid/x-server.git", "directory": "packages/$name" },
  "engines": { "node": ">=20" },
  "type": "module",
  "sideEffects": false,
  "main": "./dist/index.cjs",
  "module": "./dist/index.js",
  "types": "./dist/index.d.ts",
  "exports": {
    ".": {
      "import": { "types": "./dist/index.d.ts", "default": "./dist/index.js" },
      "require": { "types": "./dist/index.d.cts", "default": "./dist/index.cjs" }
    },
    "./package.json": "./package.json"
  },
  "files": ["dist", "README.md", "LICENSE", "CHANGELOG.md"],
  "scripts": {
    "build": "tsup",
    "typecheck": "tsc -p tsconfig.json --noEmit",
    "lint": "biome lint src test",
    "test": "vitest run --reporter=default --reporter=json --outputFile.json=.test-results.json"
  },
  "dependencies": {},
  "devDependencies": {}
}
JSON
cp LICENSE "$dir/LICENSE"
cat > "$dir/tsconfig.json" <<JSON
{
  "extends": "../../tsconfig.base.json",
  "include": ["src", "test", "*.config.ts"]
}
JSON
cat > "$dir/tsup.config.ts" <<TS
import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
});
TS
cat > "$dir/vitest.config.ts" <<TS
import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 20_000,
  },
});
TS
