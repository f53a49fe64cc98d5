/**
 * JSON file configuration (.NET `JsonConfigurationProvider` on top of
 * `FileConfigurationProvider`): `appsettings.json`, optionally reloaded when
 * the file changes.
 *
 * @module
 */
import fs from "node:fs";
import path from "node:path";
import { type Logger, nullLogger } from "@x/abstractions";
import type { ConfigurationBuilder } from "../configuration-builder.js";
import { ConfigurationData } from "../configuration-data.js";
import { ConfigurationErrorCode, ConfigurationFileError } from "../errors.js";
import type { ConfigurationSource } from "../provider.js";
import { DEFAULT_RELOAD_DELAY, type FileWatcher, watchFileForChanges } from "./file-watcher.js";
import { parseJsonConfiguration } from "./json-parser.js";
import { ConfigurationProviderBase } from "./provider-base.js";

/** Options of `ConfigurationBuilder.addJsonFile`. */
export interface JsonFileOptions {
  /** When true a missing file yields no values instead of an error. Default false (.NET). */
  optional?: boolean;
  /** Watch the file and reload when it changes. Default false (.NET). */
  reloadOnChange?: boolean;
  /** Directory a relative path is resolved against. Default: the builder's base path, else `process.cwd()`. */
  basePath?: string;
  /** Debounce before a reload, in ms. Default 250 (.NET `FileConfigurationSource.ReloadDelay`). */
  reloadDelay?: number;
  /** Receives failed reloads. Default: the builder's logger. */
  logger?: Logger;
}

/** Options of a {@link JsonConfigurationProvider}; `path` is the physical path. */
export interface JsonConfigurationProviderOptions extends Omit<JsonFileOptions, "basePath"> {
  path: string;
}

/**
 * Loads one JSON file. The first load is strict: a missing required file or
 * bad JSON throws {@link ConfigurationFileError}. Later loads (file changes,
 * `ConfigurationRoot.reload()`) never throw: bad JSON, such as a file caught
 * half-written, keeps the previous values and is logged, because throwing from
 * a watcher callback would crash a running server. A file deleted after
 * startup yields no values, as in .NET ("always optional on reload").
 */
export class JsonConfigurationProvider extends ConfigurationProviderBase {
  /** Absolute path of the file. */
  readonly path: string;
  /** When true, a missing file gives no values instead of an error. */
  readonly optional: boolean;
  /** When true, the file is watched and reloaded when it changes. */
  readonly reloadOnChange: boolean;
  readonly #reloadDelay: number;
  readonly #logger: Logger;
  #watcher: FileWatcher | undefined = undefined;
  #loaded = false;
  #disposed = false;

  /** Reads nothing until `load()`. */
  constructor(options: JsonConfigurationProviderOptions) {
    super();
    this.path = path.resolve(options.path);
    this.optional = options.optional ?? false;
    this.reloadOnChange = options.reloadOnChange ?? false;
    this.#reloadDelay = options.reloadDelay ?? DEFAULT_RELOAD_DELAY;
    this.#logger = options.logger ?? nullLogger;
  }

  /** True while a watcher is open (reloadOnChange, loaded and not disposed). */
  get isWatching(): boolean {
    return this.#watcher !== undefined;
  }

  /** Reads and parses the file, watching it first when `reloadOnChange`; later calls reload it. Throws `ConfigurationFileError` when a first load fails. */
  override load(): void {
    if (this.#disposed) return;
    if (this.#loaded) {
      this.#reload();
      return;
    }
    // Watch before reading so a save that lands between the read and the
    // watch is not missed.
    if (this.reloadOnChange) {
      this.#watcher = watchFileForChanges(this.path, () => this.#reload(), {
        delay: this.#reloadDelay,
        logger: this.#logger,
      });
    }
    try {
      const text = readFile(this.path);
      if (text === undefined && !this.optional) {
        throw new ConfigurationFileError(
          `The configuration file '${this.path}' was not found and is not optional.`,
          ConfigurationErrorCode.FILE_NOT_FOUND,
          this.path,
        );
      }
      this.replaceData(text === undefined ? new ConfigurationData() : parseJsonConfiguration(text, this.path));
    } catch (err) {
      // A failed first load leaves nothing running; the next load() starts over.
      this.#watcher?.close();
      this.#watcher = undefined;
      throw err;
    }
    this.#loaded = true;
  }

  /** Stops watching the file. */
  override dispose(): void {
    this.#disposed = true;
    this.#watcher?.close();
    this.#watcher = undefined;
    super.dispose();
  }

  #reload(): void {
    if (this.#disposed) return;
    let data: ConfigurationData;
    try {
      const text = readFile(this.path);
      data = text === undefined ? new ConfigurationData() : parseJsonConfiguration(text, this.path);
    } catch (err) {
      this.#logger.warn({ err, path: this.path }, "Failed to reload configuration file; keeping the previous values");
      return;
    }
    if (this.replaceData(data)) this.raiseReload();
  }
}

/**
 * @example
 * builder.add(new JsonConfigurationSource("appsettings.json", { optional: true, reloadOnChange: true }));
 */
export class JsonConfigurationSource implements ConfigurationSource {
  /** The file path as given; relative paths resolve against the builder's base path. */
  readonly path: string;
  /** `optional` and `reloadOnChange`. */
  readonly options: Readonly<JsonFileOptions>;

  /** A JSON file source (ASP.NET Core's `AddJsonFile`). */
  constructor(filePath: string, options: JsonFileOptions = {}) {
    this.path = filePath;
    this.options = { ...options };
  }

  /** Creates the provider, the path resolved against the builder's base path. */
  build(builder: ConfigurationBuilder): JsonConfigurationProvider {
    // Resolved at build time, like .NET's builder file provider, so
    // setBasePath() after addJsonFile() still applies.
    const base = this.options.basePath ?? builder.basePath ?? process.cwd();
    return new JsonConfigurationProvider({
      path: path.resolve(base, this.path),
      optional: this.options.optional,
      reloadOnChange: this.options.reloadOnChange,
      reloadDelay: this.options.reloadDelay,
      logger: this.options.logger ?? builder.logger,
    });
  }
}

/** The file's text, or `undefined` when it does not exist. */
function readFile(filePath: string): string | undefined {
  try {
    return fs.readFileSync(filePath, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // ENOTDIR: a parent path component is a file, so this file cannot exist.
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw new ConfigurationFileError(
      `Failed to load configuration from file '${filePath}': ${(err as Error).message}`,
      ConfigurationErrorCode.FILE_UNREADABLE,
      filePath,
      { cause: err },
    );
  }
}
