import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { echoApp, type Echo, lines, rawRequest, startServer, type TestServer } from "./harness.js";

describe("the path and query the app sees", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(echoApp);
  });
  afterAll(() => server.close());

  async function echo(target: string | Buffer): Promise<Echo> {
    const head = Buffer.concat([Buffer.from("GET ", "latin1"), Buffer.from(target), Buffer.from(lines(" HTTP/1.1", "Host: a", "", ""), "latin1")]);
    const result = await rawRequest(server.port, head, { responses: 1 });
    expect(result.responses[0]?.statusCode, result.text).toBe(200);
    return JSON.parse(result.responses[0]!.body.toString()) as Echo;
  }

  it("percent-decodes the path but keeps %2F encoded", async () => {
    expect(await echo("/a%20b/c%2Fd")).toMatchObject({ path: "/a b/c%2Fd", query: "" });
  });

  it("removes dot segments, so /a/../b is /b", async () => {
    expect((await echo("/a/../b")).path).toBe("/b");
  });

  it("removes percent-encoded dot segments and never climbs above the root", async () => {
    expect((await echo("/%2e%2e/%2E%2E/etc/passwd")).path).toBe("/etc/passwd");
  });

  it("keeps the query raw, with its ?", async () => {
    expect(await echo("/p?x=%20y&z=/../&%2F")).toMatchObject({ path: "/p", query: "?x=%20y&z=/../&%2F" });
  });

  it("decodes raw UTF-8 bytes in the path", async () => {
    expect((await echo(Buffer.from("/café", "utf8"))).path).toBe("/café");
  });

  it("decodes percent-encoded UTF-8 in the path", async () => {
    expect((await echo("/caf%C3%A9")).path).toBe("/café");
  });
});
