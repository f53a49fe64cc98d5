/**
 * `app_offline.htm`: while the file exists at the site root (checked every
 * 200 ms), the app is taken offline and every request gets the file's
 * content as 503 `text/html`; when it is removed the next request starts the
 * app again.
 *
 * @module
 */
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";

/** The file that takes the app offline while it exists in the site root. */
export const APP_OFFLINE_FILE = "app_offline.htm";
/** ANCM checks for the file at most this often. */
export const APP_OFFLINE_POLL_MS = 200;

/** What {@link AppOfflineWatcher} reports. */
export interface AppOfflineEvents {
  /** The file appeared (content read): stop the app. */
  onOffline(content: Buffer): void | Promise<void>;
  /** The file is gone: the next request may start the app. */
  onOnline(): void | Promise<void>;
}

/** Polls the site root for `app_offline.htm` every {@link APP_OFFLINE_POLL_MS} ms and reports when it appears, changes or goes. */
export class AppOfflineWatcher {
  /** The absolute path of the watched `app_offline.htm`. */
  readonly path: string;
  readonly #events: AppOfflineEvents;
  #timer: NodeJS.Timeout | null = null;
  #content: Buffer | null = null;
  #signature = "";
  #checking = false;

  /** Watches `app_offline.htm` in `siteRoot`; `events` receive the changes. */
  constructor(siteRoot: string, events: AppOfflineEvents) {
    this.path = join(siteRoot, APP_OFFLINE_FILE);
    this.#events = events;
  }

  /** The file's content while the app is offline, else null. */
  get content(): Buffer | null {
    return this.#content;
  }

  /** Checks once now (so a file present at startup counts), then every 200 ms. */
  async start(): Promise<void> {
    await this.check();
    this.#timer = setInterval(() => void this.check(), APP_OFFLINE_POLL_MS);
    this.#timer.unref();
  }

  /** Stops polling. */
  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Looks at the file once; a change of its content while offline is picked up too. */
  async check(): Promise<void> {
    if (this.#checking) return;
    this.#checking = true;
    try {
      let info: Awaited<ReturnType<typeof stat>> | null = null;
      try {
        info = await stat(this.path);
      } catch {
        info = null;
      }
      if (info === null || !info.isFile()) {
        if (this.#content !== null) {
          this.#content = null;
          this.#signature = "";
          await this.#events.onOnline();
        }
        return;
      }
      const signature = `${info.size}:${info.mtimeMs}`;
      if (signature === this.#signature) return;
      let content: Buffer;
      try {
        content = await readFile(this.path);
      } catch {
        return;
      }
      const wasOnline = this.#content === null;
      this.#content = content;
      this.#signature = signature;
      if (wasOnline) await this.#events.onOffline(content);
    } finally {
      this.#checking = false;
    }
  }
}
