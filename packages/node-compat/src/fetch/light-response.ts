/**
 * A `Response` that costs what a router's answer should cost: made from a
 * string, bytes or a stream, it keeps the body and init as given, and the
 * writer reads them straight off (status, headers, body in one write). A
 * platform `Response` (with its `ReadableStream`, which node 20 makes
 * transferable on every construction) is built only when something asks for
 * what only it has (`body`, `text()`, `clone()`, ...). It is what
 * `@hono/node-server` installs as the global `Response`, and fromFetchHandler
 * installs ours the same way unless told not to
 * (`{ overrideGlobalResponse: false }`).
 *
 * `instanceof Response` holds for both kinds either way: the class's
 * prototype chain includes the platform's, and its `Symbol.hasInstance`
 * accepts platform responses.
 *
 * @module
 */

/** A `Response`'s header init (the DOM lib's `HeadersInit`, which node's types do not name). */
export type HeadersInit = ConstructorParameters<typeof Headers>[0];
/** A `Response`'s body init. */
type BodyInit = ConstructorParameters<typeof Response>[0];

/** The platform's `Response`, as it was before any override. */
export const NativeResponse: typeof Response = globalThis.Response;

const kBody = Symbol("body");
const kInit = Symbol("init");
const kHeaders = Symbol("headers");
const kNative = Symbol("native");

/** Statuses whose responses have no body (Fetch: "null body status"). */
function isNullBodyStatus(status: number): boolean {
  return status === 101 || status === 103 || status === 204 || status === 205 || status === 304;
}

/** A body the light path keeps as it is. */
type LightBody = string | Uint8Array | ReadableStream<Uint8Array> | null;

function isLightBody(body: unknown): body is LightBody | undefined {
  return body === null || body === undefined || typeof body === "string" || body instanceof Uint8Array || body instanceof ReadableStream;
}

/** What the writer reads off a light response that was not materialised. */
export interface LightParts {
  readonly status: number;
  readonly statusText: string;
  /** `HeadersInit` as the app gave it, or the `Headers` made from it once asked for. */
  readonly headers: HeadersInit | undefined;
  readonly body: LightBody;
}

interface Internals {
  [kBody]: LightBody;
  [kInit]: ResponseInit | undefined;
  [kHeaders]: Headers | undefined;
  [kNative]: Response | undefined;
}

function native(self: LightResponse & Internals): Response {
  let response = self[kNative];
  if (response === undefined) {
    const init = self[kInit];
    response = new NativeResponse(self[kBody], { status: init?.status, statusText: init?.statusText, headers: self[kHeaders] ?? init?.headers });
    self[kNative] = response;
  }
  return response;
}

export class LightResponse {
  static [Symbol.hasInstance](value: unknown): boolean {
    return value instanceof NativeResponse;
  }

  static json(data: unknown, init?: ResponseInit): Response {
    return NativeResponse.json(data, init);
  }

  static redirect(url: string | URL, status?: Parameters<typeof Response.redirect>[1]): Response {
    return (NativeResponse.redirect as (url: string | URL, status?: number) => Response)(url, status);
  }

  static error(): Response {
    return NativeResponse.error();
  }

  constructor(body?: BodyInit, init?: ResponseInit) {
    const self = this as unknown as Internals;
    self[kHeaders] = undefined;
    const status = init?.status;
    if (!isLightBody(body) || (status !== undefined && (!Number.isInteger(status) || status < 200 || status > 599 || (body != null && isNullBodyStatus(status))))) {
      // Everything else, and the cases where the platform throws: the platform's own.
      self[kNative] = new NativeResponse(body, init);
      self[kBody] = null;
      self[kInit] = undefined;
      return;
    }
    self[kNative] = undefined;
    self[kBody] = body ?? null;
    self[kInit] = init;
  }

  get status(): number {
    const self = this as unknown as Internals;
    return self[kNative]?.status ?? self[kInit]?.status ?? 200;
  }

  get statusText(): string {
    const self = this as unknown as Internals;
    return self[kNative]?.statusText ?? self[kInit]?.statusText ?? "";
  }

  get ok(): boolean {
    const status = this.status;
    return status >= 200 && status < 300;
  }

  get headers(): Headers {
    const self = this as unknown as Internals & LightResponse;
    const nat = self[kNative];
    if (nat !== undefined) return nat.headers;
    let headers = self[kHeaders];
    if (headers === undefined) {
      headers = new Headers(self[kInit]?.headers);
      // The platform's default for a string body (Fetch "extract a body").
      if (typeof self[kBody] === "string" && !headers.has("content-type")) headers.set("content-type", "text/plain;charset=UTF-8");
      self[kHeaders] = headers;
    }
    return headers;
  }
}

for (const name of ["body", "bodyUsed", "redirected", "type", "url"]) {
  Object.defineProperty(LightResponse.prototype, name, {
    get(this: LightResponse & Internals) {
      return (native(this) as unknown as Record<string, unknown>)[name];
    },
    configurable: true,
  });
}
for (const name of ["arrayBuffer", "blob", "bytes", "clone", "formData", "json", "text"]) {
  Object.defineProperty(LightResponse.prototype, name, {
    value(this: LightResponse & Internals) {
      return (native(this) as unknown as Record<string, () => unknown>)[name]!();
    },
    configurable: true,
    writable: true,
  });
}
Object.defineProperty(LightResponse.prototype, Symbol.toStringTag, { value: "Response", configurable: true });
Object.setPrototypeOf(LightResponse.prototype, NativeResponse.prototype);

/** The parts of `response` when it is a light response the app has not made into a platform one; undefined otherwise. */
export function lightParts(response: unknown): LightParts | undefined {
  if (response === null || typeof response !== "object" || !(kBody in response)) return undefined;
  const self = response as Internals;
  if (self[kNative] !== undefined) return undefined;
  const init = self[kInit];
  const body = self[kBody];
  return { status: init?.status ?? 200, statusText: init?.statusText ?? "", headers: self[kHeaders] ?? init?.headers, body };
}

let installed = false;

/** Makes {@link LightResponse} the global `Response` (once; later calls do nothing). */
export function installLightResponse(): void {
  if (installed) return;
  installed = true;
  (globalThis as { Response: unknown }).Response = LightResponse;
}
