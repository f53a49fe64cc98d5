/**
 * Watches one file for changes, for `reloadOnChange`
 * (.NET: `PhysicalFileProvider.Watch` + `FileConfigurationSource.ReloadDelay`).
 *
 * It watches the file's directory, not the file: editors save by writing a
 * temporary file and renaming it over the original, which leaves a watch on
 * the old inode silent, and an optional file may not exist yet. Events are
 * debounced because one save produces several events and the first may see a
 * half-written file. Where `fs.watch` is unavailable (some network and
 * container file systems) or fails later, it falls back to stat polling.
 *
 * @module
 */
import fs from "node:fs";
import path from "node:path";
import type { Logger } from "@x/abstractions";

/** .NET `FileConfigurationSource.ReloadDelay`: 250 ms. */
export const DEFAULT_RELOAD_DELAY = 250;

/**
 * Stat interval of the polling fallback. .NET's `PhysicalFilesWatcher` polls
 * every 4 s; one second keeps a reload within about a second of the save for
 * one `stat` call per second.
 */
export const POLLING_INTERVAL = 1000;

/** A running watch. */
export interface FileWatcher {
  /** True while polling with `fs.watchFile` because `fs.watch` was unavailable or failed. */
  readonly isPolling: boolean;
  /** Stops watching and cancels a pending notification. Safe to call twice. */
  close(): void;
}

export interface FileWatcherOptions {
  /** Debounce delay in ms. Default {@link DEFAULT_RELOAD_DELAY}. */
  delay?: number;
  logger?: Logger;
  /** Replaces `fs.watch`, so tests can simulate a platform without it. */
  watch?: typeof fs.watch;
}

// Windows and macOS file systems are case-insensitive by default, and the
// name fs.watch reports may differ in case from the one we were given.
const caseInsensitiveFs = process.platform === "win32" || process.platform === "darwin";

/**
 * Calls `onChange` (at most once per `delay` ms of quiet) after `filePath` is
 * created, written, replaced or deleted. Every handle is unref'd so a watch
 * never keeps the process alive.
 *
 * @example
 * const watcher = watchFileForChanges("/app/appsettings.json", () => provider.load());
 * watcher.close();
 */
export function watchFileForChanges(filePath: string, onChange: () => void, options: FileWatcherOptions = {}): FileWatcher {
  return new DirectoryFileWatcher(filePath, onChange, options);
}

class DirectoryFileWatcher implements FileWatcher {
  readonly #filePath: string;
  readonly #fileName: string;
  readonly #onChange: () => void;
  readonly #delay: number;
  readonly #logger: Logger | undefined;
  #watcher: fs.FSWatcher | undefined = undefined;
  #timer: NodeJS.Timeout | undefined = undefined;
  #polling = false;
  #closed = false;
  readonly #onStat = (current: fs.Stats, previous: fs.Stats): void => {
    if (
      current.mtimeMs !== previous.mtimeMs ||
      current.size !== previous.size ||
      current.ino !== previous.ino ||
      current.nlink !== previous.nlink
    ) {
      this.#schedule();
    }
  };

  constructor(filePath: string, onChange: () => void, options: FileWatcherOptions) {
    this.#filePath = filePath;
    this.#fileName = path.basename(filePath);
    this.#onChange = onChange;
    this.#delay = options.delay ?? DEFAULT_RELOAD_DELAY;
    this.#logger = options.logger;
    this.#start(options.watch ?? fs.watch);
  }

  get isPolling(): boolean {
    return this.#polling;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#watcher?.close();
    this.#watcher = undefined;
    if (this.#polling) fs.unwatchFile(this.#filePath, this.#onStat);
  }

  #start(watch: typeof fs.watch): void {
    try {
      const watcher = watch(path.dirname(this.#filePath), { persistent: false }, (_event, name) => {
        // Some platforms omit the name; then any event in the directory counts.
        if (name == null || this.#isOurFile(String(name))) this.#schedule();
      });
      watcher.on("error", (err) => this.#fallBack(err));
      watcher.unref?.();
      this.#watcher = watcher;
    } catch (err) {
      // ENOENT (the directory does not exist yet), ENOSPC (inotify limit), ENOSYS ...
      this.#fallBack(err);
    }
  }

  #fallBack(err: unknown): void {
    this.#watcher?.close();
    this.#watcher = undefined;
    if (this.#closed || this.#polling) return;
    this.#logger?.debug({ err, path: this.#filePath }, "fs.watch unavailable for configuration file; polling instead");
    this.#polling = true;
    // watchFile works for a file that does not exist yet: it reports the
    // change when the file appears.
    fs.watchFile(this.#filePath, { persistent: false, interval: POLLING_INTERVAL }, this.#onStat);
  }

  #isOurFile(name: string): boolean {
    return name === this.#fileName || (caseInsensitiveFs && name.toLowerCase() === this.#fileName.toLowerCase());
  }

  #schedule(): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (!this.#closed) this.#onChange();
    }, this.#delay);
    this.#timer.unref();
  }
}
