/**
 * Runs the README's usage example, so README and code cannot drift: the
 * example must equal the README's block, and it runs for real (on port 0).
 */
import { readmeBlock, runModule, sourceImport, substituteOnce } from "@x/test-support";
import { request } from "undici";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { CompatServer } from "../src/index.js";

const EXAMPLE = `import { createServer } from "@x/node-compat";
import express from "express";

const app = express();
app.use(express.json());
app.get("/", (req, res) => res.send("Hello, World!"));
app.post("/echo", (req, res) => res.json(req.body));

const server = createServer(app).listen(3000, () => {
  console.log("listening on", server.address());
});
`;

afterEach(() => {
  vi.restoreAllMocks();
});

describe("README example", () => {
  it("is the README's ```ts block", () => {
    expect(readmeBlock(new URL("../README.md", import.meta.url))).toBe(EXAMPLE);
  });

  it("serves the Express app: Hello, World! and a JSON echo", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    let code = sourceImport(EXAMPLE, "@x/node-compat", new URL("../src/index.ts", import.meta.url));
    code = substituteOnce(code, "listen(3000,", 'listen(0, "127.0.0.1",');
    const { server } = await runModule<{ server: CompatServer }>(`${code}\nexport { server };\n`, import.meta.url);
    try {
      await vi.waitFor(() => expect(log).toHaveBeenCalled(), { timeout: 5_000 });
      const address = server.address() as { port: number };
      expect(log).toHaveBeenCalledWith("listening on", { address: "127.0.0.1", family: "IPv4", port: address.port });
      const hello = await request(`http://127.0.0.1:${address.port}/`);
      expect(hello.statusCode).toBe(200);
      expect(await hello.body.text()).toBe("Hello, World!");
      const echo = await request(`http://127.0.0.1:${address.port}/echo`, { method: "POST", body: '{"a":1}', headers: { "content-type": "application/json" } });
      expect(await echo.body.json()).toEqual({ a: 1 });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
