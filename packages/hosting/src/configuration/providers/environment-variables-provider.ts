/**
 * Environment-variable configuration (.NET `EnvironmentVariablesConfigurationProvider`).
 *
 * `__` stands for `:` because most shells cannot put a colon in a variable
 * name: `Kestrel__Limits__MaxRequestBodySize=1024` sets
 * `Kestrel:Limits:MaxRequestBodySize`. With a prefix (`ASPNETCORE_`), only
 * matching variables are read and the prefix is removed.
 *
 * @module
 */
import { ConfigurationData } from "../configuration-data.js";
import { KEY_DELIMITER, keysEqual } from "../configuration-path.js";
import type { ConfigurationSource } from "../provider.js";
import { ConfigurationProviderBase } from "./provider-base.js";

/** Variables as `process.env` holds them. */
export type EnvironmentVariables = Readonly<Record<string, string | undefined>>;

/** Reads the variables again on every `load()`, so `ConfigurationRoot.reload()` sees changes. */
export class EnvironmentVariablesConfigurationProvider extends ConfigurationProviderBase {
  /** Only variables with this prefix are read, and the prefix is removed from their keys. */
  readonly prefix: string;
  readonly #env: EnvironmentVariables;

  /** Reads `env` (default `process.env`); `__` in names becomes `:`. */
  constructor(prefix = "", env: EnvironmentVariables = process.env) {
    super();
    // The prefix is normalized too, so "X__" and "X:" select the same variables.
    this.prefix = normalize(prefix);
    this.#env = env;
  }

  /** Reads the variables. */
  override load(): void {
    const data = new ConfigurationData();
    for (const [name, value] of Object.entries(this.#env)) {
      if (value === undefined) continue;
      const key = normalize(name);
      // Windows variable names are case-insensitive, hence the case-insensitive prefix test.
      if (!keysEqual(key.slice(0, this.prefix.length), this.prefix)) continue;
      const stripped = key.slice(this.prefix.length);
      // A variable named exactly like the prefix has no key left to set.
      if (stripped !== "") data.set(stripped, value);
    }
    if (this.replaceData(data)) this.raiseReload();
  }
}

/**
 * @example
 * builder.add(new EnvironmentVariablesConfigurationSource("ASPNETCORE_"));
 */
export class EnvironmentVariablesConfigurationSource implements ConfigurationSource {
  /** Only variables with this prefix are read (default: all). */
  readonly prefix: string | undefined;
  /** The variables to read (default `process.env`). */
  readonly env: EnvironmentVariables | undefined;

  /** An environment variables source (ASP.NET Core's `AddEnvironmentVariables`). */
  constructor(prefix?: string, env?: EnvironmentVariables) {
    this.prefix = prefix;
    this.env = env;
  }

  /** Creates the provider. */
  build(): EnvironmentVariablesConfigurationProvider {
    return new EnvironmentVariablesConfigurationProvider(this.prefix, this.env);
  }
}

function normalize(name: string): string {
  return name.replaceAll("__", KEY_DELIMITER);
}
