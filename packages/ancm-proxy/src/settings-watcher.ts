/**
 * Recycling on a settings change, as ANCM recycles the app when `web.config`
 * changes: `web.config` and `ancm.json` in the site root are watched
 * (file-system events on the folder, a poll every second as the fallback);
 * after a change has settled for a moment the settings are read again, and
 * when they differ the module recycles the app with them. Settings that do
 * not load (a half-written file, an invalid attribute) are logged and the
 * app keeps running with the ones it has. The debug log settings
 * (`debugLevel`, `debugFile`) are read at the front's start only.
 *
 * @module
 */
import { type FSWatcher, statSync, watch } from "node:fs";
import { join } from "node:path";
import type { Logger } from "@x/abstractions";
import type { AncmSettings } from "./settings/ancm-settings.js";
import { ANCM_JSON_FILE, WEB_CONFIG_FILE } from "./settings/load-settings.js";

/** How long a change must rest before the settings are read again (editors write in steps). */
const SETTLE_MS = 150;
const POLL_MS = 1_000;

/** What the watcher needs of its surroundings. */
export interface SettingsWatcherOptions {
  readonly siteRoot: string;
  readonly logger: Logger;
  /** Reads the settings again (throws on invalid ones). */
  load(): AncmSettings;
  /** The settings in use now. */
  current(): AncmSettings;
  /** Recycles the app with `settings`. */
  recycle(settings: AncmSettings): Promise<void>;
}

/** Watches the site's settings files and recycles the app when they change. */
export class SettingsWatcher {
  readonly #options: SettingsWatcherOptions;
  readonly #files: string[];
  #signature: string;
  #watcher: FSWatcher | null = null;
  #poll: NodeJS.Timeout | null = null;
  #settle: NodeJS.Timeout | null = null;
  #applying: Promise<void> = Promise.resolve();

  constructor(options: SettingsWatcherOptions) {
    this.#options = options;
    this.#files = [join(options.siteRoot, WEB_CONFIG_FILE), join(options.siteRoot, ANCM_JSON_FILE)];
    this.#signature = this.#read();
  }

  /** Starts watching. */
  start(): void {
    try {
      this.#watcher = watch(this.#options.siteRoot, { persistent: false }, (_event, filename) => {
        if (filename === null || filename === WEB_CONFIG_FILE || filename === ANCM_JSON_FILE) this.#changed();
      });
      this.#watcher.on("error", () => {
        this.#watcher?.close();
        this.#watcher = null;
      });
    } catch {
      this.#watcher = null;
    }
    this.#poll = setInterval(() => {
      if (this.#read() !== this.#signature) this.#changed();
    }, POLL_MS);
    this.#poll.unref();
  }

  /** Stops watching; a recycle under way is waited for. */
  async stop(): Promise<void> {
    this.#watcher?.close();
    this.#watcher = null;
    if (this.#poll !== null) clearInterval(this.#poll);
    if (this.#settle !== null) clearTimeout(this.#settle);
    this.#poll = this.#settle = null;
    await this.#applying;
  }

  /** Size and modification time of both files: what tells a change. */
  #read(): string {
    return this.#files
      .map((file) => {
        try {
          const info = statSync(file);
          return `${info.size}:${info.mtimeMs}`;
        } catch {
          return "-";
        }
      })
      .join("|");
  }

  #changed(): void {
    if (this.#settle !== null) clearTimeout(this.#settle);
    this.#settle = setTimeout(() => {
      this.#settle = null;
      this.#applying = this.#applying.then(() => this.#apply());
    }, SETTLE_MS);
    this.#settle.unref();
  }

  async #apply(): Promise<void> {
    const signature = this.#read();
    if (signature === this.#signature) return;
    this.#signature = signature;
    const { logger } = this.#options;
    let settings: AncmSettings;
    try {
      settings = this.#options.load();
    } catch (error) {
      logger.error({ err: error }, `The site's settings changed but cannot be used; the application keeps running with the settings it has: ${(error as Error).message}`);
      return;
    }
    if (sameSettings(settings, this.#options.current())) return;
    for (const warning of settings.warnings) logger.warn({ source: settings.source }, warning);
    await this.#options.recycle(settings);
  }
}

/** Whether two loads give the same settings (a touch, or a change of comments and formatting). */
function sameSettings(a: AncmSettings, b: AncmSettings): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
