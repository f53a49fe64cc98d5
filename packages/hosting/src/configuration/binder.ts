/**
 * Binds configuration onto an options object (.NET `ConfigurationBinder.Bind`).
 *
 * JavaScript has no declared property types, so the binder converts by the
 * type of each property's current value: the defaults in an options object
 * double as its schema.
 *
 * | current value | config value becomes |
 * |---|---|
 * | number | invariant decimal (`"1024"`, `"0.5"`, `"1e3"`); `""`, `"abc"`, `"1e"` throw |
 * | boolean | `true`/`false`, any case; anything else throws |
 * | bigint | a decimal integer |
 * | string, `null`, `undefined` | the string as is |
 * | array | a new array from the section's children in key order, each converted like the first existing element (string when empty) |
 * | object | bound recursively from the subsection |
 *
 * A property without a matching key is left untouched. Keys match property
 * names ignoring case, so `maxRequestBodySize` reads `MaxRequestBodySize`.
 *
 * @module
 */
import type { Configuration, ConfigurationSection } from "./configuration.js";
import { normalizeKey } from "./configuration-path.js";
import { ConfigurationBindingError } from "./errors.js";
import { parseBigIntValue, parseBooleanValue, parseNumberValue } from "./value-parsers.js";

/** Turns a raw string into a property value. `key` is the full configuration path, for errors. */
export type ConfigurationConverter = (raw: string, key: string) => unknown;

/** Options of `bind`. */
export interface BindOptions {
  /**
   * Converters by property path (`"limits.keepAliveTimeout"`) or by bare
   * property name (`"keepAliveTimeout"`, any depth); the path wins. Elements
   * of an array property use the array's path plus `[]`: `"ports[]"`, or
   * `"endpoints[].url"` for a property of an element object. A converter runs
   * only where the configuration has a value.
   */
  converters?: Readonly<Record<string, ConfigurationConverter>>;
}

type Converters = Readonly<Record<string, ConfigurationConverter>>;
type Bindable = Record<string, unknown>;

const kUnchanged = Symbol("unchanged");

/**
 * Copies matching configuration values onto `target` and returns it.
 *
 * @example
 * const limits = bind(config.getSection("Kestrel:Limits"), new ServerLimits(), {
 *   converters: { keepAliveTimeout: parseTimeSpan, requestHeadersTimeout: parseTimeSpan },
 * });
 *
 * @throws ConfigurationBindingError naming the full key of a value that does not convert.
 */
export function bind<T extends object>(config: Configuration, target: T, options: BindOptions = {}): T {
  bindObject(config, target as Bindable, "", options.converters ?? {});
  return target;
}

function bindObject(config: Configuration, target: Bindable, propertyPath: string, converters: Converters): void {
  const children = new Map<string, ConfigurationSection>();
  for (const child of config.getChildren()) children.set(normalizeKey(child.key), child);
  if (children.size === 0) return;
  for (const name of Object.keys(target)) {
    const section = children.get(normalizeKey(name));
    if (section === undefined) continue;
    const path = propertyPath === "" ? name : `${propertyPath}.${name}`;
    const converter = converters[path] ?? converters[name];
    const value = bindValue(section, target[name], path, converter, converters);
    if (value !== kUnchanged) target[name] = value;
  }
}

function bindValue(
  section: ConfigurationSection,
  current: unknown,
  path: string,
  converter: ConfigurationConverter | undefined,
  converters: Converters,
): unknown {
  const raw = section.value;
  if (converter !== undefined && raw !== undefined) return convertWith(converter, raw, section.path, path);
  if (Array.isArray(current)) return bindArray(section, current, path, converters);
  if (isBindableObject(current)) {
    bindObject(section, current, path, converters);
    return kUnchanged;
  }
  return raw === undefined ? kUnchanged : convertScalar(raw, current, section.path);
}

function bindArray(section: Configuration, current: readonly unknown[], path: string, converters: Converters): unknown {
  const children = section.getChildren();
  if (children.length === 0) return kUnchanged;
  const elementPath = `${path}[]`;
  const converter = converters[elementPath];
  const template = current[0];
  const result: unknown[] = [];
  for (const [index, child] of children.entries()) {
    const raw = child.value;
    if (converter !== undefined) {
      if (raw !== undefined) result.push(convertWith(converter, raw, child.path, elementPath));
      continue;
    }
    if (Array.isArray(template) || isBindableObject(template)) {
      // Bind into the element already at this index when it has the same
      // shape, else into a copy of the first element, so defaults survive.
      const existing = current[index];
      const base = sameKind(existing, template) ? existing : deepClone(template);
      const bound = bindValue(child, base, elementPath, undefined, converters);
      result.push(bound === kUnchanged ? base : bound);
      continue;
    }
    // .NET skips elements that have no value to convert.
    if (raw !== undefined) result.push(convertScalar(raw, template, child.path));
  }
  return result;
}

function convertScalar(raw: string, current: unknown, key: string): unknown {
  switch (typeof current) {
    case "number":
      return parseNumberValue(raw, key);
    case "boolean":
      return parseBooleanValue(raw, key);
    case "bigint":
      return parseBigIntValue(raw, key);
    case "string":
    case "undefined":
      return raw;
    case "object":
      // null: nothing to infer a type from, so the string stays a string.
      return current === null ? raw : kUnchanged;
    default:
      // Functions and symbols are not settings.
      return kUnchanged;
  }
}

function convertWith(converter: ConfigurationConverter, raw: string, key: string, propertyPath: string): unknown {
  try {
    return converter(raw, key);
  } catch (err) {
    if (err instanceof ConfigurationBindingError) throw err;
    // Keep the key in the message whatever the converter threw.
    throw new ConfigurationBindingError(key, raw, `the type of '${propertyPath}'`, err);
  }
}

function isBindableObject(value: unknown): value is Bindable {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Date) &&
    !(value instanceof RegExp) &&
    !(value instanceof Map) &&
    !(value instanceof Set) &&
    !(value instanceof Promise) &&
    !(value instanceof ArrayBuffer) &&
    !ArrayBuffer.isView(value)
  );
}

function sameKind(value: unknown, template: unknown): boolean {
  return Array.isArray(template) ? Array.isArray(value) : isBindableObject(value);
}

/** Copies arrays and bindable objects (keeping prototypes, unlike `structuredClone`); other values are shared. */
function deepClone<T>(value: T): T {
  if (Array.isArray(value)) return value.map(deepClone) as T;
  if (!isBindableObject(value)) return value;
  const copy = Object.create(Object.getPrototypeOf(value)) as Bindable;
  for (const name of Object.keys(value)) copy[name] = deepClone(value[name]);
  return copy as T;
}
