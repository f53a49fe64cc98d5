/**
 * The README's app (`app.mjs`), run for real: the test checks that the code it
 * runs is the README's block (marked `<!-- readme-example -->`), writes it
 * unchanged as the entry module of a temp site under `test/` (so `@x/hosting`
 * resolves from this package's dependencies), runs the site in-process with
 * `createFront` on port 0, and sends a request through the front.
 */
import { randomUUID } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readmeBlock } from "@x/test-support";
import { request } from "undici";
import { afterAll, describe, expect, it } from "vitest";
import { createFront, type Front } from "../src/index.js";

const EXAMPLE = `// app.mjs
import { pathToFileURL } from "node:url";
import { Host } from "@x/hosting";

const host = Host.createDefaultBuilder(process.argv.slice(2))
  .configureWebHostDefaults((web) => web.configure((app) => app.run((ctx) => ctx.response.end("Hello from behind x-ancm"))))
  .build();

export default host; // in-process: the front imports this module and calls host.createApplication()
// Run as a program (out-of-process, or on its own): start listening.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await host.run();
`;

const site = fileURLToPath(new URL(`./.readme-site-${randomUUID()}`, import.meta.url));
let front: Front | undefined;
afterAll(async () => {
  await front?.host.stop();
  await rm(site, { recursive: true, force: true });
});

describe("the README example", () => {
  it("is the code this test runs", () => {
    expect(readmeBlock(new URL("../README.md", import.meta.url), "js")).toBe(EXAMPLE);
  });

  it("serves the app in-process behind the front", async () => {
    await mkdir(site);
    await writeFile(join(site, "app.mjs"), EXAMPLE);
    await writeFile(
      join(site, "web.config"),
      `<configuration><system.webServer>
        <aspNetCore processPath="node" arguments="app.mjs" hostingModel="inprocess" />
      </system.webServer></configuration>`,
    );
    const lines: string[] = [];
    front = createFront({
      siteRoot: site,
      args: ["--urls", "http://127.0.0.1:0"],
      configureHost: (builder) =>
        builder.configureLogging((_, o) => {
          o.destination = { write: (line: string) => void lines.push(line) };
          o.format = "json";
        }),
    });
    await front.host.start();
    const url = front.host.server!.addresses[0]!;

    const res = await request(`${url}/`);
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe("Hello from behind x-ancm");
  });
});
