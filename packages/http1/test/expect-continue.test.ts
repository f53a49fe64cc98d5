import { afterEach, describe, expect, it } from "vitest";
import { closeAllServers, deferred, delay, lines, RawClient, startServer, within } from "./harness.js";

afterEach(closeAllServers);

const CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n";

describe("Expect: 100-continue (RFC 9110 §10.1.1)", () => {
  it("sends 100 Continue only once the app starts reading the body", async () => {
    const entered = deferred();
    const mayRead = deferred();
    const server = await startServer(async (ctx) => {
      entered.resolve();
      await mayRead.promise;
      const body = await ctx.request.body.text();
      await ctx.response.end(`read ${body}`);
    });
    const client = await RawClient.connect(server.port);
    try {
      await client.write(lines("POST / HTTP/1.1", "Host: a", "Expect: 100-continue", "Content-Length: 5", "", ""));
      await within(entered.promise, "the app to start");
      // A short real wait: nothing may arrive while the app has not asked for the body.
      await delay(50);
      expect(client.received.length).toBe(0);

      mayRead.resolve();
      await client.waitFor((c) => c.text === CONTINUE, "100 Continue");
      await client.write("hello");
      await client.waitFor((c) => c.text.length > CONTINUE.length && c.text.endsWith("read hello"), "the final response");
      const [final] = await client.responses(1);
      expect(final!.statusCode).toBe(200);
      expect(client.text.startsWith(CONTINUE)).toBe(true);
      expect(client.text.split("100 Continue")).toHaveLength(2);
    } finally {
      client.destroy();
    }
  });

  it("sends no 100 Continue when the app answers without reading the body", async () => {
    const server = await startServer(async (ctx) => {
      ctx.response.statusCode = 417;
      await ctx.response.end("no thanks");
    });
    const client = await RawClient.connect(server.port);
    try {
      await client.write(lines("POST / HTTP/1.1", "Host: a", "Expect: 100-continue", "Content-Length: 5", "", ""));
      const [final] = await client.responses(1);
      expect(final!.statusCode).toBe(417);
      expect(client.text.startsWith("HTTP/1.1 417 ")).toBe(true);
      expect(client.text).not.toContain("100 Continue");
    } finally {
      client.destroy();
    }
  });

  it("sends one 100 Continue per pipelined request that asks, before its final response", async () => {
    const server = await startServer(async (ctx) => {
      await ctx.response.end(`read ${await ctx.request.body.text()}`);
    });
    const client = await RawClient.connect(server.port);
    try {
      const request = lines("POST / HTTP/1.1", "Host: a", "Expect: 100-continue", "Content-Length: 2", "", "hi");
      await client.write(request + request);
      const responses = await client.responses(2);
      expect(responses.map((r) => r.body.toString())).toEqual(["read hi", "read hi"]);
      // One interim response per request that asked, each before its final response.
      expect(client.text).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n[\s\S]*?read hiHTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n[\s\S]*read hi$/);
    } finally {
      client.destroy();
    }
  });

  it("ignores the expectation in an HTTP/1.0 request", async () => {
    const server = await startServer(async (ctx) => {
      await ctx.response.end(`read ${await ctx.request.body.text()}`);
    });
    const client = await RawClient.connect(server.port);
    try {
      await client.write(lines("POST / HTTP/1.0", "Expect: 100-continue", "Content-Length: 2", "", "hi"));
      await client.waitForEnd();
      expect(client.text).not.toContain("100 Continue");
      expect((await client.responses(1))[0]!.body.toString()).toBe("read hi");
    } finally {
      client.destroy();
    }
  });
});
