/**
 * Runs the README's usage example, so README and code cannot drift: the example
 * below must equal the README's block, and it is executed for real.
 */
import { readmeBlock, runModule, sourceImport, substitute } from "@x/test-support";
import { Client } from "undici";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Server } from "../src/index.js";
import { canBindIPv6Loopback, freeLoopbackPort } from "./helpers.js";

const EXAMPLE = `import { Server } from "@x/server";

const server = new Server();
server.options.limits.maxRequestBodySize = 1024 * 1024;
server.options.listen("127.0.0.1", 0);
server.options.listenLocalhost(5001, (listen) =>
  listen.use(async (connection, next) => {
    // connection middleware: runs per connection, before HTTP
    await next(connection);
  }),
);
await server.start(async (ctx) => {
  await ctx.response.end("Hello, World!");
});
console.log(server.addresses); // [ 'http://127.0.0.1:39457', 'http://localhost:5001' ]
await server.stop(30_000); // stop accepting, close idle connections, let requests finish
`;

afterEach(() => {
  vi.restoreAllMocks();
  delete (globalThis as any).__readmeProbe;
  delete (globalThis as any).__readmeConnections;
});

describe("README example", () => {
  it("is the README's ```ts block", () => {
    expect(readmeBlock(new URL("../README.md", import.meta.url))).toBe(EXAMPLE);
  });

  it("serves on both endpoints, runs the connection middleware, then stops", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    // The README's fixed localhost port may be taken on this machine: use a free one.
    const port = await freeLoopbackPort(await canBindIPv6Loopback());
    const answers: string[] = [];
    let running: Server | undefined;
    // Runs in the example just before `server.stop(30_000)`.
    (globalThis as any).__readmeProbe = async (server: Server) => {
      running = server;
      expect(server.addresses).toHaveLength(2);
      expect(server.addresses[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(server.addresses[1]).toBe(`http://localhost:${port}`);
      for (const origin of [server.addresses[0]!, `http://127.0.0.1:${port}`]) {
        const client = new Client(origin);
        try {
          const response = await client.request({ method: "GET", path: "/" });
          expect(response.statusCode).toBe(200);
          answers.push(await response.body.text());
        } finally {
          await client.close();
        }
      }
    };
    let code = sourceImport(EXAMPLE, "@x/server", new URL("../src/index.ts", import.meta.url));
    code = substitute(code, "5001", String(port));
    code = substitute(code, "// connection middleware:", "(globalThis as any).__readmeConnections = ((globalThis as any).__readmeConnections ?? 0) + 1;\n    // connection middleware:");
    code = substitute(code, "await server.stop(", "await (globalThis as any).__readmeProbe(server);\nawait server.stop(");
    try {
      await runModule(code, import.meta.url);
    } catch (error) {
      await running?.stop(1_000);
      throw error;
    }
    expect(answers).toEqual(["Hello, World!", "Hello, World!"]);
    // Only the localhost endpoint has the middleware, and it got one connection.
    expect((globalThis as any).__readmeConnections).toBe(1);
    expect(log).toHaveBeenCalledWith(running!.addresses);
  });
});
