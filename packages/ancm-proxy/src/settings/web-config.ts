/**
 * Reads the `aspNetCore` element out of a `web.config`.
 *
 * @module
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { AncmSettingsError, attributeError } from "./errors.js";
import type { RawAncmSettings, RawNameValue } from "./raw-settings.js";

/** A parsed element: child elements by tag name, attributes under `@`. */
type XmlNode = Record<string, unknown>;

const ATTRIBUTES = "@";

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "",
  attributesGroupName: ATTRIBUTES,
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: false,
  // Entities are decoded here (XML's five and character references only).
  processEntities: false,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  allowBooleanAttributes: false,
  isArray: () => true,
});

/**
 * Parses a `web.config` and returns its `aspNetCore` element as strings.
 *
 * The element is looked for at `configuration/system.webServer/aspNetCore`
 * and at `configuration/location/system.webServer/aspNetCore` for a
 * `<location>` whose `path` is `.`, empty or absent; `<location>`s for other
 * paths are ignored with a warning. Finding it in more than one place is an
 * error, as in IIS (a duplicate section). Element and attribute names match
 * case-insensitively; attribute values are normalised as XML does (tabs and
 * line breaks become spaces) and entities decoded.
 *
 * Children read: `environmentVariables/environmentVariable[@name,@value]` and
 * `handlerSettings/handlerSetting[@name,@value]` (`<clear/>` is accepted and
 * has nothing to clear); anything else is ignored with a warning.
 *
 * @param source the file name for error messages
 * @throws {AncmSettingsError} on malformed XML (with the line), a missing or
 *   duplicated `aspNetCore` element, or an `environmentVariable` / `handlerSetting`
 *   without `name` or `value`
 */
export function parseWebConfig(xml: string, source: string): RawAncmSettings {
  const text = xml.startsWith("\uFEFF") ? xml.slice(1) : xml;
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    const where = line === undefined ? "" : col === undefined ? ` at line ${line}` : ` at line ${line}, column ${col}`;
    throw new AncmSettingsError(`${source}: malformed XML${where}: ${msg}`, source, "");
  }
  let document: XmlNode;
  try {
    document = parser.parse(text) as XmlNode;
  } catch (err) {
    throw new AncmSettingsError(`${source}: malformed XML: ${(err as Error).message}`, source, "", { cause: err });
  }

  const warnings: string[] = [];
  const candidates: { where: string; node: XmlNode }[] = [];
  for (const configuration of children(document, "configuration")) {
    for (const webServer of children(configuration, "system.webServer")) {
      for (const node of children(webServer, "aspNetCore")) {
        candidates.push({ where: "configuration/system.webServer/aspNetCore", node });
      }
    }
    for (const location of children(configuration, "location")) {
      const locationPath = attribute(location, "path");
      const found = children(location, "system.webServer").flatMap((w) => children(w, "aspNetCore"));
      if (found.length === 0) continue;
      if (locationPath === undefined || locationPath === "" || locationPath === ".") {
        const shown = locationPath === undefined ? "location" : `location[@path='${locationPath}']`;
        for (const node of found) candidates.push({ where: `configuration/${shown}/system.webServer/aspNetCore`, node });
      } else {
        warnings.push(`location[@path='${locationPath}']/system.webServer/aspNetCore: applies to a sub-path, not the site; ignored`);
      }
    }
  }
  if (candidates.length === 0) {
    throw new AncmSettingsError(
      `${source}: no aspNetCore element (looked for configuration/system.webServer/aspNetCore and configuration/location[@path='.']/system.webServer/aspNetCore)`,
      source,
      "aspNetCore",
    );
  }
  if (candidates.length > 1) {
    throw new AncmSettingsError(
      `${source}: the aspNetCore element is defined more than once (${candidates.map((c) => c.where).join(", ")})`,
      source,
      "aspNetCore",
    );
  }
  const element = candidates[0]!.node;

  const attributes = attributesOf(element);

  const environmentVariables: RawNameValue[] = [];
  const handlerSettings: RawNameValue[] = [];
  for (const key of Object.keys(element)) {
    if (key === ATTRIBUTES || key === "#text") continue;
    const lower = key.toLowerCase();
    if (lower === "environmentvariables") {
      for (const collection of asNodes(element[key])) {
        readCollection(collection, "environmentVariables", "environmentVariable", environmentVariables, source, warnings);
      }
    } else if (lower === "handlersettings") {
      for (const collection of asNodes(element[key])) {
        readCollection(collection, "handlerSettings", "handlerSetting", handlerSettings, source, warnings);
      }
    } else if (lower === "recycleonfilechange") {
      warnings.push(`aspNetCore/${key}: not supported; ignored`);
    } else {
      warnings.push(`aspNetCore/${key}: unknown element; ignored`);
    }
  }
  return { attributes, environmentVariables, handlerSettings, warnings };
}

