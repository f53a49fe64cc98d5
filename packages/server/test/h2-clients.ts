/**
 * Runs the real HTTP/2 clients for the interop tests (`curl`, `nghttp`,
 * `h2load`, headless `chromium`): argument arrays only (no shell), bounded
 * in time, every child tracked so the tests can kill what is left, and
 * their output parsed.
 *
 * Browsers start helper processes (zygote, renderer, GPU, network service),
 * so a child can be started in its own process group, and then the whole
 * group is killed on timeout or cleanup, not only the first process.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import type { ProcessResult } from "./cli-clients.js";

export interface GroupRunOptions {
  /** Killed with SIGKILL after this many milliseconds. Default 15 s. */
  readonly timeoutMs?: number;
  /**
   * Starts the child as the leader of a new process group, and kills the
   * whole group (every process it started) on timeout and in `killAll`.
   */
  readonly processGroup?: boolean;
  /** Extra environment variables. */
  readonly env?: Readonly<Record<string, string>>;
}

/** Environment for the clients: proxies and TLS key logging from the developer's shell must not apply. */
function clientEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ["http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY", "SSLKEYLOGFILE"]) {
    delete env[name];
  }
  return { ...env, ...extra };
}

/** Starts child processes and remembers the ones still running, so `killAll` can end them (and their groups). */
export class ClientProcesses {
  readonly #running = new Map<ChildProcess, boolean>();

  /** Runs `command` with `args` (never through a shell), stdin closed, and collects its output. */
  run(command: string, args: readonly string[], options: GroupRunOptions = {}): Promise<ProcessResult> {
    const timeoutMs = options.timeoutMs ?? 15_000;
    const group = options.processGroup ?? false;
    return new Promise<ProcessResult>((resolve) => {
      const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env: clientEnv(options.env), shell: false, detached: group });
      this.#running.set(child, group);
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let timedOut = false;
      let spawnError: NodeJS.ErrnoException | undefined;
      let settled = false;
      const timer = setTimeout(() => {
        timedOut = true;
        kill(child, group);
      }, timeoutMs);
      const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.#running.delete(child);
        // Helpers a browser left behind after its main process exited go with it.
        if (group) kill(child, group);
        resolve({
          code,
          signal,
          stdout: Buffer.concat(stdout).toString("utf8"),
          stderr: Buffer.concat(stderr).toString("utf8"),
          timedOut,
          spawnError,
        });
      };
      child.stdout!.on("data", (chunk: Buffer) => stdout.push(chunk));
      child.stderr!.on("data", (chunk: Buffer) => stderr.push(chunk));
      child.once("error", (error: NodeJS.ErrnoException) => {
        spawnError = error;
        finish(null, null);
      });
      child.once("close", (code, signal) => finish(code, signal));
    });
  }

  /** SIGKILLs every child that is still running (with its process group, when it has one). */
  killAll(): void {
    for (const [child, group] of this.#running) kill(child, group);
    this.#running.clear();
  }

  get runningCount(): number {
    return this.#running.size;
  }
}

function kill(child: ChildProcess, group: boolean): void {
  if (group && child.pid !== undefined) {
    try {
      // A negative pid signals the process group the child leads.
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // ESRCH: the group is already gone.
    }
    return;
  }
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
}

/** The first line of `command --version` (or `-V`), or the reason it cannot run. */
export async function probe(procs: ClientProcesses, command: string, args: readonly string[] = ["--version"]): Promise<{ line: string } | { missing: string }> {
  const result = await procs.run(command, args, { timeoutMs: 15_000 });
  if (result.spawnError !== undefined) return { missing: `${command} is not on PATH (${result.spawnError.code ?? result.spawnError.message})` };
  if (result.timedOut) return { missing: `${command} ${args.join(" ")} did not finish within 15 s` };
  if (result.code !== 0) return { missing: `${command} ${args.join(" ")} exited with ${result.code}: ${result.stderr.trim().split("\n")[0]}` };
  return { line: `${result.stdout}${result.stderr}`.trim().split("\n")[0] ?? "" };
}

