/**
 * The README's usage example, run for real: the test checks that the code it
 * runs is the README's block (marked `<!-- readme-example -->`), then runs it
 * on port 0 against `../src/index.js` and sends the requests the README's curl
 * lines show.
 */
import type { Server } from "@x/server";
import { readmeBlock, runModule, sourceImport, substituteOnce } from "@x/test-support";
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
filter.update({ allowedHosts: ["example.org"] });
`;

interface ExampleModule {
  readonly server: Server;
  readonly later: () => void;
}

let loaded: ExampleModule | undefined;
afterAll(async () => {
  await loaded?.server.stop();
});

describe("the README example", () => {
  it("is the code this test runs", () => {
    expect(readmeBlock(new URL("../README.md", import.meta.url))).toBe(EXAMPLE);
  });

  it("listens, filters by Host, and applies update()", async () => {
    let code = sourceImport(EXAMPLE, "@x/host-filtering", new URL("../src/index.ts", import.meta.url));
    code = substituteOnce(code, 'server.options.listen("127.0.0.1", 5000)', 'server.options.listen("127.0.0.1", 0)');
    // Run the "later" part when the test says so.
    code = substituteOnce(code, "// Later, when the configuration changes:\n", "export function later() {\n");
    code += "\n}\nexport { server };\n";
    loaded = await runModule<ExampleModule>(code, import.meta.url);
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
