import { describe, expect, it } from "vitest";
import { ApplicationBuilder, SERVER_FEATURES_KEY } from "./application-builder.js";
import { FeatureCollection } from "./features.js";
import { HeaderMap } from "./header-map.js";
import type { HttpContext } from "./http-context.js";

/** Just enough of an HttpContext for pipeline tests: status, headers and hasStarted. */
function fakeContext(): HttpContext & { ended: string[] } {
  const ended: string[] = [];
  const response = {
    statusCode: 200,
    hasStarted: false,
    headers: new HeaderMap(),
    end(chunk?: string) {
      response.hasStarted = true;
      if (chunk !== undefined) ended.push(chunk);
      return Promise.resolve();
    },
  };
  return { response, features: new FeatureCollection(), items: new Map(), ended } as unknown as HttpContext & { ended: string[] };
}

describe("ApplicationBuilder", () => {
  it("runs middleware in the order added, unwinding in reverse", async () => {
    const order: string[] = [];
    const app = new ApplicationBuilder()
      .use(async (ctx, next) => {
        order.push("a:in");
        await next(ctx);
        order.push("a:out");
      })
      .use(async (ctx, next) => {
        order.push("b:in");
        await next(ctx);
        order.push("b:out");
      })
      .run(() => {
        order.push("terminal");
      })
      .build();
    await app(fakeContext());
    expect(order).toEqual(["a:in", "b:in", "terminal", "b:out", "a:out"]);
  });

  it("passes the context given to next on to the next component", async () => {
    const first = fakeContext();
    const replacement = fakeContext();
    let seen: HttpContext | undefined;
    const app = new ApplicationBuilder()
      .use((ctx, next) => {
        expect(ctx).toBe(first);
        return next(replacement);
      })
      .run((ctx) => {
        seen = ctx;
      })
      .build();
    await app(first);
    expect(seen).toBe(replacement);
  });

  it("lets middleware short-circuit so nothing after it runs", async () => {
    let reached = false;
    const app = new ApplicationBuilder()
      .use((ctx) => {
        ctx.response.statusCode = 401;
      })
      .run(() => {
        reached = true;
      })
      .build();
    const ctx = fakeContext();
    await app(ctx);
    expect(reached).toBe(false);
    expect(ctx.response.statusCode).toBe(401);
  });

  it("treats run as terminal: components added after it never run", async () => {
    let after = false;
    const app = new ApplicationBuilder()
      .run((ctx) => ctx.response.end("hello"))
      .use(async (ctx, next) => {
        after = true;
        await next(ctx);
      })
      .build();
    const ctx = fakeContext();
    await app(ctx);
    expect(ctx.ended).toEqual(["hello"]);
    expect(after).toBe(false);
    expect(ctx.response.statusCode).toBe(200);
  });

  it("answers 404 when nothing handles the request, as ASP.NET Core does", async () => {
    const empty = fakeContext();
    await new ApplicationBuilder().build()(empty);
    expect(empty.response.statusCode).toBe(404);

    const passThrough = fakeContext();
    await new ApplicationBuilder().use((ctx, next) => next(ctx)).build()(passThrough);
    expect(passThrough.response.statusCode).toBe(404);
  });

  it("leaves the status alone when the response already started before falling through", async () => {
    const ctx = fakeContext();
    await new ApplicationBuilder()
      .use(async (c, next) => {
        await c.response.end("partial");
        await next(c);
      })
      .build()(ctx);
    expect(ctx.response.statusCode).toBe(200);
  });

  it("rejects middleware and handlers that are not functions", () => {
    const builder = new ApplicationBuilder();
    expect(() => builder.use("nope" as never)).toThrow(TypeError);
    expect(() => builder.run(undefined as never)).toThrow(TypeError);
  });

  it("shares a copy of its properties with builders it branches off", () => {
    const builder = new ApplicationBuilder(new Map([["server.features", 1]]));
    const branch = builder.newBuilder();
    expect(branch.properties.get("server.features")).toBe(1);
    branch.properties.set("branch.only", true);
    expect(builder.properties.has("branch.only")).toBe(false);
  });

  it("builds a pipeline that can be invoked many times", async () => {
    let calls = 0;
    const app = new ApplicationBuilder()
      .run(() => {
        calls++;
      })
      .build();
    await app(fakeContext());
    await app(fakeContext());
    expect(calls).toBe(2);
  });
});

describe("serverFeatures", () => {
  it("is the server's collection when the host put it in properties, shared by branches; else an empty one", () => {
    const server = new FeatureCollection();
    const app = new ApplicationBuilder(new Map([[SERVER_FEATURES_KEY, server]]));
    expect(app.serverFeatures).toBe(server);
    expect(app.newBuilder().serverFeatures).toBe(server);
    const bare = new ApplicationBuilder();
    expect([...bare.serverFeatures]).toEqual([]);
    expect(bare.serverFeatures).toBe(bare.serverFeatures);
  });
});