/** Null when curl can speak HTTP/2 (built with nghttp2), or the reason it cannot. */
export async function curlH2UnavailableReason(procs: ClientProcesses): Promise<string | null> {
  const result = await procs.run("curl", ["--version"], { timeoutMs: 5_000 });
  if (result.spawnError !== undefined) return `curl is not on PATH (${result.spawnError.code ?? result.spawnError.message})`;
  if (result.code !== 0) return `curl --version failed: ${result.stderr.trim()}`;
  const first = result.stdout.split("\n")[0] ?? "";
  if (!/^Features:.*\bHTTP2\b/m.test(result.stdout)) return `curl is built without HTTP/2: ${first}`;
  if (!/^Features:.*\bSSL\b/m.test(result.stdout)) return `curl is built without TLS: ${first}`;
  return null;
}

/** curl's version as [major, minor], from `curl --version`. */
export async function curlVersion(procs: ClientProcesses): Promise<readonly [number, number] | null> {
  const result = await procs.run("curl", ["--version"], { timeoutMs: 5_000 });
  const match = /^curl (\d+)\.(\d+)/.exec(result.stdout);
  return match === null ? null : [Number(match[1]), Number(match[2])];
}

export interface CurlH2Result extends ProcessResult {
  /** The HTTP status, 0 when no response arrived. */
  readonly status: number;
  /** `%{http_version}`: "2", "1.1", or "0" when no response arrived. */
  readonly httpVersion: string;
  /** stdout before the write-out mark (the body, unless `-o` sent it to a file). */
  readonly body: string;
}

const WRITE_OUT_MARK = "\n@@curl=";

/** One curl request to `url`; `args` come before the URL (e.g. `--http2-prior-knowledge`, `--resolve ...`). */
export async function curlH2(procs: ClientProcesses, url: string, args: readonly string[] = []): Promise<CurlH2Result> {
  const result = await procs.run(
    "curl",
    [
      // -q must come first: ignore any .curlrc.
      "-q",
      "--silent",
      "--show-error",
      "--noproxy",
      "*",
      "--connect-timeout",
      "3",
      "--max-time",
      "15",
      ...args,
      "--write-out",
      `${WRITE_OUT_MARK}%{http_code} %{http_version}`,
      url,
    ],
    { timeoutMs: 20_000 },
  );
  const at = result.stdout.lastIndexOf(WRITE_OUT_MARK);
  const [status = "0", httpVersion = "0"] = at === -1 ? [] : result.stdout.slice(at + WRITE_OUT_MARK.length).trim().split(" ");
  return { ...result, status: Number(status), httpVersion, body: at === -1 ? result.stdout : result.stdout.slice(0, at) };
}

/** What `nghttp -v` printed, split into the frames it sent and received. */
export interface NghttpResult extends ProcessResult {
  /** `The negotiated protocol: h2` over TLS; undefined for cleartext. */
  readonly negotiated: string | undefined;
  /** The settings of the first non-ACK SETTINGS frame received, by name (`SETTINGS_MAX_FRAME_SIZE`). */
  readonly serverSettings: Readonly<Record<string, number>>;
  /** Every frame received, e.g. `{ type: "WINDOW_UPDATE", streamId: 0, text }`. */
  readonly received: readonly NghttpFrame[];
  /** Every frame sent. */
  readonly sent: readonly NghttpFrame[];
  /** Response header fields received, by stream: `recv (stream_id=13) :status: 200`. */
  readonly responseHeaders: ReadonlyMap<number, ReadonlyArray<readonly [string, string]>>;
}

export interface NghttpFrame {
  readonly direction: "send" | "recv";
  readonly type: string;
  readonly streamId: number;
  readonly flags: number;
  /** The frame line and its indented detail lines. */
  readonly text: string;
}

