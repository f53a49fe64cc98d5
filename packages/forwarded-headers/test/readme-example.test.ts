/**
 * The README's example, run for real: the test checks that the code it runs is
 * the README's block (marked `<!-- readme-example -->`), then runs it on port 0
 * against `../src/index.js` and sends a request as nginx would forward it.
 */
import type { Server } from "@x/server";
import { readmeBlock, runModule, sourceImport, substituteOnce } from "@x/test-support";
import { request } from "undici";
import { afterAll, describe, expect, it } from "vitest";

const EXAMPLE = `import { ApplicationBuilder } from "@x/abstractions";
import { ForwardedHeaders, forwardedHeaders } from "@x/forwarded-headers";
import { Server } from "@x/server";

const app = new ApplicationBuilder()
  .use(
    forwardedHeaders({
      forwardedHeaders: ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto,
      // nginx connects from loopback, which is trusted by default. A proxy elsewhere:
      // knownProxies: ["10.0.0.4"], or knownNetworks: ["10.0.0.0/24"]
    }),
  )
  .run((ctx) => ctx.response.end(\`\${ctx.request.scheme}://\${ctx.request.host} from \${ctx.connection.remoteAddress}\`));

const server = new Server();
server.options.listen("127.0.0.1", 5000);
await server.start(app.build());
`;

let server: Server | undefined;
afterAll(async () => {
  await server?.stop();
});

describe("the README example", () => {
  it("is the code this test runs", () => {
    expect(readmeBlock(new URL("../README.md", import.meta.url))).toBe(EXAMPLE);
  });

  it("listens and applies X-Forwarded-For and X-Forwarded-Proto from a loopback proxy", async () => {
    let code = sourceImport(EXAMPLE, "@x/forwarded-headers", new URL("../src/index.ts", import.meta.url));
    code = substituteOnce(code, 'server.options.listen("127.0.0.1", 5000)', 'server.options.listen("127.0.0.1", 0)');
    code += "\nexport { server };\n";
    server = (await runModule<{ server: Server }>(code, import.meta.url)).server;
    const url = server.addresses[0]!;

    const forwarded = await request(`${url}/`, {
      headers: { host: "shop.example.com", "x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "https" },
    });
    expect(forwarded.statusCode).toBe(200);
    expect(await forwarded.body.text()).toBe("https://shop.example.com from 203.0.113.7");

    const direct = await request(`${url}/`, { headers: { host: "shop.example.com" } });
    expect(await direct.body.text()).toBe("http://shop.example.com from 127.0.0.1");
  });
});
