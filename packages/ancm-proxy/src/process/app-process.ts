/**
 * One out-of-process app: started through the watchdog with ANCM's
 * environment (`ASPNETCORE_PORT`, `ASPNETCORE_TOKEN`, `ASPNETCORE_APPL_PATH`),
 * ready once its port accepts connections, stopped with the shutdown event
 * and then signals.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { connect } from "node:net";
import type { Logger } from "@x/abstractions";
import { request } from "undici";
import type { AncmSettings } from "../settings/ancm-settings.js";
import { AppOutput } from "./app-output.js";
import { WATCHDOG_SOURCE } from "./watchdog.js";

/** ANCM polls the app's port this often while it starts. */
export const READY_POLL_MS = 250;
/** How long a process may take to go after SIGTERM before SIGKILL. */
const SIGTERM_GRACE_MS = 3_000;

/** What an {@link AppProcess} is started with. */
export interface AppProcessInit {
  readonly settings: AncmSettings;
  readonly port: number;
  readonly token: string;
  /** `ASPNETCORE_APPL_PATH`, e.g. `/`. */
  readonly applPath: string;
  readonly logger: Logger;
}

/** How an app process ended: its exit code, or the signal that killed it. */
export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Why a start failed: the process exited, or its port did not open within startupTimeLimit. */
export class AppStartError extends Error {
  /** Stable machine-readable code. */
  readonly code = "ERR_X_ANCM_STARTUP";
  /** The start of the process's output, for the log and the 502.5 page. */
  readonly output: string;
  /** `output` is what the process wrote before it failed. */
  constructor(message: string, output: string) {
    super(message);
    this.name = "AppStartError";
    this.output = output;
  }
}

/** One out-of-process app process, started through a watchdog with `ASPNETCORE_PORT` and the pairing token, and ready once its port accepts connections. */
export class AppProcess {
  /** The loopback port the app listens on (`ASPNETCORE_PORT`). */
  readonly port: number;
  /** The pairing token (`ASPNETCORE_TOKEN`) the front sends with each request. */
  readonly token: string;
  /** The process's output: the startup capture and the stdout log. */
  readonly output: AppOutput;
  /** Resolves when the watchdog (and so the app) has exited. */
  readonly exited: Promise<ExitInfo>;
  readonly #init: AppProcessInit;
  readonly #watchdog: ChildProcess;
  #pid: number | null = null;
  #exit: ExitInfo | null = null;
  #stopping = false;

