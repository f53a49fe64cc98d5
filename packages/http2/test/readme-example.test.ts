/**
 * Runs the README's usage example, so README and code cannot drift: the example
 * below must equal the README's block, and it is executed for real.
 */
import { connect } from "node:http2";
import { readmeBlock, runModule, sourceImport } from "@x/test-support";
import { afterEach, describe, expect, it, vi } from "vitest";

const EXAMPLE = `import { Server, HttpProtocols } from "@x/server";

const server = new Server();
server.options.listen("127.0.0.1", 0, (lo) => {
  lo.protocols = HttpProtocols.Http2; // h2c with prior knowledge
});
await server.start(async (ctx) => {
  await ctx.response.end(\`hello over \${ctx.request.protocol}\`); // "HTTP/2"
});
console.log(server.addresses); // [ 'http://127.0.0.1:39457' ]: try \`curl --http2-prior-knowledge <url>\`
`;

/**
 * The example imports `@x/server`, which is not a dependency of this package (the
 * server depends on it). Its sources are loaded by path; they reach HTTP/2 through
 * `@x/http2` as resolved from the server package, so this runs against this package's build.
 */
const SERVER_SRC = new URL("../../server/src/index.ts", import.meta.url);

/** GET `path` over cleartext HTTP/2 with prior knowledge; resolves with status and body. */
function h2Get(origin: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const session = connect(origin);
    session.on("error", reject);
    const stream = session.request({ ":method": "GET", ":path": path });
    let status = 0;
    let body = "";
    stream.setEncoding("utf8");
    stream.on("response", (headers) => {
      status = Number(headers[":status"]);
    });
    stream.on("data", (chunk: string) => {
      body += chunk;
    });
    stream.on("error", reject);
    stream.on("end", () => {
      session.close();
      resolve({ status, body });
    });
  });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("README example", () => {
  it("is the README's ```ts block", () => {
    expect(readmeBlock(new URL("../README.md", import.meta.url))).toBe(EXAMPLE);
  });

  it("serves h2c with prior knowledge and answers over HTTP/2", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const code = sourceImport(EXAMPLE, "@x/server", SERVER_SRC);
    const { server } = await runModule<{ server: { addresses: string[]; stop(ms?: number): Promise<void> } }>(`${code}\nexport { server };\n`, import.meta.url);
    try {
      expect(server.addresses).toHaveLength(1);
      const url = server.addresses[0]!;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(log).toHaveBeenCalledWith(server.addresses);
      expect(await h2Get(url, "/")).toEqual({ status: 200, body: "hello over HTTP/2" });
    } finally {
      await server.stop(5_000);
    }
  });
});
