import { HeaderMap } from "@x/abstractions";
import { describe, expect, it } from "vitest";
import { copyResponseHeaderList, copyResponseHeaders } from "../../src/proxy/forward-headers.js";

const entries = (map: HeaderMap) => [...map].map(([name, value]) => [name, value]);

describe("copying the app's response headers to the client's response", () => {
  it("keeps end-to-end fields in order, repeated ones apart, and drops hop-by-hop ones (RFC 9110 §7.6.1)", () => {
    const to = new HeaderMap();
    copyResponseHeaderList(
      ["content-type", "text/plain", "set-cookie", "a=1", "connection", "keep-alive, x-hop", "keep-alive", "timeout=5", "x-hop", "1", "transfer-encoding", "chunked", "set-cookie", "b=2", "upgrade", "h2c"],
      to,
    );
    expect(entries(to)).toEqual([
      ["content-type", "text/plain"],
      ["set-cookie", ["a=1", "b=2"]],
    ]);
  });

  it("drops what every Connection field lists, whichever field lists it", () => {
    const to = new HeaderMap();
    copyResponseHeaderList(["connection", "X-One", "x-one", "1", "connection", "x-two", "x-two", "2", "x-three", "3"], to);
    expect(entries(to)).toEqual([["x-three", "3"]]);
  });

  it("treats undici's record form the same way, keeping Upgrade for a tunnel when asked", () => {
    const plain = new HeaderMap();
    copyResponseHeaders({ "Content-Type": "text/plain", connection: "x-hop", "x-hop": "1", upgrade: "websocket", "set-cookie": ["a=1", "b=2"] }, plain);
    expect(entries(plain)).toEqual([
      ["content-type", "text/plain"],
      ["set-cookie", ["a=1", "b=2"]],
    ]);
    const tunnel = new HeaderMap();
    copyResponseHeaders({ connection: "upgrade", upgrade: "websocket", "sec-websocket-accept": "x" }, tunnel, true);
    expect(tunnel.get("upgrade")).toBe("websocket");
    expect(tunnel.get("sec-websocket-accept")).toBe("x");
  });
});
