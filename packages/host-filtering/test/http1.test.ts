/**
 * Host filtering through a real server over HTTP/1.x: undici and raw
 * sockets with hand-written Host headers.
 */
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { HOST_FILTERING_FAILURE_BODY, HostFilteringMiddleware, hostFiltering } from "../src/index.js";
import { capturingLogger, closed, get, Resources, readResponse } from "./helpers.js";

const res = new Resources();
afterEach(() => res.cleanup());

const EXPECTED_BODY =
  '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN""http://www.w3.org/TR/html4/strict.dtd">\r\n' +
  "<HTML><HEAD><TITLE>Bad Request</TITLE>\r\n" +
  '<META HTTP-EQUIV="Content-Type" Content="text/html; charset=us-ascii"></HEAD>\r\n' +
  "<BODY><h2>Bad Request - Invalid Hostname</h2>\r\n" +
  "<hr><p>HTTP Error 400. The request hostname is invalid.</p>\r\n" +
  "</BODY></HTML>";

describe("exact names", () => {
  it("allows the configured host case-insensitively, with and without a port", async () => {
    const { port, reached } = await res.start(hostFiltering({ allowedHosts: ["example.com"] }));
    const socket = await res.connect(port);
    for (const host of ["example.com", "EXAMPLE.COM", "Example.Com:8080", `example.com:${port}`]) {
      const response = await get(socket, host);
      expect(response.status, host).toBe(200);
      expect(response.body).toBe(`ok ${host}`);
    }
    expect(reached).toEqual(["example.com", "EXAMPLE.COM", "Example.Com:8080", `example.com:${port}`]);
  });

  it("rejects another host with 400 and does not call the next middleware", async () => {
    const { port, reached } = await res.start(hostFiltering({ allowedHosts: ["example.com"] }));
    const socket = await res.connect(port);
    for (const host of ["www.example.com", "example.org", "example.com.", "127.0.0.1"]) {
      expect((await get(socket, host)).status, host).toBe(400);
    }
    expect(reached).toEqual([]);
  });

  it("works with undici, whose Host is the origin's 127.0.0.1:port", async () => {
    const allowed = await res.start(hostFiltering({ allowedHosts: ["127.0.0.1"] }));
    const ok = await request(allowed.origin);
    expect(ok.statusCode).toBe(200);
    expect(await ok.body.text()).toBe(`ok 127.0.0.1:${allowed.port}`);

    const denied = await res.start(hostFiltering({ allowedHosts: ["localhost"] }));
    const bad = await request(denied.origin);
    expect(bad.statusCode).toBe(400);
    expect(await bad.body.text()).toBe(EXPECTED_BODY);
    expect(denied.reached).toEqual([]);
  });
});

describe("wildcards", () => {
  it("allows subdomains at any depth but not the apex or a look-alike", async () => {
    const { port, reached } = await res.start(hostFiltering({ allowedHosts: ["*.example.com"] }));
    const socket = await res.connect(port);
    expect((await get(socket, "a.example.com")).status).toBe(200);
    expect((await get(socket, "A.B.Example.com:443")).status).toBe(200);
    expect((await get(socket, "example.com")).status).toBe(400);
    expect((await get(socket, "badexample.com")).status).toBe(400);
    expect((await get(socket, "a.example.com.evil.test")).status).toBe(400);
    expect(reached).toEqual(["a.example.com", "A.B.Example.com:443"]);
  });

  it.each([[["*"]], [[]], [["a.test", "*"]], [undefined]])("turns filtering off for allowedHosts %j", async (allowedHosts) => {
    const { port, reached } = await res.start(hostFiltering(allowedHosts === undefined ? undefined : { allowedHosts }));
    const socket = await res.connect(port);
    expect((await get(socket, "anything.example")).status).toBe(200);
    expect((await get(socket, "[::1]:1")).status).toBe(200);
    expect(reached).toEqual(["anything.example", "[::1]:1"]);
  });
});

