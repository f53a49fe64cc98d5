/**
 * The middleware on a hand-made context, for what a socket cannot easily
 * carry: header lists far past the server's header size limit, and a
 * context with no IP peer.
 */
import { type ConnectionInfo, HeaderMap, type HttpContext } from "@x/abstractions";
import { describe, expect, it } from "vitest";
import { ForwardedHeaders, ForwardedHeadersMiddleware } from "../src/index.js";

function contextWith(headers: Record<string, string | string[]>, remoteAddress: string | null = "127.0.0.1"): HttpContext {
  const connection: ConnectionInfo = Object.freeze({ id: "c1", remoteAddress, remotePort: remoteAddress === null ? 0 : 50000, localAddress: "127.0.0.1", localPort: 8080 });
  return {
    request: { scheme: "http", host: "internal:8080", headers: new HeaderMap(headers, false) },
    connection,
  } as unknown as HttpContext;
}

const hops = (n: number): string[] => Array.from({ length: n }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);

describe("ForwardedHeadersMiddleware on large inputs", () => {
  it("consumes a 100 000-entry chain when there is no limit and every hop is trusted", () => {
    const list = hops(100_000);
    const middleware = new ForwardedHeadersMiddleware({ forwardedHeaders: ForwardedHeaders.XForwardedFor, forwardLimit: null, knownProxies: [], knownNetworks: [] });
    const context = contextWith({ "x-forwarded-for": list.join(", ") });
    middleware.applyForwarders(context);
    expect(context.connection.remoteAddress).toBe("10.0.0.0");
    expect(context.request.headers.has("x-forwarded-for")).toBe(false);
    expect(context.request.headers.get("x-original-for")).toBe("127.0.0.1:50000");
  });

  it("stops at the first untrusted hop of a long chain and keeps the rest of the header", () => {
    const list = hops(100_000);
    list[99_990] = "198.51.100.1";
    const middleware = new ForwardedHeadersMiddleware({ forwardedHeaders: ForwardedHeaders.XForwardedFor, forwardLimit: null, knownNetworks: ["127.0.0.0/8", "10.0.0.0/8"] });
    const context = contextWith({ "x-forwarded-for": list.join(",") });
    middleware.applyForwarders(context);
    // 198.51.100.1 is applied (its sender 10.x was trusted); the entry before it is not, as 198.51.100.1 is not a known proxy.
    expect(context.connection.remoteAddress).toBe("198.51.100.1");
    const remaining = context.request.headers.get("x-forwarded-for")!.split(", ");
    expect(remaining).toHaveLength(99_990);
    expect(remaining[remaining.length - 1]).toBe(list[99_989]);
  });

  it("with the default limit, applies one entry of a huge list of garbage without throwing", () => {
    const middleware = new ForwardedHeadersMiddleware({ forwardedHeaders: ForwardedHeaders.All });
    const garbage = `${"[::1, ]], :: ,%%, \u00ff,".repeat(20_000)}203.0.113.7`;
    const context = contextWith({ "x-forwarded-for": garbage, "x-forwarded-proto": ",".repeat(50_000), "x-forwarded-host": "[".repeat(50_000) });
    middleware.applyForwarders(context);
    expect(context.connection.remoteAddress).toBe("203.0.113.7");
    expect(context.request.scheme).toBe("http");
    expect(context.request.host).toBe("internal:8080");
  });

  it("treats a context without an IP peer as the first hop being unchecked", () => {
    const middleware = new ForwardedHeadersMiddleware({ forwardedHeaders: ForwardedHeaders.XForwardedFor, knownProxies: [], knownNetworks: ["10.0.0.0/8"] });
    const context = contextWith({ "x-forwarded-for": "203.0.113.7" }, null);
    middleware.applyForwarders(context);
    expect(context.connection.remoteAddress).toBe("203.0.113.7");
    expect(context.connection.id).toBe("c1");
    expect(context.connection.localPort).toBe(8080);
    expect(Object.isFrozen(context.connection)).toBe(true);
    expect(context.request.headers.has("x-original-for")).toBe(false);
  });

  it("never trusts a peer address that is not an IP", () => {
    const middleware = new ForwardedHeadersMiddleware({ forwardedHeaders: ForwardedHeaders.XForwardedFor });
    const context = contextWith({ "x-forwarded-for": "203.0.113.7" }, "not-an-ip");
    middleware.applyForwarders(context);
    expect(context.connection.remoteAddress).toBe("not-an-ip");
    expect(context.request.headers.get("x-forwarded-for")).toBe("203.0.113.7");
  });

  it("invoke applies the headers and then calls next with the same context", async () => {
    const middleware = new ForwardedHeadersMiddleware({ forwardedHeaders: ForwardedHeaders.XForwardedProto });
    const context = contextWith({ "x-forwarded-proto": "https" });
    let seen: string | undefined;
    await middleware.invoke(context, (ctx) => {
      expect(ctx).toBe(context);
      seen = ctx.request.scheme;
    });
    expect(seen).toBe("https");
  });
});
