/**
 * Runs the real command-line TLS clients (`curl`, `openssl s_client`) for the
 * HTTPS tests: argument arrays only (no shell), bounded in time, every child
 * tracked so the tests can kill what is left, and their output parsed.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";

/** What a finished (or killed) child process left behind. */
export interface ProcessResult {
  /** Exit code; null when it was killed or could not start. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when it was killed for taking longer than its time limit. */
  readonly timedOut: boolean;
  /** Set when the program could not be started (e.g. ENOENT). */
  readonly spawnError: NodeJS.ErrnoException | undefined;
}

export interface RunOptions {
  /** Written to stdin, which is then closed; stdin is closed at once when absent. */
  readonly input?: string;
  /** Killed with SIGKILL after this many milliseconds. Default 8 s. */
  readonly timeoutMs?: number;
}

/** Environment for the clients: proxies and TLS key logging from the developer's shell must not apply. */
function clientEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ["http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "SSLKEYLOGFILE"]) delete env[name];
  return env;
}

/** Starts child processes and remembers the ones still running, so `killAll` can end them. */
export class CliProcesses {
  readonly #running = new Set<ChildProcess>();

  /** Runs `command` with `args` (never through a shell) and collects its output. */
  run(command: string, args: readonly string[], options: RunOptions = {}): Promise<ProcessResult> {
    const timeoutMs = options.timeoutMs ?? 8_000;
    return new Promise<ProcessResult>((resolve) => {
      const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"], env: clientEnv(), shell: false });
      this.#running.add(child);
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let timedOut = false;
      let spawnError: NodeJS.ErrnoException | undefined;
      let settled = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill("SIGKILL");
      }, timeoutMs);
      const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.#running.delete(child);
        resolve({
          code,
          signal,
          stdout: Buffer.concat(stdout).toString("utf8"),
          stderr: Buffer.concat(stderr).toString("utf8"),
          timedOut,
          spawnError,
        });
      };
      child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
      // The client may exit before reading its input (a refused handshake): EPIPE is expected.
      child.stdin.on("error", () => {});
      child.once("error", (error: NodeJS.ErrnoException) => {
        spawnError = error;
        finish(null, null);
      });
      child.once("close", (code, signal) => finish(code, signal));
      if (options.input !== undefined) child.stdin.end(options.input);
      else child.stdin.end();
    });
  }

  /** SIGKILLs every child that is still running. */
  killAll(): void {
    for (const child of this.#running) {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
    this.#running.clear();
  }

  get runningCount(): number {
    return this.#running.size;
  }
}

/** Names of TLS libraries curl can be built with, as `curl --version` prints them. */
const CURL_TLS_BACKENDS = /\b(OpenSSL|LibreSSL|BoringSSL|quictls|AWS-LC|GnuTLS|NSS|wolfSSL|mbedTLS|rustls|Schannel|SecureTransport)\b/i;

/** Null when curl can run these tests, or the reason it cannot. */
export async function curlUnavailableReason(procs: CliProcesses): Promise<string | null> {
  const result = await procs.run("curl", ["--version"], { timeoutMs: 5_000 });
  if (result.spawnError !== undefined) return `curl is not on PATH (${result.spawnError.code ?? result.spawnError.message})`;
  if (result.code !== 0) return `curl --version failed: ${result.stderr.trim()}`;
  const first = result.stdout.split("\n")[0] ?? "";
  if (!CURL_TLS_BACKENDS.test(first) || !/^Features:.*\bSSL\b/m.test(result.stdout)) return `curl is built without TLS: ${first}`;
  const version = /^curl (\d+)\.(\d+)/.exec(first);
  // --tls-max needs 7.54.
  if (version === null || Number(version[1]) * 1000 + Number(version[2]) < 7054) return `curl is older than 7.54 (no --tls-max): ${first}`;
  return null;
}

/** Null when openssl s_client can run these tests, or the reason it cannot. */
export async function opensslUnavailableReason(procs: CliProcesses): Promise<string | null> {
  const result = await procs.run("openssl", ["version"], { timeoutMs: 5_000 });
  if (result.spawnError !== undefined) return `openssl is not on PATH (${result.spawnError.code ?? result.spawnError.message})`;
  if (result.code !== 0) return `openssl version failed: ${result.stderr.trim()}`;
  const line = result.stdout.trim();
  // -noservername and -tls1_3 need OpenSSL 1.1.1.
  const version = /^OpenSSL (\d+)\.(\d+)\.(\d+)/.exec(line);
  if (version === null) return `not OpenSSL (s_client options differ): ${line}`;
  const [major, minor, patch] = [Number(version[1]), Number(version[2]), Number(version[3])];
  if (major < 1 || (major === 1 && (minor < 1 || (minor === 1 && patch < 1)))) return `OpenSSL older than 1.1.1: ${line}`;
  return null;
}

