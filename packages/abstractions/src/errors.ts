/**
 * Typed, coded errors shared by every `@x` package.
 *
 * Codes are API, messages are not. Every class is branded with a `Symbol.for`
 * key so `instanceof` keeps working when two copies of a package are installed
 * (the way undici brands its errors).
 *
 * @module
 */

const kBrand = Symbol.for("@x/abstractions.error.brand");
const kBrands = Symbol.for("@x/abstractions.error.brands");

/** Base class of every error thrown by `@x` packages. */
export class XError extends Error {
  static readonly [kBrand]: symbol = Symbol.for("@x/error/XError");

  /** Stable machine-readable code, `ERR_X_<AREA>_<WHAT>`. */
  readonly code: string;

  /** `options.code` defaults to `ERR_X`; `options.cause` becomes the standard `cause`. */
  constructor(message: string, options?: { code?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = options?.code ?? "ERR_X";
    this.name = new.target.name;
    // Collect the brands of the whole class chain once per instance.
    const brands: symbol[] = [];
    for (let ctor: any = new.target; ctor?.[kBrand]; ctor = Object.getPrototypeOf(ctor)) {
      if (Object.hasOwn(ctor, kBrand)) brands.push(ctor[kBrand]);
    }
    Object.defineProperty(this, kBrands, { value: brands, enumerable: false });
  }

  /** Matches instances branded with this class, so `instanceof` works across installed copies of the package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // A subclass declared without a brand of its own would otherwise inherit
    // its parent's and match every instance of the parent: give it ordinary
    // prototype-chain semantics instead.
    if (!Object.hasOwn(this, kBrand)) return Function.prototype[Symbol.hasInstance].call(this, value);
    if (value === null || typeof value !== "object") return false;
    const brands = (value as Record<symbol, unknown>)[kBrands];
    return Array.isArray(brands) && brands.includes((this as unknown as Record<symbol, symbol>)[kBrand]);
  }
}

/** True for any error created by an `@x` package (any installed copy). */
export function isXError(value: unknown): value is XError {
  return value instanceof XError;
}

/** Constructor of an `XError` subclass made by {@link createErrorClass}. */
export type XErrorClass = {
  new (message?: string, options?: { cause?: unknown }): XError;
  readonly code: string;
};

/**
 * Builds an `XError` subclass with a fixed code and default message, so error
 * families are declared in one line instead of copy-pasted classes.
 *
 * @example
 * export const AddressInUseError = createErrorClass("AddressInUseError", "ERR_X_TRANSPORT_ADDRESS_IN_USE", "Address in use");
 */
export function createErrorClass(name: string, code: string, defaultMessage: string, base: typeof XError = XError): XErrorClass {
  class CodedError extends base {
    static readonly code = code;
    constructor(message?: string, options?: { cause?: unknown }) {
      super(message ?? defaultMessage, { code, cause: options?.cause });
    }
  }
  const cls = CodedError;
  Object.defineProperty(cls, "name", { value: name });
  Object.defineProperty(cls, kBrand, { value: Symbol.for(`@x/error/${name}`) });
  return cls as unknown as XErrorClass;
}

/** Misuse by application code (wrong call order, invalid argument). */
export class UserError extends XError {
  static override readonly [kBrand]: symbol = Symbol.for("@x/error/UserError");
  /** `code` defaults to `ERR_X_USER`. */
  constructor(message: string, code = "ERR_X_USER", cause?: unknown) {
    super(message, { code, cause });
  }
}

/** Invalid configuration or options, detected at startup. */
export class OptionsValidationError extends XError {
  static override readonly [kBrand]: symbol = Symbol.for("@x/error/OptionsValidationError");
  /** `key` names the option at fault (e.g. `MaxRequestBodySize`), when there is one. */
  constructor(message: string, readonly key?: string, cause?: unknown) {
    super(message, { code: "ERR_X_OPTIONS_INVALID", cause });
  }
}

/** An operation that the current protocol or state does not support. */
export const NotSupportedError = createErrorClass("NotSupportedError", "ERR_X_NOT_SUPPORTED", "Not supported");
/** The response has already started, so headers or status can no longer change. */
export const ResponseStartedError = createErrorClass(
  "ResponseStartedError",
  "ERR_X_HTTP_RESPONSE_STARTED",
  "The response has already started",
);
/** The request or connection was aborted (client disconnect, reset or server abort). */
export const ConnectionAbortedError = createErrorClass(
  "ConnectionAbortedError",
  "ERR_X_CONNECTION_ABORTED",
  "The connection was aborted",
);
/** A header name or value that would break the message framing (CR, LF, NUL, bad token). */
export const InvalidHeaderError = createErrorClass("InvalidHeaderError", "ERR_X_HTTP_INVALID_HEADER", "Invalid header");

/**
 * A request the server rejects itself, with the status code it answers
 * (400, 408, 413, 414, 431, 505, ...). Protocol handlers throw it; the
 * connection writes the status and, when `closeConnection`, closes.
 */
export class BadHttpRequestError extends XError {
  static override readonly [kBrand]: symbol = Symbol.for("@x/error/BadHttpRequestError");
  /** `statusCode` is the response status (400, 413, 431, ...); `reason` the machine-readable rejection reason. */
  constructor(
    message: string,
    readonly statusCode: number,
    readonly reason: string,
    cause?: unknown,
  ) {
    super(message, { code: "ERR_X_HTTP_BAD_REQUEST", cause });
  }
}
