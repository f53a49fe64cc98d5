/**
 * Writes a fetch `Response` to the `HttpContext`: status, reason (only when
 * the app gave one that differs from the standard phrase), headers with each
 * `Set-Cookie` as its own field, and the body: a string or bytes in one
 * `end()`, a stream chunk by chunk, each write awaited (backpressure from
 * `maxResponseBufferSize`). On HEAD, 204 and 304 the body is not read.
 *
 * @module
 */
import { type HttpContext, reasonPhrase } from "@x/abstractions";
import { responseSource } from "./response-source.js";

/** Puts `response`'s status and headers on `ctx.response`. */
function writeHead(ctx: HttpContext, response: Response): void {
  const out = ctx.response;
  const status = response.status;
  out.statusCode = status;
  const statusText = response.statusText;
  if (statusText !== "" && statusText !== reasonPhrase(status)) out.reasonPhrase = statusText;
  const headers = out.headers;
  // Headers iterate with lower-case names, validated by fetch, repeated ones
  // combined, and each Set-Cookie on its own (Fetch §5.2, "sort and combine").
  // What middleware before us set is replaced by the app's field of the same name.
  for (const [name, value] of response.headers) {
    if (name !== "set-cookie" && headers.has(name)) headers.set(name, value);
    else headers.appendTrusted(name, value);
  }
}

/** Writes `response` to `ctx`; the promise settles when the body is out (or the client left). */
export function writeFetchResponse(ctx: HttpContext, response: Response): Promise<void> {
  if (!(response instanceof Response)) {
    return Promise.reject(new TypeError(`The fetch handler must return a Response, got ${response === null ? "null" : typeof response}`));
  }
  if (ctx.response.hasStarted) return Promise.reject(new Error("The response already started before the fetch handler's Response was written"));
  writeHead(ctx, response);
  const body = response.body;
  if (body === null) return ctx.response.end();
  const status = response.status;
  if (ctx.request.method === "HEAD" || status === 204 || status === 304) {
    const source = responseSource(response);
    // HEAD: the Content-Length a GET would get (RFC 9110 §9.3.2), when it is known.
    if (source !== undefined && status !== 204 && status !== 304) return ctx.response.end(source);
    body.cancel().catch(() => {});
    return ctx.response.end();
  }
  const source = responseSource(response);
  if (source !== undefined) return ctx.response.end(source);
  return pipeBody(ctx, body);
}

async function pipeBody(ctx: HttpContext, body: ReadableStream<Uint8Array>): Promise<void> {
  const reader = body.getReader();
  const signal = ctx.requestAborted;
  const onAbort = () => {
    reader.cancel(signal.reason).catch(() => {});
  };
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    for (;;) {
      let result: Awaited<ReturnType<typeof reader.read>>;
      try {
        result = await reader.read();
      } catch (error) {
        if (signal.aborted) return;
        // The app's stream failed. Before the response started the server answers 500;
        // after, the client must not take a cut-short body for a whole one: abort.
        if (!ctx.response.hasStarted) throw error;
        ctx.abort();
        return;
      }
      if (result.done) break;
      if (signal.aborted) return;
      const chunk = result.value;
      if (!(chunk instanceof Uint8Array)) throw new TypeError("A Response body stream must yield Uint8Array chunks");
      try {
        await ctx.response.write(chunk);
      } catch (error) {
        if (signal.aborted) return;
        throw error;
      }
    }
    if (!signal.aborted) await ctx.response.end();
  } finally {
    signal.removeEventListener("abort", onAbort);
    reader.releaseLock();
  }
}
