/**
 * Host filtering of HTTP/2 requests, on `:authority`: node:http2 with prior
 * knowledge against a cleartext Http1AndHttp2 endpoint.
 */
import { afterEach, describe, expect, it } from "vitest";
import { HOST_FILTERING_FAILURE_BODY, hostFiltering } from "../src/index.js";
import { h2get, Resources } from "./helpers.js";

const res = new Resources();
afterEach(() => res.cleanup());

describe("HTTP/2", () => {
  it("filters on :authority, streams on one connection judged one by one", async () => {
    const filter = hostFiltering({ allowedHosts: ["a.test", "*.b.test"] });
    const { origin, reached, protocols } = await res.start(filter);
    const session = res.http2(origin);

    const allowed = await h2get(session, "a.test:8080");
    expect(allowed.status).toBe(200);
    expect(allowed.body).toBe("ok a.test:8080");

    const rejected = await h2get(session, "evil.test");
    expect(rejected.status).toBe(400);
    expect(rejected.headers["content-type"]).toBe("text/html");
    expect(rejected.headers["content-length"]).toBe(String(HOST_FILTERING_FAILURE_BODY.length));
    expect(rejected.body).toBe(HOST_FILTERING_FAILURE_BODY);

    expect((await h2get(session, "x.B.test")).status).toBe(200);
    expect((await h2get(session, "b.test")).status).toBe(400);

    // The same session carries on after the rejections, and sees updates at once.
    filter.update({ allowedHosts: ["evil.test"], includeFailureMessage: false });
    expect((await h2get(session, "evil.test")).status).toBe(200);
    const empty = await h2get(session, "a.test");
    expect(empty.status).toBe(400);
    expect(empty.body).toBe("");
    expect(session.destroyed).toBe(false);
    expect(reached).toEqual(["a.test:8080", "x.B.test", "evil.test"]);
    expect(protocols).toEqual(["HTTP/2", "HTTP/2", "HTTP/2"]);
  });

  it("compares IPv6 and international authorities like Host", async () => {
    const { origin, reached } = await res.start(hostFiltering({ allowedHosts: ["::1", "bücher.example"] }));
    const session = res.http2(origin);
    expect((await h2get(session, "[0:0::1]:443")).status).toBe(200);
    expect((await h2get(session, "xn--bcher-kva.example")).status).toBe(200);
    expect((await h2get(session, "[::2]")).status).toBe(400);
    // @x/http2 refuses an :authority that is not an RFC 3986 authority (raw UTF-8, an
    // unbracketed IPv6 literal, a port that is not a number) with 400 before any middleware runs.
    expect((await h2get(session, "bücher.example")).status).toBe(400);
    expect((await h2get(session, "::1")).status).toBe(400);
    expect((await h2get(session, "xn--bcher-kva.example:http")).status).toBe(400);
    expect(reached).toEqual(["[0:0::1]:443", "xn--bcher-kva.example"]);
  });
});
