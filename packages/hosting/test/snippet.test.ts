import { fileURLToPath } from "node:url";
import { request } from "undici";
import { describe, expect, it } from "vitest";
import { isPortFree, startNode } from "./helpers.js";

const snippet = fileURLToPath(new URL("./fixtures/snippet.mjs", import.meta.url));
const portFree = await isPortFree(5000);
if (!portFree) process.stdout.write("skipping the issue-2 snippet test: 127.0.0.1:5000 is in use\n");

describe("the issue-2 snippet", () => {
  it.skipIf(!portFree)("runs as written, answers Hello, World! and exits 0 on SIGTERM", async () => {
    const app = startNode(snippet, []);
    try {
      const urls = await app.listening();
      expect(urls).toEqual(["http://127.0.0.1:5000"]);
      const res = await request("http://127.0.0.1:5000/");
      expect(res.statusCode).toBe(200);
      expect(res.headers["content-length"]).toBe("13");
      expect(await res.body.text()).toBe("Hello, World!");
      app.process.kill("SIGTERM");
      expect(await app.exit()).toBe(0);
    } finally {
      app.process.kill("SIGKILL");
    }
  });
});
