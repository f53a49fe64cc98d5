/**
 * `app_offline.htm`: while the file exists at the site root, the app is taken
 * offline and every request gets the file's content as 503 `text/html`; when
 * it is removed the next request starts the app again. The file is noticed
 * at once through file-system events on the site root (`fs.watch`), with
 * polling as the fallback (every 200 ms where events are not available, as
 * ANCM polls; every second as a safety net where they are). Detection never
 * waits for a transition: the app may take `shutdownTimeLimit` to stop, and
 * the file can be removed meanwhile; transitions run one after another.
 *
 * @module
 */
import { type FSWatcher, watch } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";

/** The file that takes the app offline while it exists in the site root. */
export const APP_OFFLINE_FILE = "app_offline.htm";
/** ANCM checks for the file at most this often; ours where file-system events are not available. */
export const APP_OFFLINE_POLL_MS = 200;
/** The safety-net poll while file-system events are watched. */
const WATCHED_POLL_MS = 1_000;

/** What {@link AppOfflineWatcher} reports. */
export interface AppOfflineEvents {
  /** The file appeared (content read): stop the app. */
  onOffline(content: Buffer): void | Promise<void>;
  /** The file is gone: the next request may start the app. */
  onOnline(): void | Promise<void>;
}

/** Watches the site root for `app_offline.htm` and reports when it appears, changes or goes. */
export class AppOfflineWatcher {
  /** The absolute path of the watched `app_offline.htm`. */
  readonly path: string;
  readonly #siteRoot: string;
  readonly #events: AppOfflineEvents;
  #timer: NodeJS.Timeout | null = null;
  #watcher: FSWatcher | null = null;
  #content: Buffer | null = null;
  #signature = "";
  #checking = false;
  #again = false;
  /** The transitions (offline, online), one after another. */
  #transitions: Promise<void> = Promise.resolve();

  /** Watches `app_offline.htm` in `siteRoot`; `events` receive the changes. */
  constructor(siteRoot: string, events: AppOfflineEvents) {
    this.#siteRoot = siteRoot;
    this.path = join(siteRoot, APP_OFFLINE_FILE);
    this.#events = events;
  }

  /** The file's content while the app is offline, else null. */
  get content(): Buffer | null {
    return this.#content;
  }

  /** Settles once the transitions reported so far are done (the app stopped, or resumed). */
  get settled(): Promise<void> {
    return this.#transitions;
  }

  /** Checks once now (so a file present at startup counts), then watches. */
  async start(): Promise<void> {
    await this.check();
    await this.#transitions;
    let pollMs = APP_OFFLINE_POLL_MS;
    try {
      this.#watcher = watch(this.#siteRoot, { persistent: false }, (_event, filename) => {
        // Some platforms give no name: check anyway.
        if (filename === null || filename === APP_OFFLINE_FILE) void this.check();
      });
      this.#watcher.on("error", () => {
        // The folder's watch broke (removed, too many watches): polling carries on at ANCM's pace.
        this.#watcher?.close();
        this.#watcher = null;
        this.#poll(APP_OFFLINE_POLL_MS);
      });
      pollMs = WATCHED_POLL_MS;
    } catch {
      this.#watcher = null;
    }
    this.#poll(pollMs);
  }

  #poll(ms: number): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = setInterval(() => void this.check(), ms);
    this.#timer.unref();
  }

  /** Stops watching. */
  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.#watcher?.close();
    this.#watcher = null;
  }

  /** Looks at the file once (again, if a look is under way); a change of its content while offline is picked up too. */
  async check(): Promise<void> {
    if (this.#checking) {
      this.#again = true;
      return;
    }
    this.#checking = true;
    try {
      do {
        this.#again = false;
        await this.#look();
      } while (this.#again);
    } finally {
      this.#checking = false;
    }
  }

  async #look(): Promise<void> {
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
        this.#transition(() => this.#events.onOnline());
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
    if (wasOnline) this.#transition(() => this.#events.onOffline(content));
  }

  /** Queues a transition after the ones before it; a failing one does not stop the next. */
  #transition(run: () => void | Promise<void>): void {
    this.#transitions = this.#transitions.then(run).catch(() => {});
  }
}
