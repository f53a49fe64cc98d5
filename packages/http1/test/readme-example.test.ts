/**
 * Runs the README's usage example, so README and code cannot drift: the example
 * below must equal the README's block, and it is executed for real.
 */
import type { OwnedServiceContext } from "@x/abstractions";
import { readmeBlock, runModule, sourceImport } from "@x/test-support";
import type { SocketListener as Listener } from "@x/transport-sockets";
import { Client } from "undici";
import { afterEach, describe, expect, it, vi } from "vitest";

const EXAMPLE = `import { createServiceContext, formatEndPoint, ipEndPoint } from "@x/abstractions";
import { processHttp1Connection } from "@x/http1";
import { SocketTransportFactory } from "@x/transport-sockets";

// Kestrel's limits, the Date header, and the one heartbeat that drives every connection timeout.
const service = createServiceContext();

const listener = await new SocketTransportFactory().bind(ipEndPoint("127.0.0.1", 0), (connection) => {
  void processHttp1Connection(connection, service, (ctx) => ctx.response.end("Hello"));
});
console.log(\`listening on http://\${formatEndPoint(listener.endPoint)}\`);

// To stop: await listener.unbind(); service.close();
`;

afterEach(() => {
  vi.restoreAllMocks();
});

describe("README example", () => {
  it("is the README's ```ts block", () => {
    expect(readmeBlock(new URL("../README.md", import.meta.url))).toBe(EXAMPLE);
  });

  it("listens on the OS-chosen port and answers Hello over HTTP/1.1", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const code = sourceImport(EXAMPLE, "@x/http1", new URL("../src/index.ts", import.meta.url));
    const { listener, service } = await runModule<{ listener: Listener; service: OwnedServiceContext }>(`${code}\nexport { listener, service };\n`, import.meta.url);
    let client: Client | undefined;
    try {
      expect(listener.endPoint.kind).toBe("ip");
      const port = listener.endPoint.kind === "ip" ? listener.endPoint.port : 0;
      expect(log).toHaveBeenCalledWith(`listening on http://127.0.0.1:${port}`);
      client = new Client(`http://127.0.0.1:${port}`);
      const response = await client.request({ method: "GET", path: "/" });
      expect(response.statusCode).toBe(200);
      expect(response.headers["server"]).toBe("X");
      // IMF-fixdate (RFC 9110 §5.6.7), within a couple of seconds of now.
      const date = String(response.headers["date"]);
      expect(date).toMatch(/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
      expect(Math.abs(Date.parse(date) - Date.now())).toBeLessThan(3_000);
      expect(await response.body.text()).toBe("Hello");
    } finally {
      await client?.close();
      await listener.unbind();
      service.close();
    }
  });
});
