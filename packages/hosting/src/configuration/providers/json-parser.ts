/**
 * Flattens a JSON document into configuration pairs
 * (.NET `JsonConfigurationFileParser`): `{"Logging":{"LogLevel":{"Default":"Information"}}}`
 * becomes `Logging:LogLevel:Default = Information` and array elements become
 * children `0`, `1`, ...
 *
 * A hand-written parser instead of `JSON.parse`, because .NET's reader is
 * configured with comments skipped and trailing commas allowed (appsettings
 * files use both), because `JSON.parse` silently keeps the last of two equal
 * keys where .NET reports a duplicate, and because a startup error should name
 * the line and column.
 *
 * @module
 */
import { ConfigurationData } from "../configuration-data.js";
import { ConfigurationErrorCode, ConfigurationFileError } from "../errors.js";

// System.Text.Json's default `JsonDocumentOptions.MaxDepth`. It also keeps a
// hostile file from overflowing our recursion.
const MAX_DEPTH = 64;

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * Parses `text` (the content of `filePath`) into flattened, case-insensitive data.
 *
 * Values keep .NET's string forms: a number keeps its source text (`1.50`
 * stays `1.50`), `null` becomes `""`, and an empty object or array becomes a
 * key without a value. Booleans become `"true"`/`"false"` (.NET writes
 * `"True"`; both bind the same, since boolean parsing ignores case).
 *
 * @throws ConfigurationFileError `ERR_X_CONFIG_INVALID_JSON` with the position,
 *   or `ERR_X_CONFIG_DUPLICATE_KEY` when a key repeats (ignoring case).
 */
export function parseJsonConfiguration(text: string, filePath: string): ConfigurationData {
  return new JsonConfigurationParser(text, filePath).parse();
}

class JsonConfigurationParser {
  readonly #text: string;
  readonly #filePath: string;
  #pos = 0;
  readonly #paths: string[] = [];
  readonly #data = new ConfigurationData();

  constructor(text: string, filePath: string) {
    this.#text = text;
    this.#filePath = filePath;
  }