export interface CurlResult extends ProcessResult {
  /** The HTTP status, 0 when no response arrived. */
  readonly status: number;
  readonly body: string;
}

const STATUS_MARK = "\n@@curl-status=";

export interface CurlRequest {
  /** The name in the URL, resolved to 127.0.0.1 with --resolve (and so sent as SNI). */
  readonly host: string;
  readonly port: number;
  readonly caFile: string;
  readonly path?: string;
  /** Extra curl arguments, e.g. `["--tls-max", "1.2"]`. */
  readonly args?: readonly string[];
}

/** One GET with curl to `https://host:port/path`, the name resolved to the loopback address. */
export async function curlGet(procs: CliProcesses, request: CurlRequest): Promise<CurlResult> {
  const { host, port, caFile, path = "/", args = [] } = request;
  const result = await procs.run("curl", [
    // -q must come first: ignore any .curlrc.
    "-q",
    "--silent",
    "--show-error",
    "--noproxy",
    "*",
    "--connect-timeout",
    "3",
    "--max-time",
    "5",
    "--cacert",
    caFile,
    "--resolve",
    `${host}:${port}:127.0.0.1`,
    ...args,
    "--write-out",
    `${STATUS_MARK}%{http_code}`,
    `https://${host}:${port}${path}`,
  ]);
  const at = result.stdout.lastIndexOf(STATUS_MARK);
  const status = at === -1 ? 0 : Number(result.stdout.slice(at + STATUS_MARK.length).trim());
  return { ...result, status, body: at === -1 ? result.stdout : result.stdout.slice(0, at) };
}

export interface SClientResult extends ProcessResult {
  /** CN of the peer certificate's subject (`subject=CN = a.test` or `subject=CN=a.test`). */
  readonly peerCommonName: string | undefined;
  /** `ALPN protocol: x`; null for `No ALPN negotiated`; undefined when neither was printed. */
  readonly alpn: string | null | undefined;
  /** From `New, TLSv1.3, Cipher is ...`: the version, or `(NONE)` when no handshake completed. */
  readonly protocol: string | undefined;
  readonly cipher: string | undefined;
  /** `Verify return code: 0 (ok)` was printed. */
  readonly verified: boolean;
}

export interface SClientRequest {
  readonly port: number;
  /** The SNI name, or null for `-noservername`. */
  readonly serverName: string | null;
  readonly caFile: string;
  /** Extra s_client arguments, e.g. `["-tls1_2"]`. */
  readonly args?: readonly string[];
  /**
   * Sent after the handshake, with `-quiet`: stdout is then only the server's
   * answer, read until the server closes (the certificate and session summary
   * are not printed). Without input, stdin is closed at once and s_client
   * exits after the handshake.
   */
  readonly input?: string;
}

/** Runs `openssl s_client` against 127.0.0.1:port, verifying the server against `caFile`. */
export async function sClient(procs: CliProcesses, request: SClientRequest): Promise<SClientResult> {
  const { port, serverName, caFile, args = [], input } = request;
  const result = await procs.run(
    "openssl",
    [
      "s_client",
      "-connect",
      `127.0.0.1:${port}`,
      ...(serverName === null ? ["-noservername"] : ["-servername", serverName]),
      "-CAfile",
      caFile,
      "-verify_return_error",
      // With input: -quiet (which implies -ign_eof) keeps stdout to the server's answer, read until it closes;
      // the session summary would otherwise be interleaved with it.
      ...(input === undefined ? [] : ["-quiet"]),
      ...args,
    ],
    input === undefined ? {} : { input },
  );
  const subject = /^subject=(.*)$/m.exec(result.stdout)?.[1];
  const peerCommonName = subject === undefined ? undefined : /(?:^|[,/]\s*)CN\s*=\s*([^,/]+)/.exec(subject)?.[1]?.trim();
  const alpnMatch = /^ALPN protocol: (.+)$/m.exec(result.stdout);
  const alpn = alpnMatch !== null ? alpnMatch[1]!.trim() : /^No ALPN negotiated$/m.test(result.stdout) ? null : undefined;
  const session = /^New, (\S+), Cipher is (\S+)$/m.exec(result.stdout);
  return {
    ...result,
    peerCommonName,
    alpn,
    protocol: session?.[1]?.replace(/,$/, ""),
    cipher: session?.[2],
    verified: /^\s*Verify return code: 0 \(ok\)$/m.test(result.stdout),
  };
}

/** The JSON line an echo app answered with, found in s_client's output. */
export function jsonLine<T>(text: string): T | undefined {
  const line = text.split(/\r?\n/).find((l) => l.startsWith("{"));
  return line === undefined ? undefined : (JSON.parse(line) as T);
}
