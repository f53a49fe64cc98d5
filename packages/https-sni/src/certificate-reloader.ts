/**
 * Reloads certificates whose files change on disk, so new connections get the
 * new certificate without a restart while open connections keep theirs
 * (Kestrel reloads certificates from configuration the same way).
 *
 * The directories holding the files are watched, not the files: editors and
 * tools replace a certificate by renaming a new file over it, and Kubernetes
 * swaps a `..data` symlink, and neither keeps a watch on the old file alive.
 * Any event schedules one debounced check that compares the files' bytes, so
 * spurious events cost a read and nothing else. A file that is unreadable or
 * invalid is logged and the previous certificate stays in use.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { type FSWatcher, readFileSync, unwatchFile, watch, watchFile } from "node:fs";
import { dirname } from "node:path";
import { type Logger, nullLogger } from "@x/abstractions";
import { type CertificateFileOptions, certificateFileSource, loadCertificate, type ServerCertificate } from "./certificate.js";

/** Waits this long after the last event before reading, so a file written in several steps is read once. */
const DEBOUNCE_MS = 100;
/** Polling interval when the platform cannot watch a directory. */
const POLL_MS = 2_000;

interface WatchedCertificate {
  readonly source: CertificateFileOptions;
  current: ServerCertificate;
  digest: string;
  timer: ReturnType<typeof setTimeout> | undefined;
  readonly stop: Array<() => void>;
}

/** SHA-256 of the files' bytes, or undefined when one cannot be read right now. */
function digestOf(source: CertificateFileOptions): string | undefined {
  try {
    const hash = createHash("sha256").update(readFileSync(source.path));
    if (source.keyPath !== undefined) hash.update(readFileSync(source.keyPath));
    return hash.digest("hex");
  } catch {
    return undefined;
  }
}

/** Watches certificate files and reloads them when they change, for endpoints configured from files. */
export class CertificateReloader {
  readonly #logger: Logger;
  readonly #watched = new Map<ServerCertificate, WatchedCertificate>();
  #closed = false;

  /** `logger` receives reload failures. */
  constructor(logger: Logger = nullLogger) {
    this.#logger = logger;
  }

  /** Starts watching the files of `certificate` when it was loaded from files; otherwise does nothing. */
  watch(certificate: ServerCertificate): void {
    if (this.#closed || this.#watched.has(certificate)) return;
    const source = certificateFileSource(certificate);
    if (source === undefined) return;
    const entry: WatchedCertificate = { source, current: certificate, digest: digestOf(source) ?? "", timer: undefined, stop: [] };
    this.#watched.set(certificate, entry);
    const directories = new Set([dirname(source.path), ...(source.keyPath === undefined ? [] : [dirname(source.keyPath)])]);
    for (const directory of directories) this.#watchDirectory(entry, directory);
  }

  /** The newest loaded version of `certificate` (itself when not watched or unchanged). */
  current(certificate: ServerCertificate): ServerCertificate {
    return this.#watched.get(certificate)?.current ?? certificate;
  }

  /** Stops every watch; `current` keeps answering with the last loaded versions. */
  close(): void {
    this.#closed = true;
    for (const entry of this.#watched.values()) {
      clearTimeout(entry.timer);
      for (const stop of entry.stop) stop();
      entry.stop.length = 0;
    }
  }

  #watchDirectory(entry: WatchedCertificate, directory: string): void {
    const schedule = () => this.#schedule(entry);
    let watcher: FSWatcher;
    try {
      // persistent: false, so a watch never keeps the process alive.
      watcher = watch(directory, { persistent: false }, schedule);
    } catch (error) {
      this.#logger.debug({ err: error, directory }, "Cannot watch the certificate directory; polling the files instead");
      this.#poll(entry);
      return;
    }
    watcher.on("error", (error) => {
      this.#logger.debug({ err: error, directory }, "Certificate directory watch failed; polling the files instead");
      watcher.close();
      if (!this.#closed) this.#poll(entry);
    });
    entry.stop.push(() => watcher.close());
  }

  #poll(entry: WatchedCertificate): void {
    const schedule = () => this.#schedule(entry);
    const files = [entry.source.path, ...(entry.source.keyPath === undefined ? [] : [entry.source.keyPath])];
    for (const file of files) {
      watchFile(file, { persistent: false, interval: POLL_MS }, schedule);
      entry.stop.push(() => unwatchFile(file, schedule));
    }
  }

  #schedule(entry: WatchedCertificate): void {
    if (this.#closed) return;
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => this.#reload(entry), DEBOUNCE_MS);
    entry.timer.unref();
  }

  #reload(entry: WatchedCertificate): void {
    entry.timer = undefined;
    if (this.#closed) return;
    const digest = digestOf(entry.source);
    if (digest === entry.digest) return;
    const path = entry.source.path;
    try {
      entry.current = loadCertificate(entry.source);
      entry.digest = digest ?? "";
      this.#logger.info({ path }, `Reloaded the certificate from '${path}'`);
    } catch (error) {
      // Remember the bad bytes so the same broken file is reported once, not on every event.
      entry.digest = digest ?? entry.digest;
      this.#logger.warn({ err: error, path }, `Could not reload the certificate from '${path}'; the previous certificate stays in use`);
    }
  }
}
