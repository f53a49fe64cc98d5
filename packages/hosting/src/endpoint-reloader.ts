/**
 * Rebinds configuration endpoints when their section changes while the host
 * runs (Kestrel's `reloadOnChange`, on by default for the `Kestrel`
 * section): endpoints removed from configuration stop, new ones bind, and
 * changed ones (any setting of theirs, `EndpointDefaults`, or the default
 * certificate they rely on) are stopped and bound again. Unchanged endpoints
 * keep serving, their connections untouched.
 *
 * @module
 */
import type { Logger } from "@x/abstractions";
import type { Server, ServerOptions } from "@x/server";
import { readCertificate } from "./certificate-configuration.js";
import type { Configuration } from "./configuration/index.js";
import { applyEndpointDefaults, type ConfigurationEndpoint, loadConfigurationEndpoints } from "./kestrel-configuration.js";

export interface EndpointReloaderInit {
  readonly server: Server;
  readonly options: ServerOptions;
  /** The section endpoints come from (`Kestrel`, or the one given to `options.configure`). */
  readonly section: Configuration;
  readonly logger: Logger;
  readonly contentRoot: string;
  /** How long connections of a removed endpoint may take to finish. */
  readonly shutdownTimeoutMs: () => number;
}

export class EndpointReloader {
  readonly #init: EndpointReloaderInit;
  #current: Map<string, ConfigurationEndpoint>;
  #queue: Promise<void> = Promise.resolve();
  #disposed = false;

  constructor(init: EndpointReloaderInit, initial: readonly ConfigurationEndpoint[]) {
    this.#init = init;
    this.#current = byName(initial);
  }

  /** Queues a comparison of the configuration with what is bound (reloads run one at a time). */
  onConfigurationChanged(): void {
    if (this.#disposed) return;
    this.#queue = this.#queue.then(() => this.#reload());
  }

  /** Resolves once the queued reloads are done. */
  get settled(): Promise<void> {
    return this.#queue;
  }

  dispose(): void {
    this.#disposed = true;
  }

  async #reload(): Promise<void> {
    if (this.#disposed) return;
    const { server, options, section, logger, contentRoot } = this.#init;
    let next: ConfigurationEndpoint[];
    try {
      const certificate = readCertificate(section.getSection("Certificates:Default"), contentRoot);
      if (certificate !== undefined) options.defaultCertificate = certificate;
      applyEndpointDefaults(section, options);
      next = loadConfigurationEndpoints(section, options, logger, contentRoot, this.#current);
    } catch (error) {
      const key = (error as { key?: string }).key;
      logger.error(
        { err: error, key },
        `The changed endpoint configuration is invalid; the current endpoints keep serving: ${(error as Error).message}${key ? ` (configuration key '${key}')` : ""}`,
      );
      return;
    }
    const previous = new Set([...this.#current.values()].map((e) => e.listenOptions));
    const kept = new Set(next.map((e) => e.listenOptions));
    const remove = [...previous].filter((lo) => !kept.has(lo));
    const add = next.filter((e) => !previous.has(e.listenOptions));
    if (remove.length === 0 && add.length === 0) return;
    logger.info(`The endpoint configuration changed: stopping ${remove.length} endpoint(s), starting ${add.length}`);
    let failed = new Set<unknown>();
    try {
      const failures = await server.rebind(
        remove,
        add.map((e) => e.listenOptions),
        this.#init.shutdownTimeoutMs(),
      );
      failed = new Set(failures.map((f) => f.listenOptions));
      for (const e of add) {
        if (failed.has(e.listenOptions)) logger.error({ key: `${section.getSection("Endpoints").getSection(e.name).path}:Url` }, `Endpoint '${e.name}' could not be bound; it will be retried on the next configuration change`);
      }
    } catch (error) {
      // The server stopped meanwhile: nothing is bound any more.
      logger.debug({ err: error }, "Endpoint reload skipped");
      return;
    }
    this.#current = byName(next.filter((e) => !failed.has(e.listenOptions)));
  }
}

function byName(endpoints: readonly ConfigurationEndpoint[]): Map<string, ConfigurationEndpoint> {
  return new Map(endpoints.map((e) => [e.name.toLowerCase(), e]));
}
