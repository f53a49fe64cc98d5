/**
 * Code hooks for endpoints defined in configuration (Kestrel's
 * `KestrelConfigurationLoader`): `options.configure(section).endpoint("Name", ...)`
 * adjusts a named `Kestrel:Endpoints:{Name}` endpoint before it is bound.
 * The server does not read configuration itself; the host (`@x/hosting`)
 * creates the endpoints and calls these hooks.
 *
 * @module
 */
import type { HttpsConnectionAdapterOptions } from "@x/https-sni";
import type { ListenOptions } from "./listen-options.js";

/** What a named configuration endpoint hook sees (Kestrel's `EndpointConfiguration`). */
export interface EndpointConfiguration {
  /** The endpoint's name as written in configuration. */
  readonly name: string;
  /** True when the endpoint's Url is `https://`. */
  readonly isHttps: boolean;
  /** The HTTPS options `useHttps` will get; changes made in the hook apply. */
  readonly httpsOptions: HttpsConnectionAdapterOptions;
  /** The endpoint's configuration section (a `Configuration` from `@x/hosting`). */
  readonly configSection: unknown;
}

/** Runs after endpoint defaults and before TLS is added, so it may change protocols, middleware and HTTPS options. */
export type ConfigureEndpoint = (listenOptions: ListenOptions, endpoint: EndpointConfiguration) => void;

/** Code hooks for the endpoints of a configuration section (Kestrel's `KestrelConfigurationLoader`). */
export class EndpointConfigurationLoader {
  /** The section endpoints are read from; undefined means the host's `Kestrel` section. */
  readonly configuration: unknown;
  /**
   * Whether the host rebinds configuration endpoints when the section
   * changes (Kestrel's `reloadOnChange`). The host's own `Kestrel` section
   * reloads; a section given to `configure(section)` does only when asked.
   */
  readonly reloadOnChange: boolean;
  readonly #endpoints = new Map<string, { readonly name: string; readonly configure: ConfigureEndpoint }>();

  /** `configuration` is the section to read; `reloadOnChange` defaults to true for the host's own `Kestrel` section. */
  constructor(configuration?: unknown, reloadOnChange = configuration === undefined) {
    this.configuration = configuration;
    this.reloadOnChange = reloadOnChange;
  }

  /**
   * Adjusts the configuration endpoint `name` (case-insensitive, as
   * configuration keys are). A later call for the same name replaces the hook.
   *
   * @example
   * options.configure().endpoint("Public", (listenOptions, endpoint) => {
   *   endpoint.httpsOptions.sslProtocols = ["Tls13"];
   *   listenOptions.useConnectionLogging();
   * });
   */
  endpoint(name: string, configure: ConfigureEndpoint): this {
    if (typeof name !== "string" || name.length === 0) throw new TypeError("The endpoint name must be a non-empty string");
    if (typeof configure !== "function") throw new TypeError("configure must be a function");
    this.#endpoints.set(name.toLowerCase(), { name, configure });
    return this;
  }

  /** The hook for a configuration endpoint, if code registered one. */
  hookFor(name: string): ConfigureEndpoint | undefined {
    return this.#endpoints.get(name.toLowerCase())?.configure;
  }

  /** Names hooks were registered for, as written in code. */
  get names(): string[] {
    return [...this.#endpoints.values()].map((e) => e.name);
  }
}
