/**
 * The README's usage example, run for real: the test checks that the code it
 * runs is the README's block (marked `<!-- readme-example -->`), then runs it
 * on port 0 against `../src/index.js` and sends the requests the README's curl
 * lines show.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Server } from "@x/server";
import { request } from "undici";
import { afterAll, describe, expect, it } from "vitest";

const EXAMPLE = `import { ApplicationBuilder } from "@x/abstractions";
import { hostFiltering, parseAllowedHosts } from "@x/host-filtering";
import { Server } from "@x/server";

// The \`AllowedHosts\` setting, as in appsettings.json: names separated by ';'.
const filter = hostFiltering({ allowedHosts: parseAllowedHosts("example.com;*.example.com;localhost") });

const app = new ApplicationBuilder();
app.use(filter); // first, so nothing else runs for a foreign host
app.run((ctx) => ctx.response.end(\`Hello from \${ctx.request.host}\`));

const server = new Server();
server.options.listen("127.0.0.1", 5000);
await server.start(app.build());

// Later, when the configuration changes:
filter.update({ allowedHosts: ["example.org"] });`;

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

interface ExampleModule {
  readonly server: Server;
  readonly later: () => void;
}

const temp = fileURLToPath(new URL(`./.readme-example-${randomUUID()}.ts`, import.meta.url));
let loaded: ExampleModule | undefined;
afterAll(async () => {
  await loaded?.server.stop();
  await rm(temp, { force: true });
});

describe("the README example", () => {
  it("is the code this test runs", () => {
    expect(readmeExample()).toBe(EXAMPLE);
  });

  it("listens, filters by Host, and applies update()", async () => {
    let code = replaceOnce(EXAMPLE, 'from "@x/host-filtering"', 'from "../src/index.js"');
    code = replaceOnce(code, 'server.options.listen("127.0.0.1", 5000)', 'server.options.listen("127.0.0.1", 0)');
    // Run the "later" part when the test says so.
    code = replaceOnce(code, "// Later, when the configuration changes:\n", "export function later() {\n");
    code += "\n}\nexport { server };\n";
    await writeFile(temp, code);
    loaded = (await import(pathToFileURL(temp).href)) as ExampleModule;
    const url = loaded.server.addresses[0]!;
    const port = new URL(url).port;

    const ok = await request(`${url}/`, { headers: { host: `localhost:${port}` } });
    expect(ok.statusCode).toBe(200);
    expect(await ok.body.text()).toBe(`Hello from localhost:${port}`);

    const evil = await request(`${url}/`, { headers: { host: "evil.test" } });
    expect(evil.statusCode).toBe(400);
    expect(await evil.body.text()).toContain("Invalid Hostname");

    loaded.later();
    const before = await request(`${url}/`, { headers: { host: `localhost:${port}` } });
    expect(before.statusCode).toBe(400);
    await before.body.dump();
    const after = await request(`${url}/`, { headers: { host: "example.org" } });
    expect(after.statusCode).toBe(200);
    expect(await after.body.text()).toBe("Hello from example.org");
  });
});
