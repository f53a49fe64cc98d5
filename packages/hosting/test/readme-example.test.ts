/**
 * The README's first example, run for real: the test checks that the code it
 * runs is the README's block (marked `<!-- readme-example -->`), then runs it
 * against `../src/index.js` with `--urls http://127.0.0.1:0` as the arguments
 * and `start()` in place of `run()`, so the test can stop it.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
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
  .run();`;

function readmeExample(): string {
  const readme = readFileSync(fileURLToPath(new URL("../README.md", import.meta.url)), "utf8");
  const match = /<!-- readme-example -->\r?\n```(?:ts|js)\r?\n([\s\S]*?)\r?\n```/.exec(readme);
  if (match === null) throw new Error("README.md has no ```ts block after <!-- readme-example -->");
  return match[1]!.replace(/\r\n/g, "\n");
}

function replaceOnce(code: string, from: string, to: string): string {
  const at = code.indexOf(from);
  if (at < 0 || code.indexOf(from, at + 1) >= 0) throw new Error(`expected exactly one ${JSON.stringify(from)} in the example`);
  return code.slice(0, at) + to + code.slice(at + from.length);
}

const temp = fileURLToPath(new URL(`./.readme-example-${randomUUID()}.ts`, import.meta.url));
let host: AppHost | undefined;
afterAll(async () => {
  await host?.stop();
  await rm(temp, { force: true });
});

describe("the README example", () => {
  it("is the code this test runs", () => {
    expect(readmeExample()).toBe(EXAMPLE);
  });

  it("starts, answers Hello, World! and stops", async () => {
    let code = replaceOnce(EXAMPLE, 'from "@x/hosting"', 'from "../src/index.js"');
    code = replaceOnce(code, "process.argv.slice(2)", '["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default", "Warning"]');
    code = replaceOnce(code, "await Host.createDefaultBuilder(", "export const host = Host.createDefaultBuilder(");
    code = replaceOnce(code, "  .build()\n  .run();", "  .build();\nawait host.start();");
    await writeFile(temp, code);
    host = ((await import(pathToFileURL(temp).href)) as { host: AppHost }).host;
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
