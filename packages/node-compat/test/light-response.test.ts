/**
 * The light Response (overrideGlobalResponse): it behaves as the platform's
 * where an app can tell, and the server writes it without making one.
 * Its own file: the override is process-wide.
 */
import { Server } from "@x/server";
import { request } from "undici";
import { afterAll, describe, expect, it } from "vitest";
import { fromFetchHandler } from "../src/index.js";

const Native = globalThis.Response;
const servers: Server[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop(1_000);
});

describe("overrideGlobalResponse (the default)", () => {
  it("installs a Response that is instanceof the platform's, and the platform's is instanceof it", async () => {
    fromFetchHandler(() => new Response("x"));
    expect(globalThis.Response).not.toBe(Native);
    const light = new Response("text");
    expect(light instanceof Response).toBe(true);
    expect(light instanceof Native).toBe(true);
    expect(new Native("x") instanceof Response).toBe(true);
    expect(Object.prototype.toString.call(light)).toBe("[object Response]");
  });

  it("answers as the platform's: status, headers with the default Content-Type, body readers, clone", async () => {
    const light = new Response("hello", { status: 201, statusText: "Made", headers: { "x-a": "1" } });
    expect([light.status, light.statusText, light.ok]).toEqual([201, "Made", true]);
    expect([...light.headers]).toEqual([...new Native("hello", { headers: { "x-a": "1" } }).headers]);
    const copy = light.clone();
    expect(await light.text()).toBe("hello");
    expect(light.bodyUsed).toBe(true);
    expect(await copy.text()).toBe("hello");
    expect(await new Response(new Uint8Array([1, 2])).arrayBuffer()).toEqual(new Uint8Array([1, 2]).buffer);
    expect(await Response.json({ a: 1 }).json()).toEqual({ a: 1 });
    expect(new Response(null).body).toBeNull();
    expect(await new Response(new URLSearchParams("a=1")).text()).toBe("a=1");
  });

  it("throws where the platform throws on status; a bad header is refused when read or written", async () => {
    expect(() => new Response("body", { status: 204 })).toThrow(TypeError);
    expect(() => new Response("x", { status: 99 })).toThrow(RangeError);
    // Headers are checked when first used, not at construction (that is the cost it saves).
    const bad = new Response("x", { headers: { "bad name": "1" } });
    expect(() => bad.headers).toThrow(TypeError);
    const server = new Server();
    server.options.listen("127.0.0.1", 0);
    await server.start(fromFetchHandler(() => new Response("x", { headers: { "bad name": "1", "x-ok": "1" } })));
    servers.push(server);
    const res = await request(`${server.addresses[0]}/`);
    expect(res.statusCode).toBe(500);
    expect(res.headers["x-ok"]).toBeUndefined();
    await res.body.dump();
  });

  it("is written by the server: status, reason, headers, several Set-Cookie, string and stream bodies", async () => {
    const server = new Server();
    server.options.listen("127.0.0.1", 0);
    await server.start(
      fromFetchHandler((req) => {
        const path = new URL(req.url).pathname;
        if (path === "/stream") return new Response(new ReadableStream({
              start(c) {
                c.enqueue(new TextEncoder().encode("streamed"));
                c.close();
              },
            }));
        if (path === "/pairs") return new Response("pairs", { headers: [["set-cookie", "a=1"], ["set-cookie", "b=2"], ["x-b", " padded "]] });
        return new Response("light", { status: 202, statusText: "Taken", headers: { "x-a": "1" } });
      }),
    );
    servers.push(server);
    const url = server.addresses[0]!;
    const res = await request(`${url}/`);
    expect(res.statusCode).toBe(202);
    expect(res.headers["x-a"]).toBe("1");
    expect(res.headers["content-type"]).toBe("text/plain;charset=UTF-8");
    expect(res.headers["content-length"]).toBe("5");
    expect(await res.body.text()).toBe("light");
    const pairs = await request(`${url}/pairs`);
    expect(pairs.headers["set-cookie"]).toEqual(["a=1", "b=2"]);
    expect(pairs.headers["x-b"]).toBe("padded");
    await pairs.body.dump();
    const streamed = await request(`${url}/stream`);
    expect(await streamed.body.text()).toBe("streamed");
  });
});