describe("empty hosts", () => {
  it("allows HTTP/1.0 without Host and an empty Host by default", async () => {
    const { port, reached } = await res.start(hostFiltering({ allowedHosts: ["example.com"] }));
    const http10 = await res.connect(port);
    const response = await get(http10, null, "HTTP/1.0");
    expect(response.status).toBe(200);
    expect(response.body).toBe("ok ");
    const http11 = await res.connect(port);
    expect((await get(http11, "")).status).toBe(200);
    expect(reached).toEqual(["", ""]);
  });

  it("rejects them when allowEmptyHosts is false", async () => {
    const logger = capturingLogger();
    const { port, reached } = await res.start(hostFiltering({ allowedHosts: ["example.com"], allowEmptyHosts: false }, logger));
    const http10 = await res.connect(port);
    const response = await get(http10, null, "HTTP/1.0");
    expect(response.status).toBe(400);
    expect(response.body).toBe(EXPECTED_BODY);
    const http11 = await res.connect(port);
    expect((await get(http11, "")).status).toBe(400);
    // The empty-host rule holds even with filtering otherwise off.
    const off = await res.start(hostFiltering({ allowEmptyHosts: false }));
    const socket = await res.connect(off.port);
    expect((await get(socket, "")).status).toBe(400);
    expect((await get(socket, "any.test")).status).toBe(200);
    expect(reached).toEqual([]);
    expect(off.reached).toEqual(["any.test"]);
    const debug = logger.entries.filter((e) => e.level === "debug" && e.message.includes("missing or empty host"));
    expect(debug.map((e) => e.fields?.["protocol"])).toEqual(["HTTP/1.0", "HTTP/1.1"]);
  });
});

describe("IPv6 literals", () => {
  it.each(["[::1]", "::1", "[0:0::1]"])("config %j allows Host [::1]:port and [0:0::1]", async (entry) => {
    const { port, reached } = await res.start(hostFiltering({ allowedHosts: [entry] }));
    const socket = await res.connect(port);
    expect((await get(socket, `[::1]:${port}`)).status).toBe(200);
    expect((await get(socket, "[::1]")).status).toBe(200);
    expect((await get(socket, "[0:0::1]")).status).toBe(200);
    expect((await get(socket, `[0:0:0:0:0:0:0:1]:${port}`)).status).toBe(200);
    expect((await get(socket, "[::2]")).status).toBe(400);
    expect((await get(socket, "localhost")).status).toBe(400);
    expect(reached).toHaveLength(4);
  });
});

describe("international names", () => {
  it("config bücher.example allows Host xn--bcher-kva.example", async () => {
    const { port, reached } = await res.start(hostFiltering({ allowedHosts: ["bücher.example", "*.bücher.test"] }));
    const socket = await res.connect(port);
    expect((await get(socket, "xn--bcher-kva.example")).status).toBe(200);
    expect((await get(socket, "XN--BCHER-KVA.EXAMPLE:8080")).status).toBe(200);
    expect((await get(socket, "www.xn--bcher-kva.test")).status).toBe(200);
    expect((await get(socket, "bucher.example")).status).toBe(400);
    expect((await get(socket, "xn--bcher-kva.test")).status).toBe(400);
    expect(reached).toEqual(["xn--bcher-kva.example", "XN--BCHER-KVA.EXAMPLE:8080", "www.xn--bcher-kva.test"]);
  });
});

