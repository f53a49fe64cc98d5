/**
 * The `Request` a fetch handler gets, built lazily as `@hono/node-server`
 * builds its own: an object whose prototype chain includes
 * `Request.prototype` (so `instanceof Request` holds) with `method`, `url`,
 * `headers`, `signal` and the body readers answered from the `HttpContext`
 * directly. A router that looks at the method and URL costs two property
 * reads; the `Headers` object is made on first use; a real `Request` only
 * when the app asks for something only it has (`clone()`, `formData()`,
 * `blob()`, `cache`, ...), and then with the same body stream and signal.
 *
 * @module
 */
import type { HttpContext } from "@x/abstractions";
import { FetchRequestBody } from "./request-body.js";

const kCtx = Symbol("httpContext");
const kBody = Symbol("body");
const kHeaders = Symbol("headers");
const kUrl = Symbol("url");
const kReal = Symbol("request");

/** The own state of one lazy request. */
interface LazyRequest {
  [kCtx]: HttpContext;
  [kBody]: FetchRequestBody;
  [kHeaders]: Headers | undefined;
  [kUrl]: string | undefined;
  [kReal]: Request | undefined;
}

const decoder = new TextDecoder();

/**
 * The request URL: the scheme and host the request has (after forwarded
 * headers and host filtering) and the target exactly as the client sent it
 * (origin form). `pathBase` is the server's mount point, not part of the
 * client's URL: a fetch app mounted under a path sees the whole path.
 */
export function requestUrl(ctx: HttpContext): string {
  const request = ctx.request;
  const target = request.rawTarget;
  const host = request.host !== "" ? request.host : localAuthority(ctx);
  if (target.charCodeAt(0) === 47 /* / */) return `${request.scheme}://${host}${target}`;
  // Absolute form (a proxy request, RFC 9112 §3.2.2): its path and query.
  if (/^https?:\/\//i.test(target)) {
    const url = new URL(target);
    return `${request.scheme}://${host}${url.pathname}${url.search}`;
  }
  // Asterisk form (`OPTIONS *`) has no path; the request is about the server.
  return `${request.scheme}://${host}${encodeURI(request.pathBase + request.path)}${request.queryString}`;
}

/** `address:port` of the local end, for an HTTP/1.0 request without Host. */
function localAuthority(ctx: HttpContext): string {
  const { localAddress, localPort } = ctx.connection;
  const address = localAddress === null ? "localhost" : localAddress.includes(":") ? `[${localAddress}]` : localAddress;
  return localPort === 0 ? address : `${address}:${localPort}`;
}

function headersOf(ctx: HttpContext): Headers {
  const headers = new Headers();
  for (const [name, value] of ctx.request.headers) {
    if (typeof value === "string") headers.append(name, value);
    else for (const v of value) headers.append(name, v);
  }
  return headers;
}

function real(self: LazyRequest & Request): Request {
  let request = self[kReal];
  if (request !== undefined) return request;
  const stream = self[kBody].stream;
  const init: RequestInit & { duplex?: "half" } = { method: self.method, headers: self.headers, signal: self.signal };
  if (stream !== null) {
    init.body = stream;
    init.duplex = "half";
  }
  request = new Request(self.url, init);
  self[kReal] = request;
  return request;
}

/** The body read whole, unless the real request (or its stream) took it over. */
function readWhole(self: LazyRequest & Request): Promise<Buffer> {
  const realRequest = self[kReal];
  if (realRequest !== undefined) return realRequest.arrayBuffer().then((b) => Buffer.from(b));
  return self[kBody].buffer();
}

class FetchRequest {
  get method(): string {
    return (this as unknown as LazyRequest)[kCtx].request.method;
  }
  get url(): string {
    const self = this as unknown as LazyRequest;
    return (self[kUrl] ??= requestUrl(self[kCtx]));
  }
  get headers(): Headers {
    const self = this as unknown as LazyRequest;
    return (self[kHeaders] ??= headersOf(self[kCtx]));
  }
  /** Fires when the client disconnects or the request is aborted (the server's `requestAborted`). */
  get signal(): AbortSignal {
    return (this as unknown as LazyRequest)[kCtx].requestAborted;
  }
  get body(): ReadableStream<Uint8Array> | null {
    const self = this as unknown as LazyRequest & Request;
    if (self[kReal] !== undefined) return self[kReal].body;
    return self[kBody].stream;
  }
  get bodyUsed(): boolean {
    const self = this as unknown as LazyRequest;
    if (self[kReal] !== undefined) return self[kReal].bodyUsed;
    return self[kBody].used;
  }
  arrayBuffer(): Promise<ArrayBuffer> {
    return readWhole(this as unknown as LazyRequest & Request).then((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
  }
  bytes(): Promise<Uint8Array> {
    return readWhole(this as unknown as LazyRequest & Request).then((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
  }
  text(): Promise<string> {
    return readWhole(this as unknown as LazyRequest & Request).then((b) => decoder.decode(b));
  }
  json(): Promise<unknown> {
    return this.text().then(JSON.parse);
  }
  blob(): Promise<Blob> {
    return real(this as unknown as LazyRequest & Request).blob();
  }
  formData(): Promise<FormData> {
    return real(this as unknown as LazyRequest & Request).formData();
  }
  clone(): Request {
    return real(this as unknown as LazyRequest & Request).clone();
  }
}

// What only a real Request knows: read from one made on demand.
for (const name of ["cache", "credentials", "destination", "duplex", "integrity", "keepalive", "mode", "redirect", "referrer", "referrerPolicy"]) {
  Object.defineProperty(FetchRequest.prototype, name, {
    get(this: LazyRequest & Request) {
      return (real(this) as unknown as Record<string, unknown>)[name];
    },
    configurable: true,
  });
}
Object.defineProperty(FetchRequest.prototype, Symbol.for("nodejs.util.inspect.custom"), {
  value(this: Request, depth: number, options: object, inspect: (value: unknown, options: object) => string) {
    return `Request ${inspect({ method: this.method, url: this.url, headers: this.headers }, { ...options, depth: depth < 0 ? null : depth - 1 })}`;
  },
});
Object.defineProperty(FetchRequest.prototype, Symbol.toStringTag, { value: "Request", configurable: true });
Object.setPrototypeOf(FetchRequest.prototype, Request.prototype);

/** The lazy `Request` for `ctx`, and its body state (for the delegate to see a rejected body). */
export function createFetchRequest(ctx: HttpContext): { request: Request; body: FetchRequestBody } {
  const request = Object.create(FetchRequest.prototype) as LazyRequest;
  const body = new FetchRequestBody(ctx);
  request[kCtx] = ctx;
  request[kBody] = body;
  request[kHeaders] = undefined;
  request[kUrl] = undefined;
  request[kReal] = undefined;
  return { request: request as unknown as Request, body };
}
