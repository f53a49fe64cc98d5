/**
 * Runs the README's usage example, so README and code cannot drift: the example
 * below must equal the README's block, and it is executed for real.
 */
import { randomUUID } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { FeatureCollection } from "./features.js";
import { HeaderMap } from "./header-map.js";
import type { HttpContext, RequestDelegate } from "./index.js";
import { HttpConnectionFeature } from "./well-known-features.js";

const EXAMPLE = `import { ApplicationBuilder, HttpConnectionFeature } from "@x/abstractions";

const app = new ApplicationBuilder()
  .use(async (ctx, next) => {
    ctx.response.headers.set("x-powered-by", "x");
    await next(ctx);
  })
  .run(async (ctx) => {
    const conn = ctx.features.get(HttpConnectionFeature);
    await ctx.response.end(\`hello \${conn?.remoteAddress}\`);
  })
  .build(); // a RequestDelegate for @x/server
`;

/** The README's example: the ```ts block right after the `<!-- readme-example -->` marker. */
function readmeExample(): string {
  const readme = readFileSync(fileURLToPath(new URL("../README.md", import.meta.url)), "utf8").replace(/\r\n/g, "\n");
  const match = /<!-- readme-example -->\n```ts\n([\s\S]*?)```\n/.exec(readme);
  if (!match) throw new Error("README.md has no ```ts block after <!-- readme-example -->");
  return match[1]!;
}

/** Writes `code` next to this test under a unique name, imports it (vitest compiles the TypeScript) and deletes it. */
async function runModule(code: string): Promise<Record<string, any>> {
  const file = fileURLToPath(new URL(`./readme-example.tmp-${randomUUID()}.ts`, import.meta.url));
  writeFileSync(file, code);
  try {
    return await import(/* @vite-ignore */ file);
  } finally {
    rmSync(file, { force: true });
  }
}

/** `code` with `search` replaced, failing loudly when the README no longer contains it. */
function substitute(code: string, search: string, replacement: string): string {
  if (!code.includes(search)) throw new Error(`the README example no longer contains ${JSON.stringify(search)}`);
  return code.replaceAll(search, replacement);
}

/** Just enough of an HttpContext for the example: response headers, end() and the connection feature. */
function fakeContext(remoteAddress: string): HttpContext & { ended: string[] } {
  const ended: string[] = [];
  const response = {
    statusCode: 200,
    hasStarted: false,
    headers: new HeaderMap(),
    end(chunk?: string) {
      response.hasStarted = true;
      if (chunk !== undefined) ended.push(chunk);
      return Promise.resolve();
    },
  };
  const features = new FeatureCollection();
  features.set(HttpConnectionFeature, { id: "0HMTEST", remoteAddress, remotePort: 50000, localAddress: "127.0.0.1", localPort: 5000 });
  return { response, features, items: new Map(), ended } as unknown as HttpContext & { ended: string[] };
}

describe("README example", () => {
  it("is the README's ```ts block", () => {
    expect(readmeExample()).toBe(EXAMPLE);
  });

  it("builds a pipeline that sets the header, then answers with the remote address", async () => {
    const code = substitute(EXAMPLE, 'from "@x/abstractions"', `from ${JSON.stringify(fileURLToPath(new URL("./index.ts", import.meta.url)))}`);
    const { app } = (await runModule(`${code}\nexport { app };\n`)) as { app: RequestDelegate };
    const ctx = fakeContext("10.0.0.7");
    await app(ctx);
    expect(ctx.response.headers.get("x-powered-by")).toBe("x");
    expect(ctx.ended).toEqual(["hello 10.0.0.7"]);
  });
});