describe("the failure response", () => {
  it("is ASP.NET Core's HTML page, with Content-Type and Content-Length, when includeFailureMessage is true", async () => {
    expect(HOST_FILTERING_FAILURE_BODY).toBe(EXPECTED_BODY);
    const { port } = await res.start(hostFiltering({ allowedHosts: ["example.com"], includeFailureMessage: true }));
    const socket = await res.connect(port);
    const response = await get(socket, "evil.test");
    expect(response.status).toBe(400);
    expect(response.headers["content-type"]).toBe("text/html");
    expect(response.headers["content-length"]).toBe(String(Buffer.byteLength(EXPECTED_BODY)));
    expect(response.headers["transfer-encoding"]).toBeUndefined();
    expect(response.body).toBe(EXPECTED_BODY);
  });

  it("is an empty 400 when includeFailureMessage is false", async () => {
    const { port, reached } = await res.start(hostFiltering({ allowedHosts: ["example.com"], includeFailureMessage: false }));
    const socket = await res.connect(port);
    const response = await get(socket, "evil.test");
    expect(response.status).toBe(400);
    expect(response.headers["content-length"]).toBe("0");
    expect(response.headers["content-type"]).toBeUndefined();
    expect(response.body).toBe("");
    expect(reached).toEqual([]);
  });

  it("answers HEAD with the headers only", async () => {
    const { port } = await res.start(hostFiltering({ allowedHosts: ["example.com"] }));
    const socket = await res.connect(port);
    socket.write("HEAD / HTTP/1.1\r\nHost: evil.test\r\n\r\n");
    socket.write("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
    const head = await new Promise<string>((resolve) => {
      let text = "";
      socket.on("data", (chunk: Buffer) => {
        text += chunk.toString("latin1");
        if (text.includes("ok example.com")) resolve(text);
      });
    });
    expect(head.startsWith("HTTP/1.1 400 ")).toBe(true);
    expect(head).toContain(`\r\ncontent-length: ${EXPECTED_BODY.length}\r\n`.toLowerCase());
    expect(head).not.toContain("<!DOCTYPE");
    expect(head).toContain("HTTP/1.1 200 ");
  });

  it("logs the rejected host at debug, truncated to 256 characters", async () => {
    const logger = capturingLogger();
    const { port } = await res.start(hostFiltering({ allowedHosts: ["example.com"] }, logger));
    const socket = await res.connect(port);
    const long = `${"a".repeat(300)}.test`;
    expect((await get(socket, long)).status).toBe(400);
    expect((await get(socket, "evil.test")).status).toBe(400);
    const rejected = logger.entries.filter((e) => e.level === "debug" && e.fields?.["host"] !== undefined);
    expect(rejected.map((e) => e.fields?.["host"])).toEqual(["a".repeat(256), "evil.test"]);
    expect(rejected[0]!.message.length).toBeLessThan(400);
    expect(rejected[1]!.message).toContain("evil.test");
  });
});

describe("keep-alive", () => {
  it("a rejected request leaves the connection open for the next one", async () => {
    const { port, reached } = await res.start(hostFiltering({ allowedHosts: ["example.com"] }));
    const socket = await res.connect(port);
    const rejected = await get(socket, "evil.test");
    expect(rejected.status).toBe(400);
    expect(rejected.headers["connection"]).toBeUndefined();
    const allowed = await get(socket, "example.com");
    expect(allowed.status).toBe(200);
    expect(allowed.body).toBe("ok example.com");
    expect(socket.destroyed).toBe(false);
    expect(reached).toEqual(["example.com"]);
  });

  it("pipelined requests are judged one by one", async () => {
    const { port, reached } = await res.start(hostFiltering({ allowedHosts: ["a.test"] }));
    const socket = await res.connect(port);
    socket.write("GET / HTTP/1.1\r\nHost: b.test\r\n\r\nGET / HTTP/1.1\r\nHost: a.test\r\n\r\nGET / HTTP/1.1\r\nHost: c.test\r\n\r\n");
    expect((await readResponse(socket)).status).toBe(400);
    expect((await readResponse(socket)).status).toBe(200);
    expect((await readResponse(socket)).status).toBe(400);
    expect(reached).toEqual(["a.test"]);
  });

  it("HTTP/1.0 closes after the 400 as after any response", async () => {
    const { port } = await res.start(hostFiltering({ allowedHosts: ["a.test"] }));
    const socket = await res.connect(port);
    expect((await get(socket, "b.test", "HTTP/1.0")).status).toBe(400);
    await closed(socket);
    expect(socket.destroyed).toBe(true);
  });
});

describe("update()", () => {
  it("changes the decision from the next request on the same keep-alive connection", async () => {
    const logger = capturingLogger();
    const filter = hostFiltering({ allowedHosts: ["a.test"] }, logger);
    const { port, reached } = await res.start(filter);
    const socket = await res.connect(port);
    expect((await get(socket, "a.test")).status).toBe(200);
    expect((await get(socket, "b.test")).status).toBe(400);

    filter.update({ allowedHosts: ["b.test"], includeFailureMessage: false });
    expect((await get(socket, "b.test")).status).toBe(200);
    const rejected = await get(socket, "a.test");
    expect(rejected.status).toBe(400);
    expect(rejected.body).toBe("");

    filter.update({ allowedHosts: ["bad entry"] });
    expect((await get(socket, "b.test")).status).toBe(400);
    expect(logger.entries.some((e) => e.level === "warn" && e.message.includes("bad entry"))).toBe(true);

    filter.update({});
    expect((await get(socket, "whatever.test")).status).toBe(200);
    expect(reached).toEqual(["a.test", "b.test", "whatever.test"]);
  });

  it("works on the class too, whose invoke is bound", async () => {
    const filter = new HostFilteringMiddleware({ allowedHosts: ["a.test"] });
    const invoke = filter.invoke;
    const { port } = await res.start(invoke);
    const socket = await res.connect(port);
    expect((await get(socket, "b.test")).status).toBe(400);
    filter.update({ allowedHosts: ["*.test"] });
    expect((await get(socket, "b.test")).status).toBe(200);
    expect((await get(socket, "a.test")).status).toBe(200);
    expect((await get(socket, "test")).status).toBe(400);
  });
});

describe("absolute-form targets", () => {
  it("are filtered on the target's authority, which replaces Host (RFC 9112 §3.2.2)", async () => {
    const { port, reached } = await res.start(hostFiltering({ allowedHosts: ["a.test"] }));
    const socket = await res.connect(port);
    socket.write("GET http://b.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n");
    expect((await readResponse(socket)).status).toBe(400);
    socket.write("GET http://a.test:8080/ HTTP/1.1\r\nHost: b.test\r\n\r\n");
    expect((await readResponse(socket)).status).toBe(200);
    expect(reached).toEqual(["a.test:8080"]);
  });
});
