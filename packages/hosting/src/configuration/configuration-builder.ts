/**
 * Collects configuration sources in precedence order and builds the root
 * (.NET `ConfigurationBuilder` plus the `Add*` extension methods).
 *
 * @module
 */
import { type Logger, nullLogger } from "@x/abstractions";
import type { Configuration } from "./configuration.js";
import { ConfigurationRoot } from "./configuration-root.js";
import type { ConfigurationProvider, ConfigurationSource } from "./provider.js";
import { ChainedConfigurationSource } from "./providers/chained-provider.js";
import { CommandLineConfigurationSource, type SwitchMappings } from "./providers/command-line-provider.js";
import {
  type EnvironmentVariables,
  EnvironmentVariablesConfigurationSource,
} from "./providers/environment-variables-provider.js";
import { type JsonFileOptions, JsonConfigurationSource } from "./providers/json-file-provider.js";
import { type MemoryConfigurationData, MemoryConfigurationSource } from "./providers/memory-provider.js";

/** Options of {@link ConfigurationBuilder}. */
export interface ConfigurationBuilderOptions {
  /** Directory relative JSON file paths resolve against. Default: `process.cwd()` at build time. */
  basePath?: string;
  /** Receives failed reloads and listener errors. Default: discard. */
  logger?: Logger;
}

/**
 * Sources added later override earlier ones. The usual host order is
 * JSON files, then environment variables, then the command line.
 *
 * @example
 * const config = new ConfigurationBuilder()
 *   .addJsonFile("appsettings.json", { optional: true, reloadOnChange: true })
 *   .addEnvironmentVariables("ASPNETCORE_")
 *   .addCommandLine(process.argv.slice(2))
 *   .build();
 * config.get("Kestrel:Limits:MaxRequestBodySize");
 */
export class ConfigurationBuilder {
  readonly #sources: ConfigurationSource[] = [];
  #basePath: string | undefined;
  /** Receives failed reloads and listener errors of the built configuration. */
  readonly logger: Logger;

  /** An empty builder; add sources, then `build()`. */
  constructor(options: ConfigurationBuilderOptions = {}) {
    this.#basePath = options.basePath;
    this.logger = options.logger ?? nullLogger;
  }

  /** The sources added so far, in order. */
  get sources(): readonly ConfigurationSource[] {
    return this.#sources;
  }

  /** Base directory for relative file paths, if set. */
  get basePath(): string | undefined {
    return this.#basePath;
  }

  /** Sets the directory relative file paths resolve against (.NET `SetBasePath`). */
  setBasePath(basePath: string): this {
    this.#basePath = basePath;
    return this;
  }

  /** Adds a source; later sources override earlier ones. */
  add(source: ConfigurationSource): this {
    this.#sources.push(source);
    return this;
  }

  /**
   * Adds a JSON file. Relative paths resolve against `options.basePath`, then
   * the builder's base path, then `process.cwd()`.
   */
  addJsonFile(path: string, options?: JsonFileOptions): this {
    return this.add(new JsonConfigurationSource(path, options));
  }

  /**
   * Adds environment variables. With a prefix, only variables starting with
   * it (ignoring case) are read, without the prefix. `__` stands for `:`.
   */
  addEnvironmentVariables(prefix?: string, env: EnvironmentVariables = process.env): this {
    return this.add(new EnvironmentVariablesConfigurationSource(prefix, env));
  }

  /** Adds command-line arguments (`--key value`, `--key=value`, `/key value`, `key=value`). */
  addCommandLine(args: readonly string[], switchMappings?: SwitchMappings): this {
    return this.add(new CommandLineConfigurationSource(args, switchMappings));
  }

  /** Adds fixed pairs such as `{ "Kestrel:Limits:MaxRequestBodySize": 1024 }`. */
  addInMemoryCollection(data?: MemoryConfigurationData): this {
    return this.add(new MemoryConfigurationSource(data));
  }

  /**
   * Layers an existing configuration. It is disposed with the new root only
   * when `shouldDisposeConfiguration` (.NET default: false).
   */
  addConfiguration(configuration: Configuration, shouldDisposeConfiguration = false): this {
    return this.add(new ChainedConfigurationSource(configuration, shouldDisposeConfiguration));
  }

  /**
   * Creates every provider and loads it.
   *
   * @throws ConfigurationFileError for a missing required or malformed JSON file.
   * @throws ConfigurationCommandLineError for bad switch mappings or an unmapped short switch.
   */
  build(): ConfigurationRoot {
    const providers: ConfigurationProvider[] = [];
    try {
      for (const source of this.#sources) providers.push(source.build(this));
    } catch (err) {
      for (const provider of providers) provider.dispose();
      throw err;
    }
    return new ConfigurationRoot(providers, { logger: this.logger });
  }
}