function readCollection(
  collection: XmlNode,
  collectionName: string,
  itemName: string,
  into: RawNameValue[],
  source: string,
  warnings: string[],
): void {
  for (const key of Object.keys(collection)) {
    if (key === ATTRIBUTES || key === "#text") continue;
    const lower = key.toLowerCase();
    if (lower === "clear") continue; // nothing is inherited, so nothing to clear
    if (lower !== itemName.toLowerCase()) {
      warnings.push(`aspNetCore/${collectionName}/${key}: unknown element; ignored`);
      continue;
    }
    for (const item of asNodes(collection[key])) {
      const name = attribute(item, "name");
      const value = attribute(item, "value");
      const where = `${collectionName}/${itemName}[${name === undefined ? into.length + 1 : `@name=${name}`}]`;
      if (name === undefined) throw attributeError(source, where, "the name attribute is required");
      if (value === undefined) throw attributeError(source, where, "the value attribute is required");
      into.push({ name, value });
    }
  }
}

/** The child elements called `name` (any case) of `node`, in order of first appearance of each spelling. */
function children(node: XmlNode, name: string): XmlNode[] {
  const lower = name.toLowerCase();
  const out: XmlNode[] = [];
  for (const key of Object.keys(node)) {
    if (key !== ATTRIBUTES && key.toLowerCase() === lower) out.push(...asNodes(node[key]));
  }
  return out;
}

/** Element entries as nodes (a self-closing or text-only element parses as a string). */
function asNodes(value: unknown): XmlNode[] {
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => (v !== null && typeof v === "object" ? (v as XmlNode) : {}));
}

/** The attributes of `node`, values normalised and decoded. */
function attributesOf(node: XmlNode): Record<string, string> {
  const group = node[ATTRIBUTES];
  const first = Array.isArray(group) ? group[0] : group;
  const out: Record<string, string> = {};
  if (first === null || typeof first !== "object") return out;
  for (const [name, value] of Object.entries(first as Record<string, unknown>)) {
    Object.defineProperty(out, name, { value: decodeAttribute(String(value)), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** One attribute of `node`, its name matched case-insensitively. */
function attribute(node: XmlNode, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(attributesOf(node))) {
    if (key.toLowerCase() === lower) return value;
  }
  return undefined;
}

const NAMED_ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

/**
 * XML attribute-value normalisation and entity decoding: literal tabs and line
 * breaks become spaces (CRLF counts once), then `&lt;` `&gt;` `&amp;` `&quot;`
 * `&apos;` and character references are decoded. Unknown entities stay as written.
 */
export function decodeAttribute(raw: string): string {
  return raw.replace(/\r\n|[\t\n\r]/g, " ").replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, ref: string) => {
    if (ref.startsWith("#")) {
      const code = ref[1] === "x" ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
      return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return Object.hasOwn(NAMED_ENTITIES, ref) ? NAMED_ENTITIES[ref]! : whole;
  });
}
