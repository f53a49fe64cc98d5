/**
 * A case-insensitive multi-map of HTTP header fields.
 *
 * Names are stored lower-cased (RFC 9110 §5.1: field names are
 * case-insensitive; HTTP/2 requires lower case on the wire). A field that
 * appears several times keeps every value, in order.
 *
 * @module
 */
import { InvalidHeaderError, UserError } from "./errors.js";

/** A header field's value: one string, or one string per field line. */
export type HeaderValue = string | string[];

// RFC 9110 §5.6.2 token characters.
const TOKEN = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TOKEN[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TOKEN[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TOKEN[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TOKEN[c] = 1;

/** True when `name` is a non-empty RFC 9110 token. */
export function isToken(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c > 255 || TOKEN[c] === 0) return false;
  }
  return true;
}

// RFC 9110 §5.5: field-value = *( VCHAR / obs-text / SP / HTAB ). CR, LF and NUL would split
// the message; other CTLs are invalid too; and a char above U+00FF has no single-byte form, so
// it is refused here, once, instead of being checked again when the head is written.
const FORBIDDEN_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/** Lower-case names already found to be tokens; bounded so arbitrary names cannot grow it. */
const VALID_NAMES = new Set<string>();
const MAX_REMEMBERED_NAMES = 512;

function checkValue(name: string, value: string): void {
  if (FORBIDDEN_VALUE.test(value)) {
    throw new InvalidHeaderError(`Invalid character in the value of header '${name}': control characters and characters above U+00FF are not allowed; encode the value first`);
  }
}

function toValue(value: string | number | readonly (string | number)[]): HeaderValue {
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  return value.map(String);
}

/** HTTP header fields, keyed case-insensitively (stored lower case); names and values are validated on `set`/`append` (RFC 9110 §5). */
export class HeaderMap implements Iterable<[string, HeaderValue]> {
  readonly #map = new Map<string, HeaderValue>();
  /** When false, `set`/`append` skip validation (used by parsers that already validated). */
  readonly #validate: boolean;

  /** Fills the map from entries or a record with `append`; `validate = false` skips validation (for parsers that already validated). */
  constructor(init?: Iterable<[string, string | number | readonly (string | number)[]]> | Record<string, string | number | readonly (string | number)[]>, validate = true) {
    this.#validate = validate;
    if (!init) return;
    const entries = Symbol.iterator in init ? (init as Iterable<[string, string]>) : Object.entries(init);
    for (const [k, v] of entries) this.append(k, v);
  }

  /** The number of distinct field names. */
  get size(): number {
    return this.#map.size;
  }

  /** All values joined by `, ` (RFC 9110 §5.3), or undefined. */
  get(name: string): string | undefined {
    const v = this.#map.get(name.toLowerCase());
    if (v === undefined) return undefined;
    return typeof v === "string" ? v : v.join(", ");
  }

  /** Every value of the field, in order. */
  getAll(name: string): string[] {
    const v = this.#map.get(name.toLowerCase());
    if (v === undefined) return [];
    return typeof v === "string" ? [v] : v.slice();
  }

  /** The raw stored value (string, or array for repeated fields). */
  getRaw(name: string): HeaderValue | undefined {
    return this.#map.get(name.toLowerCase());
  }

  /** True when a field with this name (any case) is present. */
  has(name: string): boolean {
    return this.#map.has(name.toLowerCase());
  }

  /** Replaces the field's values. Throws `InvalidHeaderError` on an invalid name or value. */
  set(name: string, value: string | number | readonly (string | number)[]): this {
    const key = name.toLowerCase();
    const v = toValue(value);
    if (this.#validate) this.#check(key, v);
    this.#map.set(key, v);
    return this;
  }

  /** Adds values to the field, after any existing ones. Throws `InvalidHeaderError` on an invalid name or value. */
  append(name: string, value: string | number | readonly (string | number)[]): this {
    const key = name.toLowerCase();
    const v = toValue(value);
    if (this.#validate) this.#check(key, v);
    const prev = this.#map.get(key);
    if (prev === undefined) this.#map.set(key, v);
    else this.#map.set(key, ([] as string[]).concat(prev, v));
    return this;
  }

  /** Adds a value that the caller has already validated and lower-cased. */
  appendTrusted(lowerName: string, value: string): void {
    const prev = this.#map.get(lowerName);
    if (prev === undefined) this.#map.set(lowerName, value);
    else if (typeof prev === "string") this.#map.set(lowerName, [prev, value]);
    else prev.push(value);
  }

  /** Removes the field; false if it was absent. */
  delete(name: string): boolean {
    return this.#map.delete(name.toLowerCase());
  }

  /** Removes every field. */
  clear(): void {
    this.#map.clear();
  }

  /** The field names, lower case, in insertion order. */
  keys(): IterableIterator<string> {
    return this.#map.keys();
  }

  /** `[name, value]` pairs, names lower case, in insertion order. */
  entries(): IterableIterator<[string, HeaderValue]> {
    return this.#map.entries();
  }

  /** Same as {@link HeaderMap.entries}. */
  [Symbol.iterator](): IterableIterator<[string, HeaderValue]> {
    return this.#map.entries();
  }

  /** A plain object copy, for logging and tests. */
  toJSON(): Record<string, HeaderValue> {
    return Object.fromEntries(this.#map);
  }

  #check(name: string, value: HeaderValue): void {
    if (!VALID_NAMES.has(name)) {
      if (!isToken(name)) throw new InvalidHeaderError(`Invalid header name '${name}'`);
      // Apps set the same few names on every response: remember the ones already checked.
      if (VALID_NAMES.size < MAX_REMEMBERED_NAMES) VALID_NAMES.add(name);
    }
    if (typeof value === "string") checkValue(name, value);
    else for (const v of value) checkValue(name, v);
  }
}

/** The map of a request without trailers: empty, and every change throws, so no request's writes reach another's. */
class ReadOnlyEmptyHeaderMap extends HeaderMap {
  override set(): this {
    throw readOnly();
  }
  override append(): this {
    throw readOnly();
  }
  override appendTrusted(): void {
    throw readOnly();
  }
  override delete(): boolean {
    throw readOnly();
  }
  override clear(): void {
    throw readOnly();
  }
}

function readOnly(): Error {
  return new UserError("This header map is read-only (the request has no trailers)", "ERR_X_HEADERS_READ_ONLY");
}

const EMPTY_READ_ONLY: HeaderMap = new ReadOnlyEmptyHeaderMap();
Object.freeze(EMPTY_READ_ONLY);

/** The shared empty, read-only `HeaderMap` (request trailers when there are none): changing it throws `ERR_X_HEADERS_READ_ONLY`. */
export function emptyHeaderMap(): HeaderMap {
  return EMPTY_READ_ONLY;
}
