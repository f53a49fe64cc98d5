/**
 * The README's first example, run for real: the test checks that the code it
 * runs is the README's block (marked `<!-- readme-example -->`), then runs it
 * against `../src/index.js` with `--urls http://127.0.0.1:0` as the arguments
 * and `start()` in place of `run()`, so the test can stop it.
 */
import { readmeBlock, runModule, sourceImport, substituteOnce } from "@x/test-support";
import { request } from "undici";
import { afterAll, describe, expect, it } from "vitest";
import type { AppHost } from "../src/index.js";

const EXAMPLE = `import { Host } from "@x/hosting";

await Host.createDefaultBuilder(process.argv.slice(2))
  .configureWebHostDefaults((web) =>
    web
      .configureKestrel((ctx, options) => {
        options.limits.maxRequestBodySize = 10 * 1024;
      })
      .configure((app) => app.run(async (http) => { await http.response.end("Hello, World!"); })),
  )
  .build()
  .run();
`;

let host: AppHost | undefined;
afterAll(async () => {
  await host?.stop();
});

describe("the README example", () => {
  it("is the code this test runs", () => {
    expect(readmeBlock(new URL("../README.md", import.meta.url))).toBe(EXAMPLE);
  });

  it("starts, answers Hello, World! and stops", async () => {
    let code = sourceImport(EXAMPLE, "@x/hosting", new URL("../src/index.ts", import.meta.url));
    code = substituteOnce(code, "process.argv.slice(2)", '["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default", "Warning"]');
    code = substituteOnce(code, "await Host.createDefaultBuilder(", "export const host = Host.createDefaultBuilder(");
    code = substituteOnce(code, "  .build()\n  .run();", "  .build();\nawait host.start();");
    host = (await runModule<{ host: AppHost }>(code, import.meta.url)).host;
    const url = host.server!.addresses[0]!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const res = await request(`${url}/`);
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-length"]).toBe("13");
    expect(await res.body.text()).toBe("Hello, World!");

    await host.stop();
    await expect(request(`${url}/`)).rejects.toThrow();
  });
});
