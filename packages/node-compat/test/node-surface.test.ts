/**
 * node:http's ServerResponse/IncomingMessage surface, request by request,
 * on node:http and on ours (support/compare.ts says what is normalised).
 */
import { once } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import { request as httpRequest } from "node:http";
import { describe, expect, it } from "vitest";
import { createServer } from "../src/index.js";
import { compare, header, headerValues, type Listener, openSocket, parseResponse, sendBoth, startPair, within } from "./support/compare.js";

const json = (res: ServerResponse, value: unknown) => {
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify(value));
};

describe("ServerResponse on ours writes what node:http writes", () => {
  const cases: [string, Listener][] = [
    ["writeHead(status)", (_q, r) => r.writeHead(204).end()],
    ["writeHead(status, message, headers)", (_q, r) => r.writeHead(299, "Fine Thanks", { "X-A": "1" }).end("body")],
    ["writeHead(status, headers object) merged with setHeader", (_q, r) => {
      r.setHeader("X-Set", "s");
      r.writeHead(200, { "X-Head": "h", "Content-Type": "text/plain" }).end("merged");
    }],
    // Ours keeps a field's values together (one entry per name; RFC 9110 §5.3 gives no meaning
    // to the order of different names), so the array names each once here.
    ["writeHead(status, flat array)", (_q, r) => r.writeHead(200, ["X-A", "1", "X-A", "3", "X-B", "2"]).end("flat")],
    ["writeHead(status, nested array)", (_q, r) => r.writeHead(200, [["X-A", "1"], ["X-A", "2"]] as unknown as string[]).end("nested")],
    ["statusCode/statusMessage properties", (_q, r) => {
      r.statusCode = 202;
      r.statusMessage = "Taken";
      r.end();
    }],
    ["node's own reason phrases (418, 413, 422)", (q, r) => {
      r.statusCode = Number(q.url?.slice(1)) || 418;
      r.end();
    }],
    ["setHeader with arrays and numbers, removeHeader, getHeader(s), hasHeader", (_q, r) => {
      r.setHeader("Set-Cookie", ["a=1", "b=2"]);
      r.setHeader("X-Num", 42);
      r.setHeader("X-Gone", "x");
      r.removeHeader("x-gone");
      r.appendHeader("X-App", "1");
      r.appendHeader("X-App", ["2", "3"]);
      json(r, { names: r.getHeaderNames(), raw: (r as unknown as { getRawHeaderNames(): string[] }).getRawHeaderNames(), num: r.getHeader("x-num"), has: r.hasHeader("X-NUM"), gone: r.hasHeader("x-gone"), headers: r.getHeaders() });
    }],
    ["write then end (streamed, chunked on node)", (_q, r) => {
      r.write("a");
      r.write(Buffer.from("b"));
      r.end("c");
    }],
    ["write with encodings and callbacks", (_q, r) => {
      const order: string[] = [];
      r.write("68656c6c6f", "hex", () => order.push("hex"));
      r.write("IHdvcmxk", "base64", () => order.push("base64"));
      r.end(() => {
        order.push("end");
      });
    }],
    ["end with explicit Content-Length", (_q, r) => {
      r.setHeader("Content-Length", "5");
      r.end("12345");
    }],
    ["flushHeaders, then the body later", (_q, r) => {
      r.setHeader("X-Early", "1");
      r.flushHeaders();
      setTimeout(() => r.end("late"), 10);
    }],
    ["trailers", (_q, r) => {
      r.writeHead(200, { "Transfer-Encoding": "chunked", Trailer: "X-Checksum" });
      r.write("data");
      r.addTrailers({ "X-Checksum": "abc" });
      r.end();
    }],
    ["empty end()", (_q, r) => r.end()],
    ["a 304 with a body dropped", (_q, r) => r.writeHead(304, { ETag: '"x"' }).end("ignored")],
    ["headersSent and writableEnded as seen by the app", (_q, r) => {
      const before = r.headersSent;
      r.write("x");
      const after = r.headersSent;
      r.end(JSON.stringify({ before, after, ended: r.writableEnded }));
    }],
  ];
  it.each(cases)("%s", async (_name, listener) => {
    await compare(listener, { path: "/413" });
  });

  it("HEAD gets the headers without a body", async () => {
    const res = await compare((_q, r) => r.end("a body"), { method: "HEAD" });
    expect(res.body.length).toBe(0);
  });

  it("node's reason phrases", async () => {
    for (const code of [413, 418, 422]) {
      const res = await compare((_q, r) => {
        r.statusCode = code;
        r.end();
      }, {});
      expect(res.statusMessage.length).toBeGreaterThan(0);
    }
  });

  it("gives the request as node does: method, url, httpVersion, headers, rawHeaders, body", async () => {
    const listener: Listener = (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () =>
        json(res, {
          method: req.method,
          url: req.url,
          version: [req.httpVersion, req.httpVersionMajor, req.httpVersionMinor],
          headers: req.headers,
          // Ours hands the names over lower-cased (its parser's form; RFC 9110 §5.1), node as sent.
          rawHeaders: req.rawHeaders.map((v, i) => (i % 2 === 0 ? v.toLowerCase() : v)),
          body: Buffer.concat(chunks).toString(),
          complete: req.complete,
        }),
      );
    };
    const res = await compare(listener, {
      method: "PUT",
      path: "/a/b?c=d&e",
      headers: [["X-Dup", "1"], ["x-dup", "2"], ["Cookie", "a=1"], ["Cookie", "b=2"], ["Content-Type", "text/plain"]],
      body: "hello",
    });
    const body = JSON.parse(res.body.toString());
    expect(body.headers["x-dup"]).toBe("1, 2");
    expect(body.headers.cookie).toBe("a=1; b=2");
    expect(body.complete).toBe(true);
  });

  it("sends 100 Continue through 'checkContinue' and writeContinue()", async () => {
    const pair = await startPair({
      builder: (create) => {
        const server = create((_req, res) => res.end("never"));
        server.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => {
          res.writeContinue();
          let size = 0;
          req.on("data", (c: Buffer) => (size += c.length));
          req.on("end", () => res.end(`got ${size}`));
        });
        return server;
      },
    });
    try {
      for (const target of [pair.node, pair.ours]) {
        const socket = await openSocket(target.port);
        const chunks: Buffer[] = [];
        socket.on("data", (c: Buffer) => chunks.push(c));
        socket.write("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\nConnection: close\r\n\r\n");
        await within(
          new Promise<void>((resolve) => {
            const check = () => (Buffer.concat(chunks).toString().includes("100 Continue") ? resolve() : setTimeout(check, 5));
            check();
          }),
          `100 Continue from ${target.side}`,
        );
        socket.write("body");
        await within(once(socket, "end"), "end");
        socket.destroy();
        const response = parseResponse(Buffer.concat(chunks), "POST");
        expect(response?.informational.map((i) => i.status)).toEqual([100]);
        expect(response?.body.toString()).toBe("got 4");
      }
    } finally {
      await pair.close();
    }
  });

  it("sends 103 Early Hints through writeEarlyHints()", async () => {
    const listener: Listener = (_req, res) => {
      res.writeEarlyHints({ link: ["</a.css>; rel=preload; as=style", "</b.js>; rel=preload; as=script"] });
      res.end("page");
    };
    const pair = await startPair(listener);
    try {
      const both = await sendBoth(pair, {});
      for (const response of [both.node, both.ours]) {
        expect(response.informational).toHaveLength(1);
        expect(response.informational[0]!.status).toBe(103);
        // node joins the list into one Link field; so does ours.
        expect(headerValues({ ...response, headers: response.informational[0]!.headers }, "link")).toEqual(["</a.css>; rel=preload; as=style, </b.js>; rel=preload; as=script"]);
      }
    } finally {
      await pair.close();
    }
  });
});

