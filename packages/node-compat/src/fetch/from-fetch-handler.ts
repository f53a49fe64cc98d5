/**
 * `fromFetchHandler`: a fetch-style app (`(request: Request) => Response`,
 * Hono's `app.fetch`, itty-router, Remix/SvelteKit adapters) as a
 * `RequestDelegate`, so it runs on createServer's stack or inside the host
 * pipeline. The request is lazy (fetch-request.ts), the response is written
 * without a stream read where its body is a string or bytes
 * (write-response.ts).
 *
 * @module
 */
import type { HttpContext, RequestDelegate } from "@x/abstractions";
import { createFetchRequest } from "./fetch-request.js";
import { installLightResponse } from "./light-response.js";
import type { FetchRequestBody } from "./request-body.js";
import { writeFetchResponse } from "./write-response.js";

/** The second argument a fetch handler gets: Hono's `c.env`. */
export interface FetchEnv {
  /** The request and response on our side (connection addresses, features, `items`). */
  readonly httpContext: HttpContext;
}

/** A fetch-style handler: Hono's `app.fetch`, or any `(request) => Response`. */
export type FetchHandler = (request: Request, env: FetchEnv) => Response | Promise<Response>;

/** Options of {@link fromFetchHandler}. */
export interface FetchHandlerOptions {
  /**
   * Replaces the global `Response` with a light one that keeps a string,
   * bytes or stream body and its init as given and makes the platform's
   * `Response` only when asked for what only it has, as `@hono/node-server`
   * does by default (`overrideGlobalObjects`). A router's `c.text()` then
   * costs no `ReadableStream` (on node 20 that halves the cost of a Hono
   * request); `instanceof Response` holds for both kinds, and bodies other
   * than a string, bytes or a stream get the platform's at once. Headers
   * are checked when used, not at construction. Process-wide: once
   * installed it stays. Default true; false keeps the platform's.
   */
  overrideGlobalResponse?: boolean;
}

/**
 * A `RequestDelegate` that runs a fetch-style handler.
 *
 * - The `Request` is built lazily: its URL is the scheme and host the
 *   request has (after forwarded headers) and the target as the client sent
 *   it; `signal` fires when the client disconnects; `body` is a
 *   pull-based stream (null for GET and HEAD and when there is no body).
 * - A body the server rejects (413 over `maxRequestBodySize`, 408 for a slow
 *   client) gets the server's answer, whatever the app made of the error.
 * - A handler that throws or rejects, or returns something other than a
 *   `Response`, gets the server's 500 (and the error is logged); a response
 *   body stream that fails after the response started aborts the request.
 *
 * @example
 * const app = new Hono().get("/", (c) => c.text("Hello"));
 * await new Server(options).start(fromFetchHandler(app.fetch));
 * // or inside the host: web.configure((a) => a.run(fromFetchHandler(app.fetch)))
 */
export function fromFetchHandler(handler: FetchHandler, options?: FetchHandlerOptions): RequestDelegate {
  if (options?.overrideGlobalResponse !== false) installLightResponse();
  return (ctx) => {
    const { request, body } = createFetchRequest(ctx);
    let result: Response | Promise<Response>;
    try {
      result = handler(request, { httpContext: ctx });
    } catch (error) {
      throw body.rejection ?? error;
    }
    if (result instanceof Promise) return result.then((response) => answer(ctx, response, body), (error: unknown) => Promise.reject(body.rejection ?? error));
    return answer(ctx, result, body);
  };
}

function answer(ctx: HttpContext, response: Response, body: FetchRequestBody): Promise<void> {
  // The app turned a rejected body into a response of its own (Hono: 500); the server's status stands.
  if (body.rejection !== null && !ctx.response.hasStarted) return Promise.reject(body.rejection);
  return writeFetchResponse(ctx, response);
}
