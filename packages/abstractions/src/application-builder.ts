/**
 * The application pipeline builder: `use` middleware, `run` a terminal
 * handler, `build` one {@link RequestDelegate}.
 *
 * @module
 */
import { FeatureCollection } from "./features.js";
import type { HttpContext, RequestDelegate } from "./http-context.js";

/** The key of the server's features in {@link ApplicationBuilder.properties} (ASP.NET Core's `"server.Features"`). */
export const SERVER_FEATURES_KEY = "server.Features";

/**
 * Middleware receives the next delegate and calls `next(context)`, as in
 * ASP.NET Core's `app.Use(async (context, next) => await next(context))`.
 * Passing the context (rather than a zero-argument `next`) lets the pipeline
 * be composed once, with no closure per request.
 */
export type Middleware = (context: HttpContext, next: RequestDelegate) => Promise<void> | void;

/** The terminal delegate when nothing handled the request: 404, as ASP.NET Core. */
const notFound: RequestDelegate = (context) => {
  if (!context.response.hasStarted) context.response.statusCode = 404;
};

/**
 * @example
 * const app = new ApplicationBuilder();
 * app.use(async (ctx, next) => { ctx.response.headers.set("x-a", "1"); await next(ctx); });
 * app.run((ctx) => ctx.response.end("Hello"));
 */
export class ApplicationBuilder {
  readonly #components: Middleware[] = [];
  /** Shared state for the pipeline's builders (server features, services). */
  readonly properties = new Map<string, unknown>();

  /** Starts a builder, copying the given shared properties. */
  constructor(properties?: Map<string, unknown>) {
    if (properties) for (const [k, v] of properties) this.properties.set(k, v);
  }

  /** Adds middleware. */
  use(middleware: Middleware): this {
    if (typeof middleware !== "function") throw new TypeError("middleware must be a function");
    this.#components.push(middleware);
    return this;
  }

  /** Adds the terminal handler: nothing after it runs. */
  run(handler: RequestDelegate): this {
    if (typeof handler !== "function") throw new TypeError("handler must be a function");
    this.#components.push((context) => handler(context));
    return this;
  }

  /**
   * The server's features (ASP.NET Core's `app.ServerFeatures`), e.g.
   * `ServerAddressesFeature`: the URLs to bind now, the URLs bound (with the
   * real port for port 0) once the server has started. An empty collection
   * when the builder is not a server's (in-process behind the front, tests).
   */
  get serverFeatures(): FeatureCollection {
    let features = this.properties.get(SERVER_FEATURES_KEY);
    if (!(features instanceof FeatureCollection)) {
      features = new FeatureCollection();
      this.properties.set(SERVER_FEATURES_KEY, features);
    }
    return features as FeatureCollection;
  }

  /** Branches off a new builder that shares this one's properties. */
  newBuilder(): ApplicationBuilder {
    return new ApplicationBuilder(this.properties);
  }

  /** Composes the pipeline, last component first. */
  build(): RequestDelegate {
    let next: RequestDelegate = notFound;
    for (let i = this.#components.length - 1; i >= 0; i--) {
      const component = this.#components[i]!;
      const downstream = next;
      next = (context) => component(context, downstream);
    }
    return next;
  }
}
