import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { HttpMaxRequestBodySizeFeature } from "@x/abstractions";
import { Pool } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { closeAllServers, lines, rawRequest, startServer } from "./harness.js";

afterEach(closeAllServers);

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const sha256 = (data: Buffer): string => createHash("sha256").update(data).digest("hex");

/** 3 MiB of non-repeating bytes: larger than maxRequestBufferSize (1 MiB), so reading pauses the socket. */
const BIG = Buffer.alloc(3 * 1024 * 1024);
for (let i = 0; i < BIG.length; i++) BIG[i] = (i * 7 + (i >> 11)) & 0xff;

const hashingApp = async (ctx: { request: { body: AsyncIterable<Buffer> }; response: { end(s: string): Promise<void> } }): Promise<void> => {
  const hash = createHash("sha256");
  let n = 0;
  for await (const chunk of ctx.request.body) {
    hash.update(chunk);
    // A slow reader: the server must hold the client back, not buffer everything.
    if (++n % 8 === 0) await nextTurn();
  }
  await ctx.response.end(hash.digest("hex"));
};

describe("large bodies over real sockets", () => {
  it("receives a 3 MiB Content-Length upload intact through a slow reader", async () => {
    const server = await startServer(hashingApp);
    const pool = new Pool(server.url, { connections: 1 });
    try {
      const res = await pool.request({ path: "/", method: "POST", body: BIG });
      expect(res.statusCode).toBe(200);
      expect(await res.body.text()).toBe(sha256(BIG));
    } finally {
      await pool.close();
    }
  });

  it("receives a 3 MiB chunked upload intact", async () => {
    const server = await startServer(hashingApp);
    const pool = new Pool(server.url, { connections: 1 });
    async function* pieces(): AsyncGenerator<Buffer> {
      for (let i = 0; i < BIG.length; i += 100_000) yield BIG.subarray(i, i + 100_000);
    }
    try {
      const res = await pool.request({ path: "/", method: "POST", body: Readable.from(pieces()) });
      expect(await res.body.text()).toBe(sha256(BIG));
    } finally {
      await pool.close();
    }
  });

  it("sends a 3 MiB chunked response intact", async () => {
    const server = await startServer(async (ctx) => {
      for (let i = 0; i < BIG.length; i += 64 * 1024) await ctx.response.write(BIG.subarray(i, i + 64 * 1024));
    });
    const pool = new Pool(server.url, { connections: 1 });
    try {
      const res = await pool.request({ path: "/", method: "GET" });
      expect(res.headers["transfer-encoding"]).toBe("chunked");
      expect(sha256(Buffer.from(await res.body.arrayBuffer()))).toBe(sha256(BIG));
    } finally {
      await pool.close();
    }
  });

  it("drains a 3 MiB body the app never read and reuses the connection", async () => {
    const server = await startServer(async (ctx) => {
      await ctx.response.end(`unread ${ctx.request.path}`);
    });
    const pool = new Pool(server.url, { connections: 1 });
    try {
      const first = await pool.request({ path: "/upload", method: "POST", body: BIG });
      expect(await first.body.text()).toBe("unread /upload");
      const second = await pool.request({ path: "/next", method: "GET" });
      expect(await second.body.text()).toBe("unread /next");
    } finally {
      await pool.close();
    }
    expect(server.connections).toHaveLength(1);
  });
});

describe("the per-request body size limit (IHttpMaxRequestBodySizeFeature)", () => {
  it("answers 413 when the app lowers the limit below the Content-Length before reading", async () => {
    const server = await startServer(async (ctx) => {
      ctx.features.get(HttpMaxRequestBodySizeFeature)!.maxRequestBodySize = 4;
      await ctx.response.end(await ctx.request.body.text());
    });
    const result = await rawRequest(server.port, lines("POST / HTTP/1.1", "Host: a", "Content-Length: 5", "", "hello"));
    expect(result.responses[0]!.statusCode).toBe(413);
    expect(result.closed).toBe(true);
  });

  it("lets the app raise the limit above the server's before reading", async () => {
    const server = await startServer(
      async (ctx) => {
        ctx.features.get(HttpMaxRequestBodySizeFeature)!.maxRequestBodySize = null;
        await ctx.response.end(String((await ctx.request.body.buffer()).length));
      },
      { limits: { maxRequestBodySize: 10 } },
    );
    const result = await rawRequest(server.port, lines("POST / HTTP/1.1", "Host: a", "Content-Length: 50", "", "x".repeat(50)), { responses: 1 });
    expect(result.responses[0]!.body.toString()).toBe("50");
  });

  it("is read-only once the app has started reading", async () => {
    let code: string | undefined;
    const server = await startServer(async (ctx) => {
      const feature = ctx.features.get(HttpMaxRequestBodySizeFeature)!;
      await ctx.request.body.read();
      expect(feature.isReadOnly).toBe(true);
      try {
        feature.maxRequestBodySize = 1;
      } catch (error) {
        code = (error as { code?: string }).code;
      }
      await ctx.response.end("ok");
    });
    await rawRequest(server.port, lines("POST / HTTP/1.1", "Host: a", "Content-Length: 2", "", "hi"), { responses: 1 });
    expect(code).toBe("ERR_X_HTTP_BODY_SIZE_READ_ONLY");
  });
});