describe("node:http's events and flow control on ours", () => {
  it("emits 'finish' then 'close' on res, and 'close' on req, after the response", async () => {
    const events: string[] = [];
    const server = createServer((req, res) => {
      req.on("close", () => events.push("req close"));
      res.on("finish", () => events.push("res finish"));
      res.on("close", () => events.push("res close"));
      res.end("ok");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const { port } = server.address() as { port: number };
      await (await fetch(`http://127.0.0.1:${port}/`)).text();
      await new Promise((r) => setTimeout(r, 20));
      expect(events).toContain("res finish");
      expect(events.indexOf("res finish")).toBeLessThan(events.indexOf("res close"));
      expect(events).toContain("req close");
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it("emits 'close' (not 'finish') and aborted when the client goes away mid-response", async () => {
    let resolveEvents: (v: string[]) => void = () => {};
    const done = new Promise<string[]>((r) => (resolveEvents = r));
    const server = createServer((req, res) => {
      const events: string[] = [];
      res.on("finish", () => events.push("finish"));
      res.on("close", () => {
        events.push(`close ended=${res.writableEnded} destroyed=${req.destroyed}`);
        resolveEvents(events);
      });
      res.write("partial");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const { port } = server.address() as { port: number };
      const req = httpRequest({ port, host: "127.0.0.1", path: "/" });
      req.on("response", (res) => res.once("data", () => req.destroy()));
      req.on("error", () => {});
      req.end();
      const events = await within(done, "close after client abort");
      expect(events).toEqual(["close ended=false destroyed=true"]);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it("write() returns false past the high-water mark and 'drain' follows; all bytes arrive", async () => {
    const chunk = Buffer.alloc(64 * 1024, 120);
    const total = 200;
    let sawFalse = false;
    let drains = 0;
    const server = createServer((_req, res) => {
      let sent = 0;
      const pump = () => {
        while (sent < total) {
          sent++;
          if (!res.write(chunk)) {
            sawFalse = true;
            res.once("drain", () => {
              drains++;
              pump();
            });
            return;
          }
        }
        res.end();
      };
      pump();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const { port } = server.address() as { port: number };
      const res = await fetch(`http://127.0.0.1:${port}/`);
      let received = 0;
      for await (const part of res.body!) received += (part as Uint8Array).length;
      expect(received).toBe(chunk.length * total);
      expect(sawFalse).toBe(true);
      expect(drains).toBeGreaterThan(0);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it("pauses the request body: a paused req stops reading, resume() gets the rest", async () => {
    const size = 8 * 1024 * 1024;
    let resolveSize: (n: number) => void = () => {};
    const got = new Promise<number>((r) => (resolveSize = r));
    const server = createServer((req, res) => {
      let n = 0;
      req.pause();
      setTimeout(() => {
        req.on("data", (c: Buffer) => (n += c.length));
        req.on("end", () => {
          resolveSize(n);
          res.end(String(n));
        });
        req.resume();
      }, 50);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const { port } = server.address() as { port: number };
      const res = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body: Buffer.alloc(size, 1) });
      expect(await res.text()).toBe(String(size));
      expect(await got).toBe(size);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it("close() stops accepting, lets the in-flight response finish, then emits 'close'", async () => {
    let release: () => void = () => {};
    const server = createServer((_req, res) => {
      res.write("first ");
      release = () => res.end("last");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as { port: number };
    const res = await fetch(`http://127.0.0.1:${port}/`);
    const closed = new Promise<void>((r) => server.close(() => r()));
    expect(server.listening).toBe(false);
    release();
    expect(await res.text()).toBe("first last");
    server.closeIdleConnections();
    await within(closed, "server close");
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  });

  it("listen() on a Unix socket, and EADDRINUSE through 'error' as node does", async () => {
    const path = `/tmp/node-compat-${process.pid}-${Date.now()}.sock`;
    const server = createServer((_req, res) => res.end("unix"));
    await new Promise<void>((r) => server.listen(path, r));
    try {
      expect(server.address()).toBe(path);
      const body = await new Promise<string>((resolve, reject) => {
        const req = httpRequest({ socketPath: path, path: "/" }, (res) => {
          let text = "";
          res.on("data", (c) => (text += c));
          res.on("end", () => resolve(text));
        });
        req.on("error", reject);
        req.end();
      });
      expect(body).toBe("unix");
    } finally {
      await new Promise((r) => server.close(r));
    }
    const first = createServer(() => {});
    await new Promise<void>((r) => first.listen(0, "127.0.0.1", r));
    try {
      const { port } = first.address() as { port: number };
      const second = createServer(() => {});
      const [error] = (await within(once(second.listen(port, "127.0.0.1"), "error"), "EADDRINUSE")) as [NodeJS.ErrnoException];
      expect(error.code).toBe("EADDRINUSE");
    } finally {
      await new Promise((r) => first.close(r));
    }
  });

  it("keeps several requests on one connection, in order, as node does", async () => {
    const pair = await startPair((req, res) => res.end(`you asked for ${req.url}`));
    try {
      for (const target of [pair.node, pair.ours]) {
        const socket = await openSocket(target.port);
        const chunks: Buffer[] = [];
        socket.on("data", (c: Buffer) => chunks.push(c));
        socket.write("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        await within(once(socket, "end"), "pipelined");
        socket.destroy();
        const text = Buffer.concat(chunks).toString();
        expect(text.match(/you asked for \/\d/g)).toEqual(["you asked for /1", "you asked for /2", "you asked for /3"]);
      }
    } finally {
      await pair.close();
    }
  });

  it("header() of a repeated response header joins as node does", async () => {
    const res = await compare((_q, r) => {
      r.setHeader("Vary", ["Accept", "Origin"]);
      r.end();
    }, {});
    expect(header(res, "vary")).toBe("Accept, Origin");
  });
});

describe("'clientError' on ours as on node:http", () => {
  it("hands a malformed request to the listener with node's code; the listener answers on the socket", async () => {
    const pair = await startPair({
      builder: (create) => {
        const server = create((_req, res) => res.end("app"));
        server.on("clientError", (error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: import("node:stream").Duplex) => {
          socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\ncode=${error.code} raw=${error.rawPacket !== undefined}`);
        });
        return server;
      },
    });
    try {
      for (const target of [pair.node, pair.ours]) {
        for (const [bytes, code] of [
          ["GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", "HPE_INVALID_HEADER_TOKEN"],
          [`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(70_000)}\r\n\r\n`, "HPE_HEADER_OVERFLOW"],
        ] as const) {
          const socket = await openSocket(target.port);
          const chunks: Buffer[] = [];
          socket.on("data", (c: Buffer) => chunks.push(c));
          socket.on("error", () => {});
          socket.write(bytes);
          await within(once(socket, "close"), `clientError answer from ${target.side}`);
          const text = Buffer.concat(chunks).toString();
          expect(text, target.side).toMatch(/^HTTP\/1\.1 400 Bad Request/);
          expect(text, target.side).toContain(`code=${code} raw=true`);
        }
      }
    } finally {
      await pair.close();
    }
  });

  it("answers by itself when nobody listens", async () => {
    const server = createServer((_req, res) => res.end("app"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const socket = await openSocket((server.address() as { port: number }).port);
      const chunks: Buffer[] = [];
      socket.on("data", (c: Buffer) => chunks.push(c));
      socket.write("GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n");
      await within(once(socket, "end"), "400");
      socket.destroy();
      expect(Buffer.concat(chunks).toString()).toMatch(/^HTTP\/1\.1 400 /);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
