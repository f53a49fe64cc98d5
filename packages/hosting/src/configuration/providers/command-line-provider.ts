/**
 * Command-line configuration (.NET `CommandLineConfigurationProvider`).
 *
 * Accepted forms, where `key` may be a path such as `Kestrel:Limits:MaxRequestBodySize`:
 *
 * | form | meaning |
 * |---|---|
 * | `key=value` | sets `key` |
 * | `--key=value`, `/key=value` | sets `key` |
 * | `--key value`, `/key value` | sets `key` to the next argument |
 * | `-k value`, `-k=value`, `--alias value` | only through a switch mapping |
 *
 * As in .NET: a switch at the end without a value is ignored; an argument
 * with neither prefix nor `=` is ignored; a single-dash switch without `=`
 * that no mapping defines is ignored, but `-k=value` without a mapping is an
 * error; the last occurrence of a key wins.
 *
 * @module
 */
import { ConfigurationData } from "../configuration-data.js";
import { ConfigurationCommandLineError, ConfigurationErrorCode } from "../errors.js";
import type { ConfigurationSource } from "../provider.js";
import { ConfigurationProviderBase } from "./provider-base.js";

/** Maps switches (`-p`, `--port`) to configuration keys (`Port`). */
export type SwitchMappings = Readonly<Record<string, string>>;

/** Configuration from command-line arguments (`--key=value`, `--key value`, `/key value`, `key=value`), with switch mappings. */
export class CommandLineConfigurationProvider extends ConfigurationProviderBase {
  /** The arguments it parses. */
  readonly args: readonly string[];
  /** Validated mappings keyed by the lower-cased switch. */
  readonly #switchMappings: Map<string, string> | undefined;

  /** @throws ConfigurationCommandLineError `ERR_X_CONFIG_INVALID_SWITCH_MAPPING` for a malformed mapping. */
  constructor(args: readonly string[], switchMappings?: SwitchMappings) {
    super();
    this.args = [...args];
    this.#switchMappings = switchMappings === undefined ? undefined : validateSwitchMappings(switchMappings);
  }

  /** @throws ConfigurationCommandLineError `ERR_X_CONFIG_SHORT_SWITCH_NOT_DEFINED` for `-k=value` without a mapping. */
  override load(): void {
    const data = new ConfigurationData();
    const args = this.args;
    for (let i = 0; i < args.length; i++) {
      let arg = args[i];
      let keyStart = 0;
      if (arg.startsWith("--")) {
        keyStart = 2;
      } else if (arg.startsWith("-")) {
        keyStart = 1;
      } else if (arg.startsWith("/")) {
        // "/key" means "--key", also when looking up switch mappings.
        arg = `--${arg.slice(1)}`;
        keyStart = 2;
      }

      let key: string;
      let value: string;
      const separator = arg.indexOf("=");
      if (separator < 0) {
        // Neither a prefix nor "=": not a setting.
        if (keyStart === 0) continue;
        const mapped = this.#switchMappings?.get(arg.toLowerCase());
        if (mapped !== undefined) key = mapped;
        // An unmapped short switch is ignored, and so is not its value: the
        // next argument is read as an argument of its own.
        else if (keyStart === 1) continue;
        else key = arg.slice(keyStart);
        // A trailing switch without a value is ignored.
        if (i + 1 >= args.length) continue;
        value = args[++i];
      } else {
        const keySegment = arg.slice(0, separator);
        const mapped = this.#switchMappings?.get(keySegment.toLowerCase());
        if (mapped !== undefined) key = mapped;
        else if (keyStart === 1) {
          throw new ConfigurationCommandLineError(
            `The short switch '${arg}' is not defined in the switch mappings.`,
            ConfigurationErrorCode.SHORT_SWITCH_NOT_DEFINED,
            arg,
          );
        } else key = arg.slice(keyStart, separator);
        value = arg.slice(separator + 1);
      }
      data.set(key, value);
    }
    if (this.replaceData(data)) this.raiseReload();
  }
}

/**
 * @example
 * builder.add(new CommandLineConfigurationSource(process.argv.slice(2), { "-p": "Port" }));
 */
export class CommandLineConfigurationSource implements ConfigurationSource {
  /** The arguments to parse. */
  readonly args: readonly string[];
  /** Switch aliases (`-p` → `Port`), if any. */
  readonly switchMappings: SwitchMappings | undefined;

  /** A command-line source (ASP.NET Core's `AddCommandLine`). */
  constructor(args: readonly string[], switchMappings?: SwitchMappings) {
    this.args = args;
    this.switchMappings = switchMappings;
  }

  /** Creates the provider; validates the switch mappings. */
  build(): CommandLineConfigurationProvider {
    return new CommandLineConfigurationProvider(this.args, this.switchMappings);
  }
}

function validateSwitchMappings(switchMappings: SwitchMappings): Map<string, string> {
  const validated = new Map<string, string>();
  for (const [switchName, key] of Object.entries(switchMappings)) {
    if (!switchName.startsWith("-")) {
      throw new ConfigurationCommandLineError(
        `The switch mappings contain an invalid switch '${switchName}'.`,
        ConfigurationErrorCode.INVALID_SWITCH_MAPPING,
        switchName,
      );
    }
    // Configuration keys are case-insensitive, so "-P" and "-p" would collide.
    const normalized = switchName.toLowerCase();
    if (validated.has(normalized)) {
      throw new ConfigurationCommandLineError(
        `Keys in switch mappings are case-insensitive. A duplicated key '${switchName}' was found.`,
        ConfigurationErrorCode.INVALID_SWITCH_MAPPING,
        switchName,
      );
    }
    validated.set(normalized, key);
  }
  return validated;
}
