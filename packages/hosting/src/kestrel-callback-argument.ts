/**
 * The first argument `configureKestrel` callbacks get: the server options
 * themselves, which also answer `configuration` and `hostingEnvironment`.
 * ASP.NET Core has two overloads, `(options)` and `(context, options)`; a
 * JavaScript function's declared parameter count cannot tell them apart
 * (`(ctx, o = defaults) =>` and `(...args) =>` declare fewer), so every
 * callback is called as `(view, options)` and either form reads what it
 * expects from its first parameter.
 *
 * @module
 */
import type { ServerOptions } from "@x/server";
import type { WebHostBuilderContext } from "./web-host-builder.js";

/** `options`, seen with `context`'s two members on top; reads, writes and method calls reach `options` itself. */
export function optionsWithContext(options: ServerOptions, context: WebHostBuilderContext): ServerOptions & WebHostBuilderContext {
  return new Proxy(options, {
    get(target, property) {
      if (property === "configuration") return context.configuration;
      if (property === "hostingEnvironment") return context.hostingEnvironment;
      const value: unknown = Reflect.get(target, property, target);
      // Methods run on the options object, whose private fields a proxy as `this` would not reach.
      return typeof value === "function" ? value.bind(target) : value;
    },
    set(target, property, value) {
      return Reflect.set(target, property, value, target);
    },
  }) as ServerOptions & WebHostBuilderContext;
}