  /** Spawns the process (through its watchdog); it can take requests once its port accepts connections. */
  constructor(init: AppProcessInit) {
    this.#init = init;
    this.port = init.port;
    this.token = init.token;
    const { settings } = init;
    this.output = new AppOutput(settings.stdoutLogEnabled ? settings.stdoutLogFile : null);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...settings.environmentVariables,
      ASPNETCORE_PORT: String(init.port),
      ASPNETCORE_TOKEN: init.token,
      ASPNETCORE_APPL_PATH: init.applPath,
    };
    this.#watchdog = spawn(process.execPath, ["-e", WATCHDOG_SOURCE, "--", settings.processPath, ...settings.argumentList], {
      cwd: settings.siteRoot,
      env,
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      windowsHide: true,
      // POSIX: the watchdog leads a process group of its own, which the app joins (see watchdog.ts).
      detached: process.platform !== "win32",
    });
    const onOutput = (chunk: Buffer) => this.output.write(chunk);
    this.#watchdog.stdout!.on("data", onOutput);
    this.#watchdog.stderr!.on("data", onOutput);
    this.#watchdog.on("message", (message: { pid?: number; exit?: ExitInfo }) => {
      if (typeof message?.pid === "number") {
        this.#pid = message.pid;
        this.output.openLogFile(message.pid);
        if (this.output.fileError !== null) init.logger.warn({ err: this.output.fileError }, "Could not create the stdout log file");
      }
      if (message?.exit !== undefined) this.#exit = message.exit;
    });
    this.exited = new Promise((resolve) => {
      this.#watchdog.once("exit", (code, signal) => {
        // Whatever ended the watchdog (even SIGKILL), nothing it started may stay: the app, its children.
        this.#killGroup();
        const info = this.#exit ?? { code, signal };
        this.#exit = info;
        void this.output.close();
        resolve(info);
      });
    });
    // A failed spawn of the watchdog itself (no node?) surfaces as an exit as well.
    this.#watchdog.once("error", (error) => init.logger.error({ err: error }, "Could not start the watchdog process"));
  }

  /** The app's pid (not the watchdog's), once reported. */
  get pid(): number | null {
    return this.#pid;
  }

  /** True once the process has exited. */
  get hasExited(): boolean {
    return this.#watchdog.exitCode !== null || this.#watchdog.signalCode !== null;
  }

  /** True once `stop()` was called. */
  get isStopping(): boolean {
    return this.#stopping;
  }

  /**
   * Resolves once the app's port accepts a connection (polled every 250 ms);
   * rejects with {@link AppStartError} when the process exits first or
   * `timeoutMs` passes.
   */
  async waitUntilReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exited.then(() => {
      exited = true;
    });
    for (;;) {
      if (exited || this.hasExited) {
        const info = await this.exited;
        throw new AppStartError(
          `The app process exited during startup (${info.signal !== null ? `signal ${info.signal}` : `code ${info.code}`}) before listening on port ${this.port}`,
          this.output.startupOutput,
        );
      }
      if (await canConnect(this.port)) return;
      if (Date.now() >= deadline) {
        throw new AppStartError(`The app process did not listen on port ${this.port} within startupTimeLimit (${timeoutMs / 1000} s)`, this.output.startupOutput);
      }
      await delay(Math.min(READY_POLL_MS, Math.max(0, deadline - Date.now())));
    }
  }

  /**
   * Stops the app as ANCM does: the shutdown event (`POST
   * {ASPNETCORE_APPL_PATH}/iisintegration`, expecting 202), up to
   * `shutdownTimeLimitMs` for it to exit, then SIGTERM, then SIGKILL.
   */
  async stop(shutdownTimeLimitMs: number): Promise<ExitInfo> {
    if (this.hasExited) return this.exited;
    this.#stopping = true;
    const { logger, applPath } = this.#init;
    const path = `${applPath.replace(/\/+$/, "")}/iisintegration`;
    try {
      const res = await request(`http://127.0.0.1:${this.port}${path}`, {
        method: "POST",
        headers: { "MS-ASPNETCORE-EVENT": "shutdown", "MS-ASPNETCORE-TOKEN": this.token, "content-length": "0" },
        headersTimeout: Math.max(1_000, Math.min(shutdownTimeLimitMs, 10_000)),
        bodyTimeout: 1_000,
      });
      await res.body.dump();
      if (res.statusCode !== 202) logger.debug({ status: res.statusCode, appPid: this.#pid }, "The app answered the shutdown event without 202");
    } catch (error) {
      logger.debug({ err: error, appPid: this.#pid }, "The shutdown event could not be delivered");
    }
    if (await exitsWithin(this.exited, shutdownTimeLimitMs)) return this.exited;
    logger.warn({ appPid: this.#pid }, `The app did not stop within shutdownTimeLimit (${shutdownTimeLimitMs / 1000} s); sending SIGTERM`);
    this.#signal("SIGTERM");
    if (await exitsWithin(this.exited, SIGTERM_GRACE_MS)) return this.exited;
    logger.warn({ appPid: this.#pid }, "The app did not stop after SIGTERM; killing it");
    this.kill();
    return this.exited;
  }

  /** Kills the app, everything it started and its watchdog at once. */
  kill(): void {
    this.#stopping = true;
    this.#killGroup();
    if (this.#pid !== null) {
      try {
        process.kill(this.#pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    if (!this.hasExited) this.#watchdog.kill("SIGKILL");
  }

  /** SIGKILL to the watchdog's process group (POSIX), which holds the app and whatever it started. */
  #killGroup(): void {
    const pid = this.#watchdog.pid;
    if (process.platform === "win32" || pid === undefined) return;
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // ESRCH: the group is gone already.
    }
  }

  #signal(signal: NodeJS.Signals): void {
    // The watchdog forwards SIGTERM/SIGINT to the app.
    if (!this.hasExited) this.#watchdog.kill(signal);
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
    socket.setTimeout(READY_POLL_MS * 4, () => done(false));
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function exitsWithin(exited: Promise<ExitInfo>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const result = await Promise.race([exited.then(() => true as const), timeout]);
  clearTimeout(timer);
  return result;
}
