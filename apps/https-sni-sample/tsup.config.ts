import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/main.ts", "src/certs-cli.ts"],
  format: ["esm"],
  sourcemap: true,
  clean: true,
  target: "node20",
});
