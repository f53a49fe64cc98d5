/**
 * The out-of-process app processes (`processesPerApplication` of them):
 * each slot is started by the first request that needs it, requests go
 * round-robin over the slots, a process that exits is restarted by the next
 * request, and more than `rapidFailsPerMinute` failures in a rolling minute
 * stop restarts for the rest of that minute, as ANCM does.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import type { Logger } from "@x/abstractions";
import type { AncmSettings } from "../settings/ancm-settings.js";
import { AppProcess, AppStartError } from "./app-process.js";
import { configuredPort, randomFreePort } from "./ports.js";

const MINUTE_MS = 60_000;

/** What {@link ProcessManager.acquire} gives: a running process, or why there is none. */
export type Acquired =
  | { readonly process: AppProcess }
  /** The app could not be started (after one retry): the 502.5 page. */
  | { readonly failure: "startup"; readonly error: AppStartError }
  /** Too many failures in the last minute: no restart until the window allows (503). */
  | { readonly failure: "rapid-fail" }
  /** The manager is stopped (app_offline.htm, or the front is shutting down). */
  | { readonly failure: "stopped" };

interface Slot {
  process: AppProcess | null;
  starting: Promise<Acquired> | null;
}

/** What a {@link ProcessManager} is created with. */
export interface ProcessManagerInit {
  readonly settings: AncmSettings;
  readonly logger: Logger;
  /** `ASPNETCORE_APPL_PATH` (default `/`). */
  readonly applPath?: string;
  /** Called when a process that was ready has exited (its connection pool can go). */
  readonly onProcessExit?: (process: AppProcess) => void;
}

/** Starts, restarts and stops the out-of-process app processes and hands them out round-robin, with ANCM's rapid-failure limit. */
export class ProcessManager {
  readonly #init: ProcessManagerInit;
  readonly #slots: Slot[];
  /** When each recent failure (crash or failed start) happened. */
  readonly #failures: number[] = [];
  #next = 0;
  #stopped = false;

  /** Creates `processesPerApplication` empty slots; processes start on demand. */
  constructor(init: ProcessManagerInit) {
    this.#init = init;
    this.#slots = Array.from({ length: init.settings.processesPerApplication }, () => ({ process: null, starting: null }));
  }

  /** Running processes (for tests and diagnostics). */
  get processes(): AppProcess[] {
    return this.#slots.flatMap((s) => (s.process !== null && !s.process.hasExited ? [s.process] : []));
  }

  /** True once `stop()` was called. */
  get isStopped(): boolean {
    return this.#stopped;
  }

  /**
   * The next process in turn when it is running, without waiting for
   * anything (the common case, and the hot path); null when `acquire` must
   * start or wait for it, or say why there is none. The turn is taken only
   * when a process is returned.
   */
  tryAcquire(): AppProcess | null {
    if (this.#stopped) return null;
    const running = this.#slots[this.#next % this.#slots.length]!.process;
    if (running === null || running.hasExited || running.isStopping) return null;
    this.#next++;
    return running;
  }

  /** The next process in turn, started if it is not running. */
  acquire(): Promise<Acquired> {
    if (this.#stopped) return Promise.resolve({ failure: "stopped" });
    const index = this.#next++ % this.#slots.length;
    const slot = this.#slots[index]!;
    const running = slot.process;
    if (running !== null && !running.hasExited && !running.isStopping) return Promise.resolve({ process: running });
    slot.starting ??= this.#start(index, slot).finally(() => {
      slot.starting = null;
    });
    return slot.starting;
  }

  /** Lets `acquire` start processes again (app_offline.htm removed). */
  resume(): void {
    this.#stopped = false;
  }

  /** Stops every process gracefully (shutdown event, then signals) and refuses to start new ones until `resume`. */
  async stopAll(): Promise<void> {
    this.#stopped = true;
    const stopping: Promise<unknown>[] = [];
    for (const slot of this.#slots) {
      if (slot.starting !== null) stopping.push(slot.starting);
      const p = slot.process;
      if (p !== null) stopping.push(p.stop(this.#init.settings.shutdownTimeLimitMs));
    }
    await Promise.allSettled(stopping);
    // A start that finished meanwhile is stopped too.
    await Promise.allSettled(this.#slots.map((s) => (s.process === null ? undefined : s.process.stop(this.#init.settings.shutdownTimeLimitMs))));
  }

  /** Kills every process at once (the front is exiting). */
  killAll(): void {
    this.#stopped = true;
    for (const slot of this.#slots) slot.process?.kill();
  }

  #lockedOut(now: number): boolean {
    while (this.#failures.length > 0 && now - this.#failures[0]! >= MINUTE_MS) this.#failures.shift();
    return this.#failures.length > this.#init.settings.rapidFailsPerMinute;
  }

  #recordFailure(): void {
    this.#failures.push(Date.now());
  }

  async #start(index: number, slot: Slot): Promise<Acquired> {
    const { settings, logger } = this.#init;
    // A start fails, is killed and retried once; then requests get the startup failure page.
    let lastError: AppStartError | null = null;
    for (let attempt = 1; attempt <= 2; attempt++) {
      if (this.#stopped) return { failure: "stopped" };
      if (this.#lockedOut(Date.now())) {
        logger.error(`The app failed more than rapidFailsPerMinute (${settings.rapidFailsPerMinute}) times in the last minute; not restarting it for now`);
        return { failure: "rapid-fail" };
      }
      const process = await this.#spawn();
      slot.process = process;
      try {
        await process.waitUntilReady(settings.startupTimeLimitMs);
      } catch (error) {
        lastError = error instanceof AppStartError ? error : new AppStartError((error as Error).message, process.output.startupOutput);
        process.kill();
        await process.exited;
        slot.process = null;
        this.#recordFailure();
        logger.error(
          { attempt, port: process.port, appPid: process.pid, output: lastError.output, stdoutLogFile: process.output.fileName ?? undefined },
          `Application startup failed (attempt ${attempt} of 2): ${lastError.message}`,
        );
        continue;
      }
      if (this.#stopped) {
        await process.stop(settings.shutdownTimeLimitMs);
        slot.process = null;
        return { failure: "stopped" };
      }
      logger.info({ appPid: process.pid, port: process.port, slot: index }, `Application process started, listening on 127.0.0.1:${process.port}`);
      void process.exited.then((info) => {
        if (slot.process === process) slot.process = null;
        this.#init.onProcessExit?.(process);
        if (process.isStopping) return;
        this.#recordFailure();
        logger.warn({ appPid: process.pid, code: info.code, signal: info.signal }, "The application process exited unexpectedly; the next request restarts it");
      });
      return { process };
    }
    return { failure: "startup", error: lastError! };
  }

  async #spawn(): Promise<AppProcess> {
    const { settings, logger } = this.#init;
    const taken = new Set(this.processes.map((p) => p.port));
    const configured = configuredPort(settings.environmentVariables.ASPNETCORE_PORT);
    // A configured port serves one process; others (processesPerApplication > 1) get random ones.
    const port = configured !== null && !taken.has(configured) ? configured : await randomFreePort(taken);
    const token = settings.environmentVariables.ASPNETCORE_TOKEN ?? randomBytes(16).toString("hex");
    return new AppProcess({ settings, port, token, applPath: this.#init.applPath ?? "/", logger });
  }
}