/** Parses nghttp's verbose (`-v`) output. */
export function parseNghttp(result: ProcessResult): NghttpResult {
  const frames: NghttpFrame[] = [];
  const responseHeaders = new Map<number, Array<readonly [string, string]>>();
  const lines = result.stdout.split("\n");
  const frameLine = /^\[\s*[\d.]+\] (send|recv) (\w+) frame <length=\d+, flags=0x([0-9a-f]+), stream_id=(\d+)>/;
  const headerLine = /^\[\s*[\d.]+\] recv \(stream_id=(\d+)\) (:?[^:]+): (.*)$/;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const frame = frameLine.exec(line);
    if (frame !== null) {
      let text = line;
      while (i + 1 < lines.length && /^\s{2,}\S/.test(lines[i + 1]!)) text += `\n${lines[++i]}`;
      frames.push({ direction: frame[1] as "send" | "recv", type: frame[2]!, flags: Number.parseInt(frame[3]!, 16), streamId: Number(frame[4]), text });
      continue;
    }
    const header = headerLine.exec(line);
    if (header !== null) {
      const id = Number(header[1]);
      const list = responseHeaders.get(id) ?? [];
      list.push([header[2]!, header[3]!]);
      responseHeaders.set(id, list);
    }
  }
  const received = frames.filter((f) => f.direction === "recv");
  const settingsFrame = received.find((f) => f.type === "SETTINGS" && (f.flags & 0x1) === 0);
  const serverSettings: Record<string, number> = {};
  for (const match of settingsFrame?.text.matchAll(/\[(SETTINGS_\w+)\(0x[0-9a-f]+\):(\d+)\]/g) ?? []) serverSettings[match[1]!] = Number(match[2]);
  return {
    ...result,
    negotiated: /^The negotiated protocol: (\S+)$/m.exec(result.stdout)?.[1],
    serverSettings,
    received,
    sent: frames.filter((f) => f.direction === "send"),
    responseHeaders,
  };
}

/** Runs `nghttp -nv` (no output of bodies, verbose) with `args` and the URIs; `-t` bounds each request. */
export async function nghttp(procs: ClientProcesses, uris: readonly string[], args: readonly string[] = []): Promise<NghttpResult> {
  return parseNghttp(await procs.run("nghttp", ["-n", "-v", "-t", "10", ...args, ...uris], { timeoutMs: 20_000 }));
}

/** The summary h2load prints. */
export interface H2loadResult extends ProcessResult {
  /** `Application protocol: h2` (TLS only); undefined when not printed. */
  readonly applicationProtocol: string | undefined;
  /** From `requests: N total, N started, N done, N succeeded, N failed, N errored, N timeout`. */
  readonly requests: Readonly<Record<"total" | "started" | "done" | "succeeded" | "failed" | "errored" | "timeout", number>> | undefined;
  /** From `status codes: N 2xx, N 3xx, N 4xx, N 5xx`. */
  readonly statusCodes: Readonly<Record<"2xx" | "3xx" | "4xx" | "5xx", number>> | undefined;
}

/** Runs h2load against `url` with `args` (e.g. `-n 2000 -c 4 -m 10`). */
export async function h2load(procs: ClientProcesses, url: string, args: readonly string[]): Promise<H2loadResult> {
  const result = await procs.run("h2load", [...args, url], { timeoutMs: 30_000 });
  const requests = /^requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/m.exec(result.stdout);
  const codes = /^status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/m.exec(result.stdout);
  return {
    ...result,
    applicationProtocol: /^Application protocol: (\S+)$/m.exec(result.stdout)?.[1],
    requests:
      requests === null
        ? undefined
        : {
            total: Number(requests[1]),
            started: Number(requests[2]),
            done: Number(requests[3]),
            succeeded: Number(requests[4]),
            failed: Number(requests[5]),
            errored: Number(requests[6]),
            timeout: Number(requests[7]),
          },
    statusCodes: codes === null ? undefined : { "2xx": Number(codes[1]), "3xx": Number(codes[2]), "4xx": Number(codes[3]), "5xx": Number(codes[4]) },
  };
}

/**
 * Loads `url` in headless Chromium and returns the DOM after the load event
 * (`--dump-dom`). `--ignore-certificate-errors`: the browser does not trust
 * the test CA. The profile lives in `userDataDir`, which the caller removes.
 */
export async function chromiumDumpDom(
  procs: ClientProcesses,
  command: string,
  url: string,
  options: { readonly userDataDir: string; readonly hostResolverRules?: string; readonly timeoutMs?: number },
): Promise<ProcessResult> {
  return procs.run(
    command,
    [
      "--headless=new",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--ignore-certificate-errors",
      "--no-first-run",
      "--no-default-browser-check",
      "--disable-extensions",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-proxy-server",
      `--user-data-dir=${options.userDataDir}`,
      ...(options.hostResolverRules === undefined ? [] : [`--host-resolver-rules=${options.hostResolverRules}`]),
      "--dump-dom",
      url,
    ],
    { timeoutMs: options.timeoutMs ?? 60_000, processGroup: true, env: { HOME: options.userDataDir, XDG_CONFIG_HOME: options.userDataDir, XDG_CACHE_HOME: options.userDataDir } },
  );
}
