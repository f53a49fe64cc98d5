/**
 * Writes a fetch `Response` to the `HttpContext`: status, reason (only when
 * the app gave one that differs from the standard phrase), headers with each
 * `Set-Cookie` as its own field, and the body: a string or bytes in one
 * `end()`, a stream chunk by chunk, each write awaited (backpressure from
 * `maxResponseBufferSize`). On HEAD, 204 and 304 the body is not read.
 *
 * @module
 */
import { type HeaderMap, type HttpContext, reasonPhrase } from "@x/abstractions";
import { type HeadersInit, type LightParts, lightParts } from "./light-response.js";
import { responseSource } from "./response-source.js";

/** Puts the status line's parts on `ctx.response`. */
function writeStatus(ctx: HttpContext, status: number, statusText: string): void {
  const out = ctx.response;
  out.statusCode = status;
  if (statusText !== "" && statusText !== reasonPhrase(status)) out.reasonPhrase = statusText;
}

/** Copies a `Headers` onto `map`; what middleware before us set is replaced by the app's field of the same name. */
function copyHeaders(map: HeaderMap, headers: Headers): void {
  // Headers iterate with lower-case names, validated by fetch, repeated ones
  // combined, and each Set-Cookie on its own (Fetch §5.2, "sort and combine").
  for (const [name, value] of headers) {
    if (name !== "set-cookie" && map.has(name)) map.set(name, value);
    else map.appendTrusted(name, value);
  }
}

/** Copies a light response's `HeadersInit` (a record, pairs or `Headers`), validating what fetch would have. */
function copyHeadersInit(map: HeaderMap, init: HeadersInit | undefined): void {
  if (init === undefined) return;
  if (init instanceof Headers) copyHeaders(map, init);
  else if (Array.isArray(init)) for (const [name, value] of init) setOrAppend(map, name!, value!);
  else for (const name in init) setOrAppend(map, name, (init as Record<string, string>)[name]!);
}

function setOrAppend(map: HeaderMap, name: string, value: string): void {
  // Fetch strips leading and trailing whitespace from values ("normalize").
  const v = String(value).trim();
  if (name.toLowerCase() === "set-cookie") map.append(name, v);
  else map.set(name, v);
}

/** Writes a light response (light-response.ts) without making the platform's. */
function writeLight(ctx: HttpContext, parts: LightParts): Promise<void> {
  writeStatus(ctx, parts.status, parts.statusText);
  const map = ctx.response.headers;
  copyHeadersInit(map, parts.headers);
  const body = parts.body;
  if (typeof body === "string" && !map.has("content-type")) map.set("content-type", "text/plain;charset=UTF-8");
  if (body === null) return ctx.response.end();
  if (!(body instanceof ReadableStream)) return ctx.response.end(body);
  if (ctx.request.method === "HEAD") {
    body.cancel().catch(() => {});
    return ctx.response.end();
  }
  return pipeBody(ctx, body);
}

/** Writes `response` to `ctx`; the promise settles when the body is out (or the client left). */
export function writeFetchResponse(ctx: HttpContext, response: Response): Promise<void> {
  if (!(response instanceof Response)) {
    return Promise.reject(new TypeError(`The fetch handler must return a Response, got ${response === null ? "null" : typeof response}`));
  }
  if (ctx.response.hasStarted) return Promise.reject(new Error("The response already started before the fetch handler's Response was written"));
  const light = lightParts(response);
  if (light !== undefined) return writeLight(ctx, light);
  writeStatus(ctx, response.status, response.statusText);
  copyHeaders(ctx.response.headers, response.headers);
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
