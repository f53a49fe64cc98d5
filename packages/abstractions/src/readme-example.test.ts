/**
 * Runs the README's usage example, so README and code cannot drift: the example
 * below must equal the README's block, and it is executed for real.
 */
import { readmeBlock, runModule, sourceImport } from "@x/test-support";
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
    expect(readmeBlock(new URL("../README.md", import.meta.url))).toBe(EXAMPLE);
  });

  it("builds a pipeline that sets the header, then answers with the remote address", async () => {
    const code = sourceImport(EXAMPLE, "@x/abstractions", new URL("./index.ts", import.meta.url));
    const { app } = await runModule<{ app: RequestDelegate }>(`${code}\nexport { app };\n`, import.meta.url);
    const ctx = fakeContext("10.0.0.7");
    await app(ctx);
    expect(ctx.response.headers.get("x-powered-by")).toBe("x");
    expect(ctx.ended).toEqual(["hello 10.0.0.7"]);
  });
});