  parse(): ConfigurationData {
    // A UTF-8 BOM is common in files saved by Windows editors.
    if (this.#text.charCodeAt(0) === 0xfeff) this.#pos = 1;
    this.#skipTrivia();
    if (this.#pos >= this.#text.length) this.#fail("The input does not contain any JSON tokens");
    if (this.#text[this.#pos] !== "{") {
      this.#fail(`Top-level JSON element must be an object. Instead, '${this.#describeToken()}' was found`);
    }
    this.#parseObject(1);
    this.#skipTrivia();
    if (this.#pos < this.#text.length) this.#fail(`Unexpected '${this.#text[this.#pos]}' after the end of the document`);
    return this.#data;
  }

  #parseValue(depth: number): void {
    const ch = this.#text[this.#pos];
    switch (ch) {
      case "{":
        this.#parseObject(depth + 1);
        return;
      case "[":
        this.#parseArray(depth + 1);
        return;
      case '"': {
        const start = this.#pos;
        this.#setLeaf(this.#parseString(), start);
        return;
      }
      case "t":
        this.#parseLiteral("true", "true");
        return;
      case "f":
        this.#parseLiteral("false", "false");
        return;
      case "n":
        // .NET stores JSON null as "" (JsonElement.ToString() of null).
        this.#parseLiteral("null", "");
        return;
      default: {
        NUMBER.lastIndex = this.#pos;
        const match = NUMBER.exec(this.#text);
        if (match === null) this.#fail(this.#pos >= this.#text.length ? "Unexpected end of input" : `Unexpected '${ch}'`);
        const start = this.#pos;
        this.#pos += match[0].length;
        this.#setLeaf(match[0], start);
      }
    }
  }

  #parseObject(depth: number): void {
    this.#checkDepth(depth);
    this.#pos++; // "{"
    let isEmpty = true;
    for (;;) {
      this.#skipTrivia();
      if (this.#text[this.#pos] === "}") break;
      if (this.#text[this.#pos] !== '"') this.#fail(this.#expected("a property name or '}'"));
      const name = this.#parseString();
      this.#skipTrivia();
      if (this.#text[this.#pos] !== ":") this.#fail(this.#expected("':'"));
      this.#pos++;
      this.#skipTrivia();
      this.#enter(name);
      this.#parseValue(depth);
      this.#paths.pop();
      isEmpty = false;
      this.#skipTrivia();
      // A comma may be followed by "}": trailing commas are allowed, as in .NET.
      if (this.#text[this.#pos] === ",") this.#pos++;
      else if (this.#text[this.#pos] !== "}") this.#fail(this.#expected("',' or '}'"));
    }
    this.#pos++; // "}"
    this.#markIfEmpty(isEmpty);
  }

  #parseArray(depth: number): void {
    this.#checkDepth(depth);
    this.#pos++; // "["
    let index = 0;
    for (;;) {
      this.#skipTrivia();
      if (this.#text[this.#pos] === "]") break;
      this.#enter(String(index));
      this.#parseValue(depth);
      this.#paths.pop();
      index++;
      this.#skipTrivia();
      if (this.#text[this.#pos] === ",") this.#pos++;
      else if (this.#text[this.#pos] !== "]") this.#fail(this.#expected("',' or ']'"));
    }
    this.#pos++; // "]"
    this.#markIfEmpty(index === 0);
  }

  #parseString(): string {
    const text = this.#text;
    const start = this.#pos;
    let pos = start + 1;
    let out = "";
    let chunkStart = pos;
    for (;;) {
      if (pos >= text.length) this.#fail("Unterminated string", start);
      const code = text.charCodeAt(pos);
      if (code === 0x22 /* " */) break;
      if (code < 0x20) this.#fail("Control characters must be escaped in strings", pos);
      if (code !== 0x5c /* \ */) {
        pos++;
        continue;
      }
      out += text.slice(chunkStart, pos);
      const escaped = text[pos + 1];
      switch (escaped) {
        case '"':
        case "\\":
        case "/":
          out += escaped;
          break;
        case "b":
          out += "\b";
          break;
        case "f":
          out += "\f";
          break;
        case "n":
          out += "\n";
          break;
        case "r":
          out += "\r";
          break;
        case "t":
          out += "\t";
          break;
        case "u": {
          const hex = text.slice(pos + 2, pos + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.#fail("Invalid \\u escape", pos);
          out += String.fromCharCode(Number.parseInt(hex, 16));
          pos += 4;
          break;
        }
        default:
          this.#fail("Invalid escape sequence", pos);
      }
      pos += 2;
      chunkStart = pos;
    }
    this.#pos = pos + 1;
    return out + text.slice(chunkStart, pos);
  }

  #parseLiteral(literal: string, value: string): void {
    if (!this.#text.startsWith(literal, this.#pos)) this.#fail(`Unexpected '${this.#text[this.#pos]}'`);
    const start = this.#pos;
    this.#pos += literal.length;
    this.#setLeaf(value, start);
  }

  /** Skips white space and `//` or block comments (.NET: `JsonCommentHandling.Skip`). */
  #skipTrivia(): void {
    const text = this.#text;
    for (;;) {
      const ch = text[this.#pos];
      if (ch === " " || ch === "\t" || ch === "\n" || ch === "\r") {
        this.#pos++;
      } else if (ch === "/" && text[this.#pos + 1] === "/") {
        const end = text.indexOf("\n", this.#pos + 2);
        this.#pos = end < 0 ? text.length : end + 1;
      } else if (ch === "/" && text[this.#pos + 1] === "*") {
        const end = text.indexOf("*/", this.#pos + 2);
        if (end < 0) this.#fail("Unterminated comment");
        this.#pos = end + 2;
      } else {
        return;
      }
    }
  }

  #enter(segment: string): void {
    const parent = this.#paths.at(-1);
    this.#paths.push(parent === undefined ? segment : `${parent}:${segment}`);
  }

  #setLeaf(value: string, start: number): void {
    const key = this.#paths.at(-1)!;
    if (this.#data.has(key)) {
      throw new ConfigurationFileError(
        `Failed to load configuration from file '${this.#filePath}': A duplicate key '${key}' was found.`,
        ConfigurationErrorCode.DUPLICATE_KEY,
        this.#filePath,
        { position: this.#positionOf(start) },
      );
    }
    this.#data.set(key, value);
  }

  // .NET records an empty object or array as a key with a null value, so the
  // section still shows up among its parent's children.
  #markIfEmpty(isEmpty: boolean): void {
    const key = this.#paths.at(-1);
    if (isEmpty && key !== undefined) this.#data.set(key, undefined);
  }

  #checkDepth(depth: number): void {
    if (depth > MAX_DEPTH) this.#fail(`The maximum configured depth of ${MAX_DEPTH} has been exceeded`);
  }

  #expected(what: string): string {
    return this.#pos >= this.#text.length
      ? `Unexpected end of input, expected ${what}`
      : `Expected ${what} but found '${this.#text[this.#pos]}'`;
  }

  #describeToken(): string {
    const ch = this.#text[this.#pos];
    if (ch === "[") return "Array";
    if (ch === '"') return "String";
    if (ch === "t" || ch === "f") return "Boolean";
    if (ch === "n") return "Null";
    return ch === "-" || (ch >= "0" && ch <= "9") ? "Number" : ch;
  }

  #positionOf(offset: number): { line: number; column: number } {
    let line = 1;
    let lineStart = 0;
    for (let i = this.#text.indexOf("\n"); i >= 0 && i < offset; i = this.#text.indexOf("\n", i + 1)) {
      line++;
      lineStart = i + 1;
    }
    return { line, column: offset - lineStart + 1 };
  }

  #fail(reason: string, offset = this.#pos): never {
    const position = this.#positionOf(offset);
    throw new ConfigurationFileError(
      `Failed to load configuration from file '${this.#filePath}': ${reason} (line ${position.line}, column ${position.column}).`,
      ConfigurationErrorCode.INVALID_JSON,
      this.#filePath,
      { position },
    );
  }
}
